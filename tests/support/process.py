"""The gateway as a real OS process (for signals and crashes), and its commands."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx2

GATEWAY = [sys.executable, "-m", "mcp_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gateway_env(database_url: str, token: str, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MCP_GATEWAY", "STRIPE_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "MCP_GATEWAY_AUTH_TOKEN": token,
            "MCP_GATEWAY_PORT": str(port),
            "LOG_FORMAT": "json",
        }
    )
    env.update(extra or {})
    return env


@dataclass
class GatewayProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"{self.base_url}/mcp"

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 20) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Bounded wait for the process to answer its liveness probe (it must bind a port first)."""
    deadline = time.monotonic() + timeout
    with httpx2.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited with {process.returncode}")
            try:
                if client.get(f"{base_url}/healthz").status_code == 200:
                    return
            except httpx2.TransportError:
                time.sleep(0.05)
    raise TimeoutError("gateway did not become healthy")


@contextmanager
def gateway_process(env: Mapping[str, str]) -> Iterator[GatewayProcess]:
    log = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe (a chatty process never blocks); closed below
    process = subprocess.Popen(GATEWAY, env=dict(env), stdout=subprocess.DEVNULL, stderr=log)
    running = GatewayProcess(process, f"http://127.0.0.1:{env['MCP_GATEWAY_PORT']}", log)
    try:
        wait_until_healthy(running.base_url, process)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def run_command(args: list[str], env: Mapping[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATEWAY, *args], env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
