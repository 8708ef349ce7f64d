"""uvicorn as both our processes run it (the gateway and the Slack bot): a signal is a graceful stop.

uvicorn re-raises the captured signal after its graceful shutdown, which ends the process with the signal's
status (143 for SIGTERM); Kubernetes (and our tests) read a drained stop as success, so `DrainingServer`
drains, shuts down and lets the process exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

import uvicorn

SignalHook = Callable[[signal.Signals], object]


class DrainingServer(uvicorn.Server):
    """uvicorn, but a SIGTERM/SIGINT is a normal, graceful stop: drain, shut down, exit 0.

    `on_signal`, when given, runs on the server's event loop as soon as a signal arrives, before the HTTP
    drain: for work that must not wait for it (the bot stops taking Slack work there). A second SIGINT
    forces the exit, as in uvicorn.
    """

    def __init__(self, config: uvicorn.Config, on_signal: SignalHook | None = None) -> None:
        super().__init__(config)
        self._on_signal = on_signal
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread receives signals; a server run elsewhere is stopped with should_exit
            return
        self._loop = asyncio.get_running_loop()
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._on_signal is not None and self._loop is not None:
            # A signal handler interrupts whatever the loop was running; the hook runs as a loop callback.
            self._loop.call_soon_threadsafe(self._on_signal, signal.Signals(sig))
