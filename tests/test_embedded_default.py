"""`make run`'s promise: no DATABASE_URL means a private Postgres with demo data, created on first run."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from tests.support.gateway import mcp_client
from tests.support.process import free_port, gateway_process

pytestmark = pytest.mark.slow


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
