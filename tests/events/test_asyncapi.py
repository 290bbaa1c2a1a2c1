"""The generated AsyncAPI document is valid AsyncAPI 3.0 and says what the fleet file says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from fleetcheck.contracts.asyncapi import asyncapi_document, channel_id
from fleetcheck.contracts.fleet import load_fleet

OFFICIAL_SCHEMA = Path(__file__).with_name("data") / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    return Draft7Validator(json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def document() -> dict:
    return asyncapi_document(load_fleet())


def test_document_validates_against_the_official_asyncapi_3_schema(validator, document) -> None:
    assert [e.message for e in validator.iter_errors(document)] == []


def test_the_official_schema_rejects_a_broken_document(validator, document) -> None:
    broken = json.loads(json.dumps(document))
    broken["operations"]["auth_sends_auth_user_login"]["action"] = "publish"  # AsyncAPI 2 wording
    assert list(validator.iter_errors(broken))


def test_every_topic_is_a_channel_with_its_partitions_and_a_producer_operation(document) -> None:
    fleet = load_fleet()
    for topic in fleet.topics:
        channel = document["channels"][channel_id(topic.name)]
        assert channel["address"] == topic.name
        assert channel["bindings"]["kafka"]["partitions"] == topic.partitions
        producer = document["operations"][f"{channel_id(topic.producer)}_sends_{channel_id(topic.name)}"]
        assert producer["action"] == "send"
        for consumer in topic.consumers:
            assert f"{channel_id(consumer)}_receives_{channel_id(topic.name)}" in document["operations"]


def test_messages_declare_the_key_the_tenant_header_and_the_payload_schema(document) -> None:
    message = document["components"]["messages"]["master-data_customer_created"]
    assert message["bindings"]["kafka"]["key"]["description"].startswith("the aggregate id")
    assert message["headers"]["required"] == ["x-tenant-id"]
    assert message["payload"]["properties"]["type"] == {"const": "master-data.customer.created"}
    assert message["payload"]["properties"]["data"] == {"$ref": "#/components/schemas/master-data_customer_created"}
