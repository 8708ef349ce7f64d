"""The gateway's errors.

    GatewayError                      base of everything raised on purpose
    ├── ConfigurationError            bad or missing setting; stops start-up
    ├── DatabaseUnavailable           Postgres did not answer (connection lost, timeout, pool closed)
    ├── QueryFailed                   Postgres refused a statement for another reason (a bug to report)
    ├── DatabaseConflict              a write collided with an existing row (a unique key)
    │   └── DuplicatePayout           a payout with this idempotency key already exists
    ├── InvalidAccessToken            (oauth_keys) an OAuth access token was refused: 401 with the reason
    ├── IdentityProviderUnavailable   (oauth_keys) no signing keys could be had from the issuer: 503
    └── ToolInputError                the caller could fix it; becomes an isError result with this sentence
        ├── UnknownEvent              no event with that eid (carries suggestions)
        └── InvalidArgument           a bad round, date range, amount, ...
    PaymentError (mcp_server.payments.errors) covers the Stripe side.

Refusals of the request itself (bad token, missing scope) are protocol errors, not these.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of the gateway's own errors."""


class ConfigurationError(GatewayError):
    """A setting is missing or invalid; the message names it."""


class DatabaseUnavailable(GatewayError):
    """Postgres did not answer."""


class QueryFailed(GatewayError):
    """Postgres answered with an error that is neither an outage nor a conflict."""


class DatabaseConflict(GatewayError):
    """A write was refused because a row with the same key exists."""


class DuplicatePayout(DatabaseConflict):
    """Another call (or replica) already wrote the payout for this idempotency key."""


class ToolInputError(GatewayError):
    """An error the caller can act on; its message is one sentence written for the model."""


class UnknownEvent(ToolInputError):
    def __init__(self, eid: str, suggestions: list[str]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; use list_events to find one."
        super().__init__(f"There is no event {eid}{hint}")
        self.eid = eid
        self.suggestions = suggestions


class InvalidArgument(ToolInputError):
    """An argument is well-formed but makes no sense for this data."""
