"""The consumer pacts (V4 JSON), written by tests/pact/test_consumer_pacts.py; a package so that wheels carry them."""
