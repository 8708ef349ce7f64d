"""process_artist_payment as an MCP tool (wired in the next step)."""

from __future__ import annotations

from typing import Any

PAYMENT_TOOL = "process_artist_payment"


def register_payment_tools(server: Any) -> None:
    raise NotImplementedError("payments are being wired")


def start_payments(settings: Any, services: Any) -> Any:
    raise NotImplementedError("payments are being wired")
