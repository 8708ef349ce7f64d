"""A local Slack: the Web API methods the bot uses, response URLs and Socket Mode, on one real port.

    with SlackDouble() as slack:              # bot_token="xoxb-test", app_token="xapp-1-test"
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)

- `api_url` is `http://127.0.0.1:PORT/api/` (use it as `SLACK_API_URL` / `AsyncWebClient(base_url=...)`).
  Calls are checked like Slack does: `Authorization: Bearer` (or a `token` field) must be `bot_token`, or
  `app_token` for `apps.connections.open`; otherwise `{"ok": false, "error": "invalid_auth"}`
  (`not_authed`, `not_allowed_token_type`). Bodies may be JSON, form-encoded or query parameters.
- Methods: `auth.test`, `chat.postMessage` / `chat.update` / `chat.postEphemeral` / `chat.getPermalink`,
  `reactions.add` / `reactions.remove`, `conversations.replies` / `conversations.history`, `users.info`,
  `usergroups.list`, `usergroups.users.list`, `assistant.threads.setStatus`, `apps.connections.open`.
  Posted messages are stored per channel (a user id as channel becomes its DM `D...`), threads keep
  `reply_count`, so the bot reads back what it wrote and what users wrote.
- Seed: `add_user(id, name=, email=)`, `add_usergroup(id, handle=, users=)`, `add_message(channel, text,
  user=, thread_ts=)`, `remember_event(event)` (pushing an event over Socket Mode does this for you).
- Inspect: `calls` (every `ApiCall`: method, params, headers, token, status, response), `calls_to(method)`,
  `messages(channel, thread_ts=None)`, `message(channel, ts)`. Wait, with a bound, for a call answered ok:
  `wait_for_call(method, where=None, timeout=5, **params)`, `wait_for_post(...)`, and `..._async` twins
  that do not block the caller's loop. `**params` match request fields exactly (`thread_ts=ts`).
  `wait_for_answer_async(channel, thread_ts=None)`: the bot's finished answer there, streamed or posted
  (see `slack_answers`).
- Response URLs: `new_response_url()` mints `http://127.0.0.1:PORT/response/<id>`; JSON posted there is in
  `response_url_posts`; `wait_for_response_url_post(url=None, timeout=5)` and its `_async` twin.
- Faults: `fail(method, error, status=200, retry_after=None, times=1)`; `rate_limit(method, retry_after=1)`
  answers 429 with `Retry-After` and `{"ok": false, "error": "ratelimited"}`; `times=None` keeps failing
  until `clear_failures()`.
- Socket Mode: `socket_mode` is the `SocketModeHub` (see `slack_socket_mode`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from . import slack_files, slack_streams, slack_views  # noqa: F401 - they register their Web API methods
from ._threaded_server import Journal, ThreadedServer
from .slack_answers import Answer, answer_ended_by, ends_answer_in
from .slack_payloads import APP_ID, BOT_USER_ID, TEAM_ID, new_ts
from .slack_socket_mode import SocketModeHub
from .slack_workspace import SlackError, Workspace

# Form-encoded requests carry these as JSON strings; decode them so tests read one shape.
_JSON_FIELDS = ("blocks", "attachments", "metadata")


@dataclass(frozen=True)
class ApiCall:
    """One Web API request the double answered."""

    method: str
    params: dict[str, Any]
    headers: CIMultiDictProxy[str]
    token: str | None
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass(frozen=True)
class ResponseUrlPost:
    """A JSON body posted to a response URL (a slash command's or an interaction's)."""

    url: str
    body: dict[str, Any]
    headers: CIMultiDictProxy[str]


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None
    remaining: int | None


class SlackDouble:
    """Slack's Web API, response URLs and Socket Mode for tests; see the module docstring."""

    def __init__(self, *, bot_token: str = "xoxb-test", app_token: str = "xapp-1-test") -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self._lock = threading.RLock()
        self._workspace = Workspace()
        self._failures: dict[str, _Failure] = {}
        self._calls: Journal[ApiCall] = Journal()
        self._response_posts: Journal[ResponseUrlPost] = Journal()
        self._response_urls: set[str] = set()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{hook}", self._response_url)
        app.router.add_post("/upload/{file_id}", slack_files.upload_route(self._workspace, lambda: self.base_url))
        self._server = ThreadedServer(app)
        self.socket_mode = SocketModeHub(APP_ID, self.remember_event)
        self.socket_mode.install(app, self._server)
        self.add_user(BOT_USER_ID, name="abcodex", is_bot=True)

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_url(self) -> str:
        """The Web API base URL, with the trailing slash Slack's SDKs join method names onto."""
        return f"{self._server.base_url}/api/"

    # -- seeding ----------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        email: str | None = None,
        is_bot: bool = False,
        tz: str = "America/Toronto",
    ) -> dict[str, Any]:
        real_name = real_name or name.title()
        profile = {"real_name": real_name, "display_name": name, "email": email, "team": TEAM_ID}
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": real_name,
            "tz": tz,
            "is_admin": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {key: value for key, value in profile.items() if value is not None},
        }
        with self._lock:
            self._workspace.add_user(user)
        return user

    def add_usergroup(
        self, usergroup_id: str, *, handle: str, users: list[str], name: str | None = None
    ) -> dict[str, Any]:
        group = {
            "id": usergroup_id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "name": name or handle.title(),
            "handle": handle,
            "description": "",
            "date_delete": 0,
            "users": list(users),
            "user_count": len(users),
        }
        with self._lock:
            self._workspace.add_usergroup(group)
        return group

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str | None = None,
        ts: str | None = None,
        thread_ts: str | None = None,
        bot_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Store a message as if someone had posted it; returns it (its `ts` included)."""
        message: dict[str, Any] = {"type": "message", "text": text, "ts": ts or new_ts(), "team": TEAM_ID}
        optional = {"user": user, "bot_id": bot_id, "blocks": blocks, "thread_ts": thread_ts}
        message.update({key: value for key, value in optional.items() if value is not None})
        with self._lock:
            self._workspace.store(channel, message)
        return message

    def remember_event(self, event: dict[str, Any]) -> None:
        """Store the message an `app_mention` or `message` event carries, unless already stored."""
        with self._lock:
            self._workspace.remember_event(event)

    # -- inspection -------------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        return self._calls.entries()

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self._calls.entries() if call.method == method]

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """A copy of a channel's messages, oldest first; with `thread_ts`, that thread only."""
        with self._lock:
            return self._workspace.messages(channel, thread_ts)

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            return self._workspace.message(channel, ts)

    @property
    def response_url_posts(self) -> list[ResponseUrlPost]:
        return self._response_posts.entries()

    def wait_for_call(
        self, method: str, where: Callable[[ApiCall], bool] | None = None, timeout: float = 5.0, **params: Any
    ) -> ApiCall:
        """Block until a call to `method` was answered ok and matches; see the module docstring."""
        return self._calls.wait_for(_matching(method, where, params), timeout, _describe(method, params))

    async def wait_for_call_async(
        self,
        method: str,
        where: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
        **params: Any,
    ) -> ApiCall:
        matches = _matching(method, where, params)
        return await self._calls.wait_for_async(matches, timeout, _describe(method, params))

    def wait_for_post(
        self, where: Callable[[ApiCall], bool] | None = None, timeout: float = 5.0, **params: Any
    ) -> ApiCall:
        return self.wait_for_call("chat.postMessage", where, timeout, **params)

    async def wait_for_post_async(
        self,
        where: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
        **params: Any,
    ) -> ApiCall:
        return await self.wait_for_call_async("chat.postMessage", where, timeout, **params)

    async def wait_for_answer_async(
        self,
        channel: str,
        thread_ts: str | None = None,
        *,
        where: Callable[[Answer], bool] | None = None,
        timeout: float = 5.0,
    ) -> Answer:
        """Await the bot's finished answer in `thread_ts` (or at `channel`'s top level), however delivered:
        a stopped stream, or a posted message whose last post or update carries the feedback buttons."""
        place = f"{channel} thread {thread_ts}" if thread_ts else f"{channel} top level"
        call = await self._calls.wait_for_async(
            ends_answer_in(channel, thread_ts, where), timeout, f"finished answer in {place}"
        )
        answer = answer_ended_by(call)
        assert answer is not None  # the call was chosen for ending one
        return answer

    def new_response_url(self) -> str:
        url = f"{self.base_url}/response/{uuid.uuid4().hex}"
        with self._lock:
            self._response_urls.add(url)
        return url

    def wait_for_response_url_post(self, url: str | None = None, timeout: float = 5.0) -> ResponseUrlPost:
        return self._response_posts.wait_for(
            lambda p: url in (None, p.url), timeout, f"post to {url or 'a response URL'}"
        )

    async def wait_for_response_url_post_async(self, url: str | None = None, timeout: float = 5.0) -> ResponseUrlPost:
        return await self._response_posts.wait_for_async(
            lambda p: url in (None, p.url), timeout, f"post to {url or 'a response URL'}"
        )

    # -- faults -----------------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with `error` (forever when `times` is None)."""
        with self._lock:
            self._failures[method] = _Failure(error, status, retry_after, times)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int | None = 1) -> None:
        self.fail(method, "ratelimited", status=429, retry_after=retry_after, times=times)

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    # -- the wire ---------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.pop("token", None)
        headers: dict[str, str] = {}
        try:
            with self._lock:
                self._check_token(method, token)
                self._check_failure(method)
                body = {"ok": True, **self._answer(method, params)}
            status = 200
        except SlackError as error:
            body, status = {"ok": False, "error": error.error}, error.status
            if error.retry_after is not None:
                headers["Retry-After"] = str(error.retry_after)
        call_headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self._calls.append(ApiCall(method, params, call_headers, token, status, body))
        return web.json_response(body, status=status, headers=headers)

    async def _response_url(self, request: web.Request) -> web.Response:
        url = f"{self.base_url}{request.path}"
        with self._lock:
            known = url in self._response_urls
        if not known:
            return web.Response(status=404, text="no_active_hooks")
        body = await request.json()
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self._response_posts.append(ResponseUrlPost(url, body, headers))
        return web.Response(text="ok")

    def _check_token(self, method: str, token: str | None) -> None:
        wanted, other = (
            (self.app_token, self.bot_token) if method == "apps.connections.open" else (self.bot_token, self.app_token)
        )
        if not token:
            raise SlackError("not_authed")
        if token == other:
            raise SlackError("not_allowed_token_type")
        if token != wanted:
            raise SlackError("invalid_auth")

    def _check_failure(self, method: str) -> None:
        failure = self._failures.get(method)
        if failure is None:
            return
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._failures[method]
        raise SlackError(failure.error, failure.status, failure.retry_after)

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"url": self.socket_mode.issue_url()}
        return self._workspace.answer(method, params)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            params[key] = json.loads(value)
    return params


def _matching(
    method: str, where: Callable[[ApiCall], bool] | None, params: dict[str, Any]
) -> Callable[[ApiCall], bool]:
    def matches(call: ApiCall) -> bool:
        fields_match = all(call.params.get(key) == value for key, value in params.items())
        return call.method == method and call.ok and fields_match and (where is None or where(call))

    return matches


def _describe(method: str, params: dict[str, Any]) -> str:
    return f"ok {method} call" + (f" with {params}" if params else "")
