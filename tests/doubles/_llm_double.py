"""What the OpenAI and Anthropic doubles share: lifecycle, the script, the request journal, faults.

A provider double subclasses `ScriptedLlmDouble` and supplies how it checks credentials, validates a
body the way its API would, records a request, formats an error, writes a reply and pages its model
list (`GET /v1/models`, answered from `models`; each listing is counted in `model_listings`, apart
from the scripted requests). The shared control API is described in `openai_api` and `anthropic_api`.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from ._threaded_server import Journal, ThreadedServer
from .llm_script import Script, ScriptItem, Turn


@dataclass(frozen=True)
class RecordedLlmRequest:
    """One request an LLM double received, numbered from 1 (each provider adds its own views)."""

    number: int
    body: dict[str, Any]
    headers: CIMultiDictProxy[str]

    @property
    def model(self) -> str:
        return str(self.body.get("model"))

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])


R = TypeVar("R")


@dataclass
class _Failure:
    status: int
    message: str
    headers: dict[str, str]
    remaining: int | None


class ScriptedLlmDouble(Generic[R]):
    """An LLM API on 127.0.0.1 that plays a script of turns and records every request."""

    route = "/"
    models_route = "/v1/models"
    default_models: tuple[str, ...] = ()

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.models: list[str] = list(self.default_models)
        self._script: Script[R] = Script()
        self._requests: Journal[R] = Journal()
        self._listings: Journal[dict[str, str]] = Journal()
        self._failures: deque[_Failure] = deque()
        self.script_errors: list[BaseException] = []
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post(self.route, self._handle)
        app.router.add_get(self.models_route, self._list_models)
        self._server = ThreadedServer(app)

    def __enter__(self) -> Self:
        self._server.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.stop()

    # -- control ----------------------------------------------------------------------------------

    def script(self, *items: ScriptItem[R]) -> None:
        """Queue the turns to play, one per request: `Turn`s or callables of the recorded request."""
        self._script.extend(items)

    @property
    def turns_left(self) -> int:
        return self._script.remaining()

    def fail(
        self,
        status: int = 500,
        message: str = "The server had an error while processing your request.",
        *,
        times: int | None = 1,
        retry_after_ms: int | None = None,
        should_retry: bool | None = None,
    ) -> None:
        """Answer the next `times` requests with an API error (the SDK retries 408/409/429/5xx)."""
        headers = {}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        if should_retry is not None:
            headers["x-should-retry"] = "true" if should_retry else "false"
        self._failures.append(_Failure(status, message, headers, times))

    # -- inspection -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[R]:
        return self._requests.entries()

    @property
    def model_listings(self) -> int:
        """How many `GET /v1/models` requests carried the right key and were answered."""
        return len(self._listings.entries())

    def wait_for_request(self, count: int = 1, timeout: float = 5.0) -> R:
        """Block until `count` requests arrived; returns the `count`-th."""
        return self._requests.wait_for(lambda r: _number(r) == count, timeout, f"request #{count}")

    async def wait_for_request_async(self, count: int = 1, timeout: float = 5.0) -> R:
        return await self._requests.wait_for_async(lambda r: _number(r) == count, timeout, f"request #{count}")

    # -- provider hooks ---------------------------------------------------------------------------

    def _authorized(self, headers: CIMultiDictProxy[str]) -> bool:
        raise NotImplementedError

    def _invalid(self, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> str | None:
        """The API's 400 message for this body, or None when it would accept it."""
        raise NotImplementedError

    def _record(self, number: int, body: dict[str, Any], headers: CIMultiDictProxy[str]) -> R:
        raise NotImplementedError

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
        raise NotImplementedError

    def _key_refusal(self, headers: CIMultiDictProxy[str]) -> str:
        """The API's 401 message for a missing or wrong key."""
        raise NotImplementedError

    def _models_page(self, query: dict[str, str]) -> dict[str, Any]:
        """One page of `models`, shaped as the API pages its model list."""
        raise NotImplementedError

    async def _reply(self, http: web.Request, request: R, turn: Turn) -> web.StreamResponse:
        raise NotImplementedError

    # -- the wire ---------------------------------------------------------------------------------

    async def _handle(self, http: web.Request) -> web.StreamResponse:
        headers = CIMultiDictProxy(CIMultiDict(http.headers))
        if not self._authorized(headers):
            return self._error(401, self._key_refusal(headers))
        try:
            body = await http.json()
        except json.JSONDecodeError:
            return self._error(400, "We could not parse the JSON body of your request.")
        request = self._record(len(self._requests.entries()) + 1, body, headers)
        self._requests.append(request)
        problem = self._invalid(body, headers)
        if problem is not None:
            return self._error(400, problem)
        failure = self._take_failure()
        if failure is not None:
            return self._error(failure.status, failure.message, failure.headers)
        try:
            turn = self._script.next_turn(request)
        except Exception as error:  # a broken script callable is the test's bug; show it, don't retry
            self.script_errors.append(error)
            return self._error(400, f"LLM double: the scripted callable raised {error!r}")
        if turn is None:
            return self._error(400, f"LLM double: the script has no turn left for request #{_number(request)}")
        return await self._reply(http, request, turn)

    async def _list_models(self, http: web.Request) -> web.StreamResponse:
        headers = CIMultiDictProxy(CIMultiDict(http.headers))
        if not self._authorized(headers):
            return self._error(401, self._key_refusal(headers))
        query = dict(http.query)
        self._listings.append(query)
        return web.json_response(self._models_page(query))

    def _take_failure(self) -> _Failure | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.popleft()
        return failure


def _number(request: Any) -> int:
    return int(request.number)


async def write_sse(http: web.Request, events: list[bytes], headers: dict[str, str]) -> web.StreamResponse:
    """Stream already-encoded server-sent events, one write each, as a provider does."""
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", **headers}
    )
    await response.prepare(http)
    for event in events:
        await response.write(event)
    await response.write_eof()
    return response
