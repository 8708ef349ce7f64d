"""Block Kit for actions that need a human's yes: the preview with Confirm/Cancel, and its outcome."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_client.confirmations import ConfirmResult
from slack_client.formatting import escape, escape_keep_mentions
from slack_client.models import PendingConfirmation

CONFIRM_ACTION = "abcodex_confirm"
CANCEL_ACTION = "abcodex_cancel"
_MAX_FIELDS = 10
_OUTCOME_ICONS = {
    "done": ":white_check_mark:",
    "failed": ":x:",
    "cancelled": ":no_entry_sign:",
    "expired": ":hourglass:",
}


def _text(text: str, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text}


def preview_fields(preview: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The preview's values as Block Kit fields (`*Label*` over the value), escaped: they are data."""
    fields = []
    for key, value in list(preview.items())[:_MAX_FIELDS]:
        shown = json.dumps(value, default=str) if isinstance(value, Mapping | list) else str(value)
        fields.append(_text(f"*{escape(key.replace('_', ' ').capitalize())}*\n{escape(shown)[:1900]}"))
    return fields


def _summary(pending: PendingConfirmation) -> list[dict[str, Any]]:
    title = f"*{escape(pending.tool.replace('_', ' ').capitalize())}*: please review."
    blocks: list[dict[str, Any]] = [{"type": "section", "text": _text(title)}]
    fields = preview_fields(pending.preview)
    if fields:
        blocks.append({"type": "section", "fields": fields})
    return blocks


def confirmation_blocks(pending: PendingConfirmation, button_value: str) -> list[dict[str, Any]]:
    """The preview with Confirm / Cancel buttons; only the requester's click counts.

    Both buttons carry `button_value` (what `Confirmations.add()` returned): sealed, any replica can act on it.
    """
    expiry = int(pending.expires_at)
    note = f"Requested by <@{pending.actor.user_id}>; only they can confirm. Expires <!date^{expiry}^{{time}}|soon>."
    confirm = {
        "type": "button",
        "action_id": CONFIRM_ACTION,
        "value": button_value,
        "style": "primary",
        "text": _text("Confirm", "plain_text"),
        "confirm": {
            "title": _text("Are you sure?", "plain_text"),
            "text": _text("This cannot be undone.", "plain_text"),
            "confirm": _text("Yes, do it", "plain_text"),
            "deny": _text("Not yet", "plain_text"),
        },
    }
    cancel = {
        "type": "button",
        "action_id": CANCEL_ACTION,
        "value": button_value,
        "text": _text("Cancel", "plain_text"),
    }
    return [
        *_summary(pending),
        {"type": "context", "elements": [_text(note)]},
        {"type": "actions", "block_id": f"confirm_{pending.id[:8]}", "elements": [confirm, cancel]},
    ]


def outcome_blocks(result: ConfirmResult) -> list[dict[str, Any]]:
    """The same preview without buttons, and what happened."""
    icon = _OUTCOME_ICONS.get(result.verdict, ":information_source:")
    blocks = _summary(result.pending) if result.pending is not None else []
    return [*blocks, {"type": "context", "elements": [_text(f"{icon} {escape_keep_mentions(result.message)}")]}]
