"""The Stripe adapter's error side: every SDK exception becomes one of `mcp_server.payments.errors` (or, when it
may pass on a retry, `WorthRetrying`), with a sentence a person can act on. Only `stripe_client.py` uses it.

    no answer (connection error, timeout), 409, 429, 5xx   -> WorthRetrying; after the last attempt StripeUnavailable
    IdempotencyError                                        -> IdempotencyConflict
    AuthenticationError, PermissionError                    -> StripeKeyRejected (names the setting)
    any other 4xx                                           -> StripeDeclined (balance, destination, onboarding, ...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
import stripe

from mcp_server.payments.errors import (
    IdempotencyConflict,
    PaymentError,
    StripeDeclined,
    StripeKeyRejected,
    StripeUnavailable,
)


@dataclass(frozen=True)
class StripeCall:
    """What a request was for and on which platform account, so that an error can be explained in a sentence."""

    account: str  # how a person names the platform account: "Canada", "International"
    key_setting: str
    action: str
    destination: str | None = None
    currency: str | None = None
    idempotency_key: str | None = None
    transfer_group: str | None = None


class WorthRetrying(Exception):
    """A failure that may pass (no answer, 409, 429, 5xx); `problem` says what happened, for the final sentence."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


@contextmanager
def stripe_errors(call: StripeCall) -> Iterator[None]:
    """The SDK's errors inside as WorthRetrying or our PaymentError, by type and HTTP status."""
    try:
        yield
    except (stripe.APIConnectionError, TimeoutError, aiohttp.ClientError) as exc:
        raise WorthRetrying(f"no answer ({type(exc).__name__})") from exc
    except stripe.StripeError as exc:
        status = exc.http_status or 0
        if status not in (409, 429) and status < 500:
            raise _refusal(exc, call) from exc
        raise WorthRetrying(f"HTTP {status}: {exc.user_message}") from exc


def unavailable(call: StripeCall, attempts: int, problem: str) -> StripeUnavailable:
    """The error once retrying has not helped; for a transfer, the outcome is unknown and the sentence says so."""
    sentence = f"The {call.account} Stripe account could not {call.action} after {attempts} attempt(s): {problem}."
    if call.idempotency_key is None:
        return StripeUnavailable(sentence)
    return StripeUnavailable(
        f"{sentence} Whether the transfer happened is unknown; retrying with the same key or "
        f"reconciling transfer group {call.transfer_group} will settle it without paying twice."
    )


def _refusal(exc: stripe.StripeError, call: StripeCall) -> PaymentError:
    """Our error for a definite answer from Stripe (4xx other than 409 and 429)."""
    code = exc.error.code if exc.error is not None else exc.code
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(
            f"Stripe already used idempotency key {call.idempotency_key} for a different request, so it "
            f"did not {call.action}; an earlier transfer may exist, so reconcile transfer group "
            f"{call.transfer_group} before trying again."
        )
    if isinstance(exc, stripe.AuthenticationError):
        return StripeKeyRejected(f"Stripe rejected the {call.account} secret key; check {call.key_setting}.")
    if isinstance(exc, stripe.PermissionError) and code != "account_invalid":
        return StripeKeyRejected(
            f"The {call.account} Stripe key is not allowed to {call.action}; check {call.key_setting}."
        )
    return StripeDeclined(_decline_reason(code, exc, call))


def _decline_reason(code: str | None, exc: stripe.StripeError, call: StripeCall) -> str:
    if code == "balance_insufficient":
        currency = (call.currency or "").upper()
        return (
            f"The {call.account} Stripe account's available {currency} balance is too low for this "
            "transfer; add funds or wait for pending funds to become available, then try again."
        )
    param = exc.error.param if exc.error is not None else None
    if code == "account_invalid" or (code == "resource_missing" and param == "destination"):
        return (
            f"The artist's Stripe account {call.destination} does not exist or is not connected to the "
            f"{call.account} Stripe account; check the Stripe account stored for the artist."
        )
    if code == "insufficient_capabilities_for_transfer":
        return (
            f"The artist's Stripe account {call.destination} cannot receive transfers yet; the artist "
            "has to finish Stripe onboarding first."
        )
    return f"Stripe refused to {call.action}: {exc.user_message}"
