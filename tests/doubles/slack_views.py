"""The Slack double's views, assistant threads (suggested prompts, titles) and the table and feedback blocks.

- `views.publish` (a Home view for a known user), `assistant.threads.setSuggestedPrompts` (one to four
  prompts, each a `title` and a `message`) and `assistant.threads.setTitle`.
- `chat.postMessage` and `chat.update` check their blocks as Slack documents them before storing the
  message, answering `invalid_blocks` otherwise: a `table` holds 1 to 100 rows of at most 20 cells
  (`raw_text` with text, `rich_text` or `raw_number`), `column_settings` at most 20 (align left, center
  or right), one table per message; a `context_actions` block holds 1 to 5 `feedback_buttons` or
  `icon_button` elements, each feedback button a `plain_text` text of at most 75 characters and a value
  of at most 2000; a section's text is at most 3000 characters; a message has at most 50 blocks and a
  Home view 100.
"""

from __future__ import annotations

import json
from typing import Any

from .slack_payloads import new_id
from .slack_workspace import SlackError, Workspace, register_handlers

MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
_CELL_TYPES = frozenset({"raw_text", "rich_text", "raw_number"})
_ALIGNS = frozenset({"left", "center", "right"})


def check_blocks(blocks: Any, limit: int = MESSAGE_BLOCKS) -> None:
    """Refuse blocks Slack would refuse (for the kinds this bot sends); see the module docstring."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise SlackError("invalid_blocks")
    if sum(1 for block in blocks if isinstance(block, dict) and block.get("type") == "table") > 1:
        raise SlackError("invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict):
            raise SlackError("invalid_blocks")
        check = _CHECKS.get(str(block.get("type")))
        if check is not None and not check(block):
            raise SlackError("invalid_blocks")


def _table_ok(block: dict[str, Any]) -> bool:
    rows = block.get("rows")
    if not isinstance(rows, list) or not 1 <= len(rows) <= 100:
        return False
    if not all(isinstance(row, list) and 1 <= len(row) <= 20 and all(map(_cell_ok, row)) for row in rows):
        return False
    settings = block.get("column_settings", [])
    return isinstance(settings, list) and len(settings) <= 20 and all(map(_column_ok, settings))


def _cell_ok(cell: Any) -> bool:
    if not isinstance(cell, dict) or cell.get("type") not in _CELL_TYPES:
        return False
    return cell["type"] != "raw_text" or (isinstance(cell.get("text"), str) and len(cell["text"]) >= 1)


def _column_ok(setting: Any) -> bool:
    if setting is None:
        return True
    return isinstance(setting, dict) and setting.get("align", "left") in _ALIGNS


def _context_actions_ok(block: dict[str, Any]) -> bool:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
        return False
    return all(isinstance(e, dict) and _element_ok(e) for e in elements)


def _element_ok(element: dict[str, Any]) -> bool:
    if element.get("type") == "icon_button":
        return True
    if element.get("type") != "feedback_buttons":
        return False
    return all(_feedback_button_ok(element.get(side)) for side in ("positive_button", "negative_button"))


def _feedback_button_ok(button: Any) -> bool:
    if not isinstance(button, dict):
        return False
    text, value = button.get("text") or {}, button.get("value")
    text_ok = text.get("type") == "plain_text" and 1 <= len(str(text.get("text") or "")) <= 75
    return text_ok and isinstance(value, str) and 1 <= len(value) <= 2000


def _section_ok(block: dict[str, Any]) -> bool:
    text = block.get("text")
    if text is None:
        return bool(block.get("fields"))
    return isinstance(text, dict) and 1 <= len(str(text.get("text") or "")) <= 3000


_CHECKS = {"table": _table_ok, "context_actions": _context_actions_ok, "section": _section_ok}


def _json(value: Any) -> Any:
    # Form-encoded calls carry structured arguments as JSON strings.
    return json.loads(value) if isinstance(value, str) and value[:1] in ("[", "{") else value


def _with_checked_blocks(method: Any) -> Any:
    def answer(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
        if "blocks" in params:
            check_blocks(_json(params["blocks"]))
        result: dict[str, Any] = method(workspace, params)
        return result

    return answer


def _views_publish(workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if str(params.get("user_id")) not in workspace.users:
        raise SlackError("user_not_found")
    view = _json(params.get("view"))
    if not isinstance(view, dict) or view.get("type") != "home":
        raise SlackError("invalid_arguments")
    check_blocks(view.get("blocks"), HOME_BLOCKS)
    return {"view": {"id": new_id("V0"), "team_id": "", **view}}


def _set_suggested_prompts(_workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    prompts = _json(params.get("prompts"))
    if not params.get("channel_id") or not params.get("thread_ts"):
        raise SlackError("invalid_arguments")
    if not isinstance(prompts, list) or not 1 <= len(prompts) <= 4:
        raise SlackError("invalid_arguments")
    if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
        raise SlackError("invalid_arguments")
    return {}


def _set_title(_workspace: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if not (params.get("channel_id") and params.get("thread_ts") and params.get("title")):
        raise SlackError("invalid_arguments")
    return {}


register_handlers(
    {
        "views.publish": _views_publish,
        "assistant.threads.setSuggestedPrompts": _set_suggested_prompts,
        "assistant.threads.setTitle": _set_title,
        "chat.postMessage": _with_checked_blocks(Workspace._chat_post_message),
        "chat.update": _with_checked_blocks(Workspace._chat_update),
    }
)
