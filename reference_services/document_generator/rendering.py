"""Rendering: Jinja2 in a sandbox (tenant templates are untrusted), the built-in invoice, and its VAT arithmetic.

Amounts are ``Decimal`` throughout, rounded half-up to 2 decimals per line (as a BDT invoice prints them); rates are
percentages (15.00 means 15%, SPEC.md). Bengali text is passed through untouched (no normalisation) and written as
UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["BUILT_IN", "FORMATS", "DataError", "RenderError", "Renderer", "invoice_context"]

FORMATS = ("html",)
STANDARD_VAT = Decimal("15.00")
_CENT = Decimal("0.01")
_MAX_LINES = 500
_MAX_AMOUNT = Decimal("1000000000000")  # totals must fit numeric(18,2)


class DataError(ValueError):
    """The document data does not fit the template: ``field`` is a JSON path like ``lines[2].quantity``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class RenderError(Exception):
    """The template itself failed (undefined variable, sandbox violation, syntax error)."""


def money(value: Any) -> str:
    return f"{Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP):.2f}"


def _decimal(value: Any, field: str, *, minimum: Decimal = Decimal(0), maximum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DataError(field, f'{field}: expected a number or a decimal string like "1234.50"')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DataError(field, f'{field}: expected a number or a decimal string like "1234.50"') from None
    if not number.is_finite() or number < minimum or (maximum is not None and number > maximum):
        bound = f" and at most {maximum}" if maximum is not None else ""
        raise DataError(field, f"{field}: expected a number of at least {minimum}{bound}")
    return number


def _text(value: Any, field: str, *, required: bool = True, max_length: int = 500) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise DataError(field, f"{field}: expected a non-empty string of at most {max_length} characters")
    return value.strip()


def _line(raw: Any, index: int) -> dict[str, Any]:
    where = f"lines[{index}]"
    if not isinstance(raw, dict):
        raise DataError(where, f"{where}: expected an object with description, quantity and unit_price")
    quantity = _decimal(raw.get("quantity"), f"{where}.quantity", maximum=_MAX_AMOUNT)
    unit_price = _decimal(raw.get("unit_price"), f"{where}.unit_price", maximum=_MAX_AMOUNT)
    rate = _decimal(raw.get("vat_rate", str(STANDARD_VAT)), f"{where}.vat_rate", maximum=Decimal(100))
    amount = (quantity * unit_price).quantize(_CENT, rounding=ROUND_HALF_UP)
    vat = (amount * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    return {"description": _text(raw.get("description"), f"{where}.description"), "quantity": quantity,
            "unit_price": unit_price, "vat_rate": rate, "amount": amount, "vat": vat}  # fmt: skip


def invoice_context(data: dict[str, Any]) -> dict[str, Any]:
    """The invoice's lines and totals: amount = quantity x unit price, VAT = amount x rate% (default 15%)."""
    lines = data.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= _MAX_LINES:
        raise DataError("lines", f"lines: expected a list of 1 to {_MAX_LINES} invoice lines")
    computed = [_line(raw, i) for i, raw in enumerate(lines)]
    customer = data.get("customer")
    if not isinstance(customer, dict):
        raise DataError("customer", "customer: expected an object with name (and optionally name_bn, tin)")
    subtotal = sum((line["amount"] for line in computed), Decimal(0))
    vat_total = sum((line["vat"] for line in computed), Decimal(0))
    return {
        "invoice_number": _text(data.get("invoice_number"), "invoice_number", max_length=64),
        "issue_date": _text(data.get("issue_date"), "issue_date", required=False, max_length=32),
        "seller": _text(data.get("seller"), "seller", required=False),
        "customer": {"name": _text(customer.get("name"), "customer.name"),
                     "name_bn": _text(customer.get("name_bn"), "customer.name_bn", required=False),
                     "tin": _text(customer.get("tin"), "customer.tin", required=False, max_length=32)},
        "notes": _text(data.get("notes"), "notes", required=False, max_length=2000),
        "lines": computed, "subtotal": subtotal, "vat_total": vat_total, "total": subtotal + vat_total,
        "currency": "BDT",
    }  # fmt: skip


INVOICE_HTML = """<!DOCTYPE html>
<html lang="bn">
<head><meta charset="utf-8"><title>Invoice {{ invoice_number }}</title></head>
<body>
<h1>Tax invoice / চালানপত্র {{ invoice_number }}</h1>
{% if seller %}<p class="seller">{{ seller }}</p>{% endif %}
{% if issue_date %}<p class="date">Date: {{ issue_date }}</p>{% endif %}
<p class="customer">Customer: {{ customer.name }}{% if customer.name_bn %} / {{ customer.name_bn }}{% endif %}
{% if customer.tin %}(TIN {{ customer.tin }}){% endif %}</p>
<table>
<thead><tr><th>Description</th><th>Qty</th><th>Unit price ({{ currency }})</th><th>Amount ({{ currency }})</th>
<th>VAT rate</th><th>VAT ({{ currency }})</th></tr></thead>
<tbody>
{% for line in lines %}<tr><td>{{ line.description }}</td><td>{{ line.quantity }}</td>
<td>{{ line.unit_price|money }}</td><td>{{ line.amount|money }}</td>
<td>{{ line.vat_rate|money }}%</td><td>{{ line.vat|money }}</td></tr>
{% endfor %}</tbody>
</table>
<p class="subtotal">Subtotal: {{ currency }} {{ subtotal|money }}</p>
<p class="vat">VAT: {{ currency }} {{ vat_total|money }}</p>
<p class="total">Total: {{ currency }} {{ total|money }}</p>
{% if notes %}<p class="notes">{{ notes }}</p>{% endif %}
</body>
</html>
"""


@dataclass(frozen=True, slots=True)
class BuiltIn:
    code: str
    format: str
    body: str


BUILT_IN = {"invoice": BuiltIn("invoice", "html", INVOICE_HTML)}


class Renderer:
    """One sandboxed Jinja2 environment: autoescaped HTML, undefined variables are errors, ``money`` filter."""

    def __init__(self) -> None:
        self.env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
        self.env.filters["money"] = money

    def check(self, body: str) -> None:
        """Compile ``body`` (RenderError for a syntax error): tenant templates are checked when they are saved."""
        try:
            self.env.from_string(body)
        except TemplateError as error:
            raise RenderError(f"template syntax error: {error}") from None

    def render(self, body: str, context: dict[str, Any]) -> bytes:
        try:
            return self.env.from_string(body).render(context).encode("utf-8")
        except TemplateError as error:
            raise RenderError(f"{type(error).__name__}: {error}") from None
