"""Block Kit for answers (their tables and 👍/👎 feedback) and for actions that need a human's yes.

An answer becomes one or more posts: each of the model's tables becomes a Slack `table` block (one per
message, as Slack allows) after the prose before it; a table past the block's limits stays a code block
in the text, as it was before table blocks. The last post carries the feedback buttons, unless the answer
ends in a payment preview: that is judged by its Confirm/Cancel, and a 👍 beside it invites a mis-click on
a message that moves money. Every post keeps a plain `text` (tables as code blocks) for notifications and
clients that cannot show blocks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextActionsBlock,
    FeedbackButtonsElement,
    MarkdownTextObject,
    SectionBlock,
    TableBlock,
)
from slack_sdk.models.blocks.basic_components import FeedbackButtonObject, RawTextObject, TableBlockColumnSettings

from slack_client.confirmations import ConfirmResult
from slack_client.formatting import (
    SLACK_TEXT_LIMIT,
    Table,
    escape,
    escape_keep_mentions,
    is_numeric,
    split_message,
    split_tables,
    to_mrkdwn,
    truncate,
)
from slack_client.models import PendingConfirmation
from slack_client.redact import redact

CONFIRM_ACTION = "abcodex_confirm"
CANCEL_ACTION = "abcodex_cancel"
FEEDBACK_ACTION = "abcodex_feedback"
FEEDBACK_VERDICTS = ("good", "bad")
# Slack's limits: a section's text, a table's rows (header included) and columns.
SECTION_TEXT_LIMIT = 3000
TABLE_MAX_ROWS = 100
TABLE_MAX_COLUMNS = 20
_EMPTY_CELL = "–"  # a raw_text cell needs at least one character
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


@dataclass(frozen=True, slots=True)
class Post:
    """One message of an answer: its text (always) and its blocks (when it has a table or feedback)."""

    text: str
    blocks: list[dict[str, Any]] | None = None


def answer_posts(markdown: str, request_id: str, *, feedback: bool = True) -> list[Post]:
    """The model's Markdown answer as Slack posts, redacted; with `feedback`, the last has 👍/👎 for `request_id`."""
    posts: list[Post] = []
    prose: list[str] = []
    for part in split_tables(markdown):
        if isinstance(part, Table) and fits_table_block(part):
            posts.extend(_with_table("\n".join(prose), part))
            prose = []
        else:
            prose.append(part.markdown if isinstance(part, Table) else part)
    tail = _pieces("\n".join(prose))
    posts.extend(Post(piece) for piece in tail)
    posts = posts or [Post("(no answer)")]
    return _with_feedback(posts, request_id) if feedback else posts


def fits_table_block(table: Table) -> bool:
    return len(table.rows) <= TABLE_MAX_ROWS and table.width <= TABLE_MAX_COLUMNS


def table_block(table: Table) -> dict[str, Any]:
    """A `table` block: the header row first, numeric columns aligned right, every cell redacted."""
    body = table.rows[1:]
    aligns = [
        "right" if body and all(is_numeric(row[col]) for row in body if row[col]) else "left"
        for col in range(table.width)
    ]
    rows = [[RawTextObject(text=redact(cell) or _EMPTY_CELL) for cell in row] for row in table.rows]
    settings = [TableBlockColumnSettings(align=align) for align in aligns]
    return TableBlock(rows=rows, column_settings=settings).to_dict()


def feedback_block(request_id: str) -> dict[str, Any]:
    """👍/👎 under an answer; each button's value names the verdict and the answer's request id."""
    good, bad = (f"{verdict}:{request_id}" for verdict in FEEDBACK_VERDICTS)
    buttons = FeedbackButtonsElement(
        action_id=FEEDBACK_ACTION,
        positive_button=FeedbackButtonObject(text="👍", value=good, accessibility_label="This answer helped"),
        negative_button=FeedbackButtonObject(text="👎", value=bad, accessibility_label="This answer did not help"),
    )
    return ContextActionsBlock(elements=[buttons], block_id=f"feedback_{request_id}").to_dict()


def _pieces(markdown: str) -> list[str]:
    # Pieces that may carry blocks must fit a section block.
    return split_message(redact(to_mrkdwn(markdown)), SECTION_TEXT_LIMIT) if markdown.strip() else []


def _section(text: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=text)).to_dict()


def _with_table(prose: str, table: Table) -> list[Post]:
    pieces = _pieces(prose)
    lead = pieces.pop() if pieces else ""
    as_code = redact(to_mrkdwn(table.markdown))
    blocks = [*([_section(lead)] if lead else []), table_block(table)]
    fallback = truncate(f"{lead}\n{as_code}".strip(), SLACK_TEXT_LIMIT)
    return [*(Post(piece) for piece in pieces), Post(fallback, blocks)]


def _with_feedback(posts: list[Post], request_id: str) -> list[Post]:
    last = posts[-1]
    blocks = last.blocks if last.blocks is not None else [_section(last.text)]
    return [*posts[:-1], Post(last.text, [*blocks, feedback_block(request_id)])]
