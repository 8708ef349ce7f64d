"""A real aiohttp server on 127.0.0.1 in a background thread, and a journal a test can wait on.

`ThreadedServer(app)` binds an ephemeral port on `start()`, serves `app` on its own event loop in a
daemon thread until `stop()`, and runs a coroutine on that loop from any thread with `run(coro)`.
Because the server owns its loop, a double works the same from sync tests, async tests and subprocesses.

`Journal` is the thread-safe list a double records into. `wait_for(where, timeout)` blocks the calling
thread; `wait_for_async(where, timeout)` awaits without blocking the caller's event loop (use it when
the code under test runs on that loop). Both return the first matching entry, including one recorded
before the call, and raise `TimeoutError` listing what did arrive. The async waits take `timeout` like
their sync twins so that every wait is bounded even when a test forgets to bound it (hence the
ASYNC109 waivers on them).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from aiohttp import web

T = TypeVar("T")
_START_TIMEOUT = 5.0


class ThreadedServer:
    """Serve an aiohttp application on 127.0.0.1 from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the test double is not running; use it as a context manager")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving; returns once the socket accepts connections."""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._port = int(self._sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, name=f"double-{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            self.stop()
            raise TimeoutError(f"test double on port {self.port} did not start")
        if self._startup_error is not None:
            self.stop()
            raise RuntimeError("test double failed to start") from self._startup_error

    def stop(self) -> None:
        """Close open connections, stop the loop and join the thread."""
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(_START_TIMEOUT)
        if self._sock is not None:
            self._sock.close()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        """Run `coro` on the server's loop from another thread and return its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the test double is not running; use it as a context manager")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as error:  # reported to start(), which the test is blocked in
            self._startup_error = error
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            assert self._sock is not None
            await web.SockSite(runner, self._sock).start()
            self._ready.set()
            await self._stopping.wait()
        finally:
            await runner.cleanup()


class Journal(Generic[T]):
    """A thread-safe record of what a double received, with bounded waits for an entry."""

    def __init__(self) -> None:
        self._entries: list[T] = []
        self._changed = threading.Condition()
        self._listeners: set[Callable[[], None]] = set()

    def append(self, entry: T) -> None:
        with self._changed:
            self._entries.append(entry)
            self._changed.notify_all()
            listeners = list(self._listeners)
        for wake in listeners:
            wake()

    def entries(self) -> list[T]:
        """A snapshot of every entry so far, oldest first."""
        with self._changed:
            return list(self._entries)

    def clear(self) -> None:
        with self._changed:
            self._entries.clear()

    def find(self, where: Callable[[T], bool]) -> T | None:
        with self._changed:
            return next((entry for entry in self._entries if where(entry)), None)

    def wait_for(self, where: Callable[[T], bool], timeout: float, what: str) -> T:
        """Block until an entry matches `where`; raise `TimeoutError` after `timeout` seconds."""
        with self._changed:
            found = self._changed.wait_for(lambda: self.find(where), timeout)
        if found is None:
            raise self._timeout(what, timeout)
        return found

    async def wait_for_async(self, where: Callable[[T], bool], timeout: float, what: str) -> T:
        """Await an entry matching `where` without blocking the caller's event loop."""
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the caller's loop closed while we were recording
                loop.call_soon_threadsafe(changed.set)

        with self._changed:
            self._listeners.add(wake)
        try:
            async with asyncio.timeout(timeout):
                while (found := self.find(where)) is None:
                    await changed.wait()
                    changed.clear()
                return found
        except TimeoutError:
            raise self._timeout(what, timeout) from None
        finally:
            with self._changed:
                self._listeners.discard(wake)

    def _timeout(self, what: str, timeout: float) -> TimeoutError:
        seen = "\n  ".join(repr(entry) for entry in self.entries()[-10:]) or "nothing"
        return TimeoutError(f"no {what} within {timeout}s; last recorded:\n  {seen}")
