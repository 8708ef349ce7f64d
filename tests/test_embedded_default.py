"""`make run`'s promise: no DATABASE_URL means a private Postgres with demo data, created on first run, that
only the user running it can reach (the suite's own scratch cluster is the same code, so it is checked here)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

from mcp_server.repository.embedded import EmbeddedPostgres
from tests.support.gateway import mcp_client
from tests.support.postgres import PostgresForTests
from tests.support.process import free_port, gateway_process


@pytest.mark.slow
async def test_the_embedded_default_starts_with_demo_data_and_a_token():
    data_dir = Path(tempfile.mkdtemp(prefix="abcodex-embedded-"))
    data_dir.chmod(0o755)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MCP_GATEWAY", "DATABASE_URL", "STRIPE_"))
    }
    env.update({"ABCODEX_DATA_DIR": str(data_dir), "MCP_GATEWAY_PORT": str(free_port()), "LOG_FORMAT": "json"})
    try:
        for run in ("first", "second"):  # the second start reuses the cluster, the data and the token
            with gateway_process(env) as gateway:
                token = (data_dir / "gateway-token").read_text().strip()
                async with mcp_client(gateway.url, token) as client:
                    result = await client.call_tool("get_live_voting_status", {"eid": "ab4001", "round": 2})
                assert result.structured_content["rounds"][0]["leader"]["artist_name"] == "Grace Liu", run
                gateway.signal(signal.SIGTERM)
                assert gateway.wait() == 0
                output = gateway.output()
                assert f"token:    {token}" in output and "http://127.0.0.1:" in output
                assert ('"created": true' in output) == (run == "first")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _socket(server: EmbeddedPostgres) -> Path:
    (socket,) = server.socket_dir.glob(".s.PGSQL.*[0-9]")
    return socket


def test_the_socket_and_its_directory_belong_to_the_clusters_user_alone(postgres: PostgresForTests):
    server = postgres.server
    owner = pwd.getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    for path in (server.cluster_dir, server.socket_dir, _socket(server)):
        assert (_mode(path), path.stat().st_uid) == (0o700, owner), path
    assert stat.S_ISSOCK(_socket(server).stat().st_mode)


def test_pg_hba_admits_peer_connections_over_the_socket_only(postgres: PostgresForTests):
    hba = (postgres.server.data_dir / "pg_hba.conf").read_text()
    rules = [line.split() for line in hba.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert rules
    assert all(rule[0] == "local" for rule in rules), "no host, hostssl or hostnossl (TCP) rules"
    assert all(rule[3] == "peer" for rule in rules), "no trust, which any local user could use"


async def test_the_cluster_listens_on_no_tcp_address(postgres: PostgresForTests):
    connection = await asyncpg.connect(postgres.server.dsn())
    try:
        assert await connection.fetchval("SHOW listen_addresses") == ""
        assert await connection.fetchval("SHOW unix_socket_permissions") == "0700"
    finally:
        await connection.close()


def test_another_os_user_cannot_open_the_socket(postgres: PostgresForTests):
    if os.geteuid() != 0 or not shutil.which("runuser") or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root, runuser and /usr/bin/python3 to act as another user")
    connect = f"import socket; socket.socket(socket.AF_UNIX).connect({str(_socket(postgres.server))!r})"
    attempt = subprocess.run(
        ["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", connect],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert attempt.returncode != 0
    assert "PermissionError" in attempt.stderr
