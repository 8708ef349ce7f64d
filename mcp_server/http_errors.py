"""Refusals answered at the HTTP edge, before the MCP app: a small JSON body and the headers that go with it."""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import Send


async def send_json_error(
    send: Send, status: int, error: str, description: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """`{"error": ..., "error_description": ...}` with `status`; `headers` adds e.g. Retry-After."""
    body = json.dumps({"error": error, "error_description": description}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
