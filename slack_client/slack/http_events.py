"""Events API transport: `POST /slack/events`, signed by Slack, acknowledged at once.

Every request must carry a valid `X-Slack-Signature` over `v0:{timestamp}:{body}` with a timestamp
within five minutes (slack-sdk's `SignatureVerifier`); anything else gets 401 and is not looked at.
A body over `MAX_BODY_BYTES` gets 413: refused on its `Content-Length` before a byte of it is read, or,
sent chunked, as soon as it grows past the cap (the signature can only be checked on the whole body, so
the cap is what bounds an unsigned sender's cost).
The same endpoint takes events (JSON), `/ab` (form fields) and interactivity (form field `payload`).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import structlog
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from slack_client.observability import Metrics
from slack_client.slack.inbox import Inbox

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Slack's events, commands and interaction payloads are kilobytes; a megabyte is not Slack."""


class _BodyTooLarge(Exception):
    """The request body is (or says it is) larger than the cap."""


class SlackEventsEndpoint:
    """The Starlette endpoint for `/slack/events`."""

    def __init__(self, signing_secret: str, inbox: Inbox, metrics: Metrics) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._inbox = inbox
        self._metrics = metrics

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter()
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
            return _refused("missing or malformed signature headers")
        try:
            body = await _capped_body(request)
        except _BodyTooLarge:
            log.warning("slack_request_refused", reason="body too large")
            return JSONResponse({"error": "request body too large"}, status_code=413)
        if not self._verifier.is_valid(body, timestamp, signature):
            return _refused("bad or stale signature")
        if not self._inbox.accepting:
            return JSONResponse({"error": "shutting down"}, status_code=503)  # Slack retries elsewhere
        try:
            response = self._dispatch(request.headers.get("content-type", ""), body)
        except (ValueError, KeyError) as error:
            log.warning("slack_request_not_understood", error=str(error))
            response = JSONResponse({"error": "bad request"}, status_code=400)
        self._metrics.ack_seconds.labels("http").observe(time.perf_counter() - started)
        return response

    def _dispatch(self, content_type: str, body: bytes) -> Response:
        if content_type.startswith("application/json"):
            data: dict[str, Any] = json.loads(body)
            if data.get("type") == "url_verification":
                return JSONResponse({"challenge": data.get("challenge", "")})
            self._inbox.on_event(data)
            return Response(status_code=200)
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if "payload" in fields:
            self._inbox.on_interaction(json.loads(fields["payload"]))
            return Response(status_code=200)
        if "command" in fields:
            return JSONResponse(self._inbox.on_slash_command(fields))
        raise ValueError("neither an event, a command nor an interaction")


def _refused(reason: str) -> Response:
    log.warning("slack_request_refused", reason=reason)
    return JSONResponse({"error": "invalid signature"}, status_code=401)


async def _capped_body(request: Request) -> bytes:
    """The whole body, read no further than the cap."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
