"""The Slack double's file uploads: files.getUploadURLExternal, the upload URL, files.completeUploadExternal.

As Slack does (and slack-sdk's `files_upload_v2` expects): `files.getUploadURLExternal` needs `filename`
and a positive `length`, and answers a `file_id` with an `upload_url` on the double's own port; the bytes
are POSTed there; `files.completeUploadExternal` takes `files` (JSON: `[{"id", "title"}]`) whose bytes have
arrived, and with `channel_id` shares them: a bot message carrying the files is stored in the channel (in
`thread_ts`'s thread when given). An unknown or not yet uploaded id is `file_not_found`; bytes of another
length than announced are refused with HTTP 400, as Slack's upload endpoint does.

Inspect with `uploads(slack)`: every completed upload, with its bytes, alt text, channel and thread.
"""

from __future__ import annotations

import json
import threading
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .slack_payloads import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, new_ts
from .slack_workspace import SlackError, Workspace, channel_of, register_handlers

if TYPE_CHECKING:
    from .slack_api import SlackDouble


@dataclass(frozen=True)
class Upload:
    """One file shared through files.completeUploadExternal."""

    file_id: str
    filename: str
    title: str
    alt_text: str | None
    data: bytes
    channel: str | None
    thread_ts: str | None


@dataclass
class _Pending:
    filename: str
    length: int
    alt_text: str | None
    data: bytes | None = None


@dataclass
class _Files:
    base_url: Callable[[], str] = lambda: ""
    pending: dict[str, _Pending] = field(default_factory=dict)
    done: list[Upload] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)  # the upload route runs outside the API lock


_stores: weakref.WeakKeyDictionary[Workspace, _Files] = weakref.WeakKeyDictionary()


def _files(workspace: Workspace) -> _Files:
    return _stores.setdefault(workspace, _Files())


def uploads(slack: SlackDouble) -> list[Upload]:
    """Every upload completed so far, oldest first."""
    store = _files(slack._workspace)  # the double's own modules share its workspace
    with store.lock:
        return list(store.done)


def upload_route(workspace: Workspace, base_url: Callable[[], str]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler of `POST /upload/{file_id}`, where `upload_url`s point."""
    store = _files(workspace)
    store.base_url = base_url

    async def receive(request: web.Request) -> web.Response:
        data = await request.read()
        with store.lock:
            pending = store.pending.get(request.match_info["file_id"])
            if pending is None:
                return web.Response(status=404, text="not found")
            if len(data) != pending.length:
                return web.Response(status=400, text="length mismatch")
            pending.data = data
        return web.Response(text=f"OK - {len(data)}")

    return receive


def _get_upload_url(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    filename, length = params.get("filename"), str(params.get("length") or "")
    if not filename or not length.isdigit() or int(length) <= 0:
        raise SlackError("invalid_arguments")
    store = _files(workspace)
    file_id = "F" + uuid.uuid4().hex[:10].upper()
    with store.lock:
        store.pending[file_id] = _Pending(str(filename), int(length), params.get("alt_txt") or None)
    return {"file_id": file_id, "upload_url": f"{store.base_url()}/upload/{file_id}"}


def _complete_upload(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    listed = params.get("files")
    listed = json.loads(listed) if isinstance(listed, str) else listed
    if not isinstance(listed, list) or not listed:
        raise SlackError("invalid_arguments")
    channel = channel_of(params["channel_id"]) if params.get("channel_id") else None
    thread_ts = str(params["thread_ts"]) if params.get("thread_ts") else None
    store = _files(workspace)
    with store.lock:
        if not all(isinstance(f, dict) and _uploaded(store, f.get("id")) for f in listed):
            raise SlackError("file_not_found")
        done = [_complete(store, f, channel, thread_ts) for f in listed]
        store.done.extend(done)
    shared = [{"id": u.file_id, "name": u.filename, "title": u.title, "alt_txt": u.alt_text} for u in done]
    if channel is not None:
        message: dict[str, Any] = {
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "type": "message",
            "team": TEAM_ID,
        }
        message |= {"text": str(params.get("initial_comment") or ""), "ts": new_ts(), "files": shared}
        workspace.store(channel, message | ({"thread_ts": thread_ts} if thread_ts else {}))
    return {"files": [{"id": f["id"], "title": f["title"]} for f in shared]}


def _uploaded(store: _Files, file_id: object) -> bool:
    pending = store.pending.get(str(file_id))
    return pending is not None and pending.data is not None


def _complete(store: _Files, listed: dict[str, Any], channel: str | None, thread_ts: str | None) -> Upload:
    pending = store.pending.pop(listed["id"])
    assert pending.data is not None
    title = str(listed.get("title") or pending.filename)
    return Upload(listed["id"], pending.filename, title, pending.alt_text, pending.data, channel, thread_ts)


register_handlers(
    {
        "files.getUploadURLExternal": _get_upload_url,
        "files.completeUploadExternal": _complete_upload,
    }
)
