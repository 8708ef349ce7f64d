"""Money on Stripe's wire: the one place a `Decimal` amount becomes Stripe's integer minor units (and back).

Part of the Stripe adapter (only `stripe_client.py` and the payment checks use it); it never rounds.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Final

from mcp_server.payments.errors import InvalidAmount

# https://docs.stripe.com/currencies#zero-decimal: the amount is sent in whole units.
ZERO_DECIMAL_CURRENCIES: Final = frozenset(
    {"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"} | {"pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"}
)
# Sent with three decimals, but Stripe requires the last digit to be 0: two usable decimals.
THREE_DECIMAL_CURRENCIES: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Two decimals on the wire for backwards compatibility, but only whole units are accepted.
WHOLE_UNIT_TWO_DECIMAL_CURRENCIES: Final = frozenset({"isk"})


def currency_code(currency: str) -> str:
    code = currency.strip().lower()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise InvalidAmount(f"{currency!r} is not a three-letter currency code.")
    return code


def _scale(code: str) -> tuple[int, int]:
    """(decimal places on Stripe's wire, decimal places an amount may have) for a currency."""
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0, 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3, 2
    if code in WHOLE_UNIT_TWO_DECIMAL_CURRENCIES:
        return 2, 0
    return 2, 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Stripe's integer amount for `amount` of `currency`; refuses precision the currency lacks.

    This is the only place money becomes an integer, so it never rounds: 0.001 CAD is an error.
    """
    code = currency_code(currency)
    wire_places, allowed_places = _scale(code)
    if not amount.is_finite():
        raise InvalidAmount(f"{amount} is not an amount of money.")
    try:
        representable = amount == amount.quantize(Decimal(1).scaleb(-allowed_places))
    except InvalidOperation as exc:
        raise InvalidAmount(f"{amount} {code.upper()} is too large an amount.") from exc
    if not representable:
        if allowed_places == 0:
            raise InvalidAmount(f"{code.upper()} amounts must be whole numbers; {amount} is not.")
        raise InvalidAmount(
            f"{code.upper()} amounts can have at most {allowed_places} decimal places; {amount} has more."
        )
    return int(amount.scaleb(wire_places))


def from_minor_units(minor_units: int, currency: str) -> Decimal:
    """The `Decimal` amount for Stripe's integer `minor_units` of `currency`, exactly."""
    wire_places, _ = _scale(currency_code(currency))
    return Decimal(minor_units).scaleb(-wire_places)
