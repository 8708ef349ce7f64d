"""Signed Events API requests, built exactly as Slack sends them to an app's request URL.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 under the app's signing secret and sends
`X-Slack-Signature: v0=<hex>` and `X-Slack-Request-Timestamp: <unix seconds>`. Each builder returns a
`SignedRequest` (`body` bytes, `headers` dict) to post with any HTTP client, e.g.
`await http.post(url, content=req.body, headers=req.headers)`:

- `event_request(event_callback(...), secret, retry_num=None, retry_reason=None)`: JSON; a retry adds
  `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` as Slack does.
- `url_verification_request(secret, challenge=None)`: JSON; the app must echo `challenge`.
- `slash_command_request(slash_command(...), secret)`: form-encoded fields.
- `interactivity_request(block_actions(...), secret)`: form-encoded, one field `payload=<json>`.
- Every builder takes `timestamp=`; `stale_timestamp()` is six minutes old (outside the 5-minute window).
  `with_bad_signature(request)` keeps the body and timestamp but breaks the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from .slack_payloads import url_verification

_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_REPLAY_WINDOW_SECONDS = 5 * 60


@dataclass(frozen=True)
class SignedRequest:
    """A request body and the headers Slack sends with it."""

    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode()


def sign(body: bytes, signing_secret: str, timestamp: int) -> str:
    """Slack's `X-Slack-Signature` for `body` sent at `timestamp`."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def stale_timestamp() -> int:
    """A timestamp one minute older than Slack's 5-minute replay window allows."""
    return int(time.time()) - _REPLAY_WINDOW_SECONDS - 60


def event_request(
    callback: dict[str, Any],
    signing_secret: str,
    *,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> SignedRequest:
    """An Events API delivery of `callback` (see `slack_payloads.event_callback`)."""
    extra = {}
    if retry_num is not None:
        extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason or "http_timeout"}
    request = _signed(json.dumps(callback).encode(), "application/json", signing_secret, timestamp)
    return replace(request, headers=request.headers | extra)


def url_verification_request(
    signing_secret: str, *, challenge: str | None = None, timestamp: int | None = None
) -> SignedRequest:
    body = json.dumps(url_verification(challenge)).encode()
    return _signed(body, "application/json", signing_secret, timestamp)


def slash_command_request(
    fields: dict[str, str], signing_secret: str, *, timestamp: int | None = None
) -> SignedRequest:
    """A slash command POST (see `slack_payloads.slash_command`)."""
    return _signed(urlencode(fields).encode(), "application/x-www-form-urlencoded", signing_secret, timestamp)


def interactivity_request(
    payload: dict[str, Any], signing_secret: str, *, timestamp: int | None = None
) -> SignedRequest:
    """An interactivity POST: the JSON payload in the form field `payload`, as Slack sends it."""
    body = urlencode({"payload": json.dumps(payload)}).encode()
    return _signed(body, "application/x-www-form-urlencoded", signing_secret, timestamp)


def with_bad_signature(request: SignedRequest) -> SignedRequest:
    """The same request with a signature that does not match its body."""
    signature = request.headers["X-Slack-Signature"]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    return replace(request, headers=request.headers | {"X-Slack-Signature": flipped})


def _signed(body: bytes, content_type: str, signing_secret: str, timestamp: int | None) -> SignedRequest:
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": content_type,
        "User-Agent": _USER_AGENT,
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, signing_secret, timestamp),
    }
    return SignedRequest(body, headers)
