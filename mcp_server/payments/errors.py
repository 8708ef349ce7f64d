"""Errors of the payment side; no Stripe exception leaves the adapter, these do instead.

    GatewayError (mcp_server.errors)
    └── PaymentError                  base of every payment failure
        ├── InvalidAmount             an amount or currency Stripe cannot represent (also a ToolInputError)
        ├── DestinationChanged        the artist's Stripe account or the paying region is not what the human
        │                             confirmed (also a ToolInputError); nothing was written or sent
        ├── StripeNotConfigured       no usable key for the region; nothing was sent to Stripe
        │   └── StripeKeyRejected     the key is set but Stripe refused it (401/403)
        ├── StripeDeclined            Stripe answered no; it is certain that no money moved
        ├── StripeUnavailable         timeouts, 5xx, connection errors after bounded retries;
        │                             the outcome is UNKNOWN, keep the payment row resolvable
        ├── IdempotencyConflict       the idempotency key was already used for a different request
        └── DuplicateTransfers        reconciliation found more than one transfer in one group

Every message is a sentence a finance person (or the model relaying it) can act on.
"""

from __future__ import annotations

from mcp_server.errors import GatewayError, ToolInputError


class PaymentError(GatewayError):
    """Base of the payment errors."""


class InvalidAmount(PaymentError, ToolInputError):
    """The amount is not positive, or has more decimals than the currency allows."""


class DestinationChanged(PaymentError, ToolInputError):
    """Where the money would go changed between the preview and the confirmation; the message says what."""


class StripeNotConfigured(PaymentError):
    """The region has no Stripe key; the message names the missing setting."""


class StripeKeyRejected(StripeNotConfigured):
    """Stripe refused the configured key, so the setting must be fixed; nothing was done."""


class StripeDeclined(PaymentError):
    """Stripe refused the request for a reason a person can act on; no money moved."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StripeUnavailable(PaymentError):
    """Stripe could not be reached or kept failing; whether the transfer happened is unknown.

    The caller must leave the payment resolvable: a later attempt with the same idempotency key,
    or reconciliation by transfer group, settles it.
    """


class IdempotencyConflict(PaymentError):
    """Stripe already saw this idempotency key with other parameters.

    A transfer may exist under the key, so this is not a clean failure: reconcile by transfer group.
    """


class DuplicateTransfers(PaymentError):
    """More than one transfer shares a transfer group that should identify exactly one payment."""
