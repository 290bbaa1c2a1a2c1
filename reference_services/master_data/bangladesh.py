"""Bangladesh rules (SPEC.md "Bangladesh rules"), in one place for every master-data entity.

Each rule is a function from the raw value to its normalised form; a value that breaks a rule raises
``BangladeshRuleError`` naming the rule and what was expected, so the route can answer a problem+json that names
the field and count ``master_data_validation_errors_total``.

>>> normalise_mobile("01712-345678")
'+8801712345678'
>>> normalise_tin("1234 5678 9012")
'123456789012'
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "MONEY_MAX",
    "BangladeshRuleError",
    "normalise_bin",
    "normalise_mobile",
    "normalise_money",
    "normalise_nid",
    "normalise_postal_code",
    "normalise_rate",
    "normalise_tin",
]

_SEPARATORS = re.compile(r"[\s\-]")
_DIGITS = re.compile(r"\d+", re.ASCII)  # ASCII only: Bengali digits are \d in Unicode but not valid ids
_MOBILE = re.compile(r"^(\+?880|0)1[3-9]\d{8}$", re.ASCII)
_POSTAL = re.compile(r"^\d{4}$", re.ASCII)
_NID_LENGTHS = (10, 13, 17)
_CENT = Decimal("0.01")
MONEY_MAX = Decimal("9999999999999999.99")  # numeric(18,2)
_RATE_MAX = Decimal("100.00")


class BangladeshRuleError(ValueError):
    """A value that breaks a Bangladesh rule. ``error_type`` is a bounded metric label; ``expected`` is for humans."""

    def __init__(self, error_type: str, expected: str, seen: object) -> None:
        super().__init__(f"expected {expected}; got {seen!r}")
        self.error_type = error_type
        self.expected = expected


def _digits_only(value: str, *, rule: str, lengths: tuple[int, ...]) -> str:
    if not isinstance(value, str):
        raise BangladeshRuleError("invalid_type", f"{rule} as a string of digits", value)
    stripped = _SEPARATORS.sub("", value)
    if not _DIGITS.fullmatch(stripped):
        raise BangladeshRuleError("invalid_format", f"{rule} of ASCII digits (spaces and hyphens allowed)", value)
    if len(stripped) not in lengths:
        wanted = " or ".join(str(n) for n in lengths)
        raise BangladeshRuleError("invalid_length", f"{rule} of exactly {wanted} digits", value)
    return stripped


def normalise_tin(value: str) -> str:
    """Taxpayer identification number: exactly 12 digits once spaces and hyphens are stripped."""
    return _digits_only(value, rule="a TIN", lengths=(12,))


def normalise_bin(value: str) -> str:
    """Business identification number (VAT registration): exactly 9 digits."""
    return _digits_only(value, rule="a BIN", lengths=(9,))


def normalise_nid(value: str) -> str:
    """National ID: 10, 13 or 17 digits."""
    return _digits_only(value, rule="an NID", lengths=_NID_LENGTHS)


def normalise_postal_code(value: str) -> str:
    """Postal code: 4 digits."""
    if not isinstance(value, str) or not _POSTAL.fullmatch(value.strip()):
        raise BangladeshRuleError("invalid_format", "a postal code of 4 digits", value)
    return value.strip()


def normalise_mobile(value: str) -> str:
    """Mobile number matching ``^(\\+?880|0)1[3-9]\\d{8}$`` (after stripping spaces/hyphens), as ``+8801XXXXXXXXX``."""
    if not isinstance(value, str):
        raise BangladeshRuleError("invalid_type", "a mobile number as a string", value)
    compact = _SEPARATORS.sub("", value)
    if not _MOBILE.fullmatch(compact):
        raise BangladeshRuleError(
            "invalid_format", "a Bangladesh mobile number like +8801712345678 or 01712345678", value
        )
    return "+880" + compact[-10:]


def _decimal(value: object, *, rule: str) -> Decimal:
    # bool is an int subclass; True must not become 1.00 BDT
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise BangladeshRuleError("invalid_type", f"{rule} as a number or a decimal string", value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise BangladeshRuleError("invalid_format", f"{rule} as a decimal number", value) from None
    if not number.is_finite():
        raise BangladeshRuleError("invalid_format", f"{rule} as a finite decimal number", value)
    if number != number.quantize(_CENT, rounding=ROUND_HALF_UP):
        raise BangladeshRuleError("invalid_precision", f"{rule} with at most 2 decimal places", value)
    return number.quantize(_CENT)


def normalise_money(value: object) -> Decimal:
    """An amount in BDT with at most 2 decimal places that fits numeric(18,2)."""
    amount = _decimal(value, rule="an amount in BDT")
    if abs(amount) > MONEY_MAX:
        raise BangladeshRuleError("out_of_range", f"an amount within ±{MONEY_MAX} (numeric(18,2))", value)
    return amount


def normalise_rate(value: object) -> Decimal:
    """A rate as a percentage (15.00 means 15%) between 0 and 100 with at most 2 decimal places."""
    rate = _decimal(value, rule="a rate as a percentage (15.00 means 15%)")
    if not Decimal(0) <= rate <= _RATE_MAX:
        raise BangladeshRuleError("out_of_range", "a percentage between 0.00 and 100.00 (15.00 means 15%)", value)
    return rate
