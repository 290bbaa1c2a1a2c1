"""The Bangladesh rules of SPEC.md as master-data applies them (reference_services/master_data/bangladesh.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reference_services.master_data.bangladesh import (
    BangladeshRuleError,
    normalise_bin,
    normalise_mobile,
    normalise_money,
    normalise_nid,
    normalise_postal_code,
    normalise_rate,
    normalise_tin,
)


@pytest.mark.parametrize("raw", ["123456789012", "1234 5678 9012", "1234-5678-9012", " 123456789012 "])
def test_tin_of_twelve_digits_is_accepted_with_separators_stripped(raw: str) -> None:
    assert normalise_tin(raw) == "123456789012"


@pytest.mark.parametrize(
    ("raw", "error_type"),
    [
        ("12345678901", "invalid_length"),
        ("1234567890123", "invalid_length"),
        ("12345678901A", "invalid_format"),
        ("১২৩৪৫৬৭৮৯০১২", "invalid_format"),  # Bengali digits are \d in Unicode but not a TIN
        ("", "invalid_format"),
    ],
)
def test_tin_that_is_not_twelve_ascii_digits_is_rejected(raw: str, error_type: str) -> None:
    with pytest.raises(BangladeshRuleError) as caught:
        normalise_tin(raw)
    assert caught.value.error_type == error_type
    assert "TIN" in str(caught.value)


def test_bin_needs_exactly_nine_digits() -> None:
    assert normalise_bin("123-456-789") == "123456789"
    with pytest.raises(BangladeshRuleError, match="exactly 9 digits"):
        normalise_bin("12345678")


@pytest.mark.parametrize("digits", [10, 13, 17])
def test_nid_of_10_13_or_17_digits_is_accepted(digits: int) -> None:
    assert normalise_nid("1" * digits) == "1" * digits


@pytest.mark.parametrize("digits", [9, 11, 12, 14, 16, 18])
def test_nid_of_other_lengths_is_rejected(digits: int) -> None:
    with pytest.raises(BangladeshRuleError, match="10 or 13 or 17 digits"):
        normalise_nid("1" * digits)


@pytest.mark.parametrize("raw", ["01712345678", "+8801712345678", "8801712345678", "01712-345678", "0171 234 5678"])
def test_mobile_is_normalised_to_plus_880(raw: str) -> None:
    assert normalise_mobile(raw) == "+8801712345678"


@pytest.mark.parametrize("raw", ["01212345678", "0171234567", "017123456789", "+8811712345678", "০১৭১২৩৪৫৬৭৮", "phone"])
def test_mobile_outside_the_bangladesh_pattern_is_rejected(raw: str) -> None:
    with pytest.raises(BangladeshRuleError) as caught:
        normalise_mobile(raw)
    assert caught.value.error_type == "invalid_format"


def test_postal_code_is_four_digits() -> None:
    assert normalise_postal_code("1212") == "1212"
    with pytest.raises(BangladeshRuleError):
        normalise_postal_code("12123")


def test_rate_is_a_percentage_with_two_decimals() -> None:
    assert normalise_rate(15) == Decimal("15.00")
    assert normalise_rate("7.5") == Decimal("7.50")
    for bad, error_type in (
        (0.15 + 100, "out_of_range"),
        (-1, "out_of_range"),
        ("15.001", "invalid_precision"),
        (True, "invalid_type"),
        ("fifteen", "invalid_format"),
    ):
        with pytest.raises(BangladeshRuleError) as caught:
            normalise_rate(bad)
        assert caught.value.error_type == error_type, bad


def test_money_fits_numeric_18_2() -> None:
    assert normalise_money("1000000.5") == Decimal("1000000.50")
    with pytest.raises(BangladeshRuleError) as caught:
        normalise_money("10000000000000000")
    assert caught.value.error_type == "out_of_range"
    with pytest.raises(BangladeshRuleError):
        normalise_money("NaN")
