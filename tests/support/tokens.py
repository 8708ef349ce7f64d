"""A tokens file (`MCP_GATEWAY_TOKENS_FILE`) for tests: one client per name, each with a fresh token."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from pathlib import Path


def tokens_file(
    directory: Path, scopes: Mapping[str, list[str]], trusted: Collection[str] = ()
) -> tuple[Path, dict[str, str]]:
    """Write the file; returns its path and each client's token by name."""
    tokens = {name: secrets.token_urlsafe(16) for name in scopes}
    lines = ["clients:"]
    for name, granted in scopes.items():
        digest = hashlib.sha256(tokens[name].encode()).hexdigest()
        lines += [f"  - name: {name}", f"    token_sha256: {digest}", f"    scopes: {granted}"]
        lines += ["    trusted: true"] if name in trusted else []
    path = directory / "tokens.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, tokens
