"""Markdown tables in a streamed answer: held back from the stream, to end as `table` blocks under it."""

from __future__ import annotations

import re

from slack_client.formatting import Table, escape, render_table, split_tables
from slack_client.redact import redact
from slack_client.slack.blocks import fits_table_block

# Where a table was held back from the text; the table itself is a block under the message.
TABLE_PLACEHOLDER = "(table below)"
_FENCE = "```"
_LINE = re.compile(r"[^\n]*\n|[^\n]+")

__all__ = ["TABLE_PLACEHOLDER", "TableHold", "as_code", "code_text"]


def as_code(table: Table) -> str:
    """A table as an aligned code block: its form in text, and its form past a table block's limits."""
    return f"{_FENCE}\n{render_table([list(row) for row in table.rows])}\n{_FENCE}"


def code_text(table: Table) -> str:
    """A held table as a message's plain `text` (for notifications): redacted and escaped, like a posted answer's."""
    return redact(escape(as_code(table)))


class TableHold:
    """Holds back lines that may be a Markdown table, so that a table ends as a block rather than pipe text.

    A line starting with `|` is held: it begins a table when the next line is a `|---|` separator, and
    the table runs on while lines hold a `|`. Held lines that are no table go out as text as soon as that
    is clear; a table that fits a block is kept in `tables` and leaves a placeholder line; one past the
    block's limits goes out as a code block. Nothing inside a code block is held. It sees the model's own
    text, before the redactor, so cells are masked whole (`table_block`) as in a posted answer.
    """

    def __init__(self) -> None:
        self.tables: list[Table] = []
        self._line = ""  # the current line so far
        self._line_out = False  # whether the current line has gone out as text
        self._held: list[str] = []  # whole lines held back
        self._in_fence = False

    def feed(self, text: str) -> str:
        """The text that can go out now; a possible table waits until it ends."""
        return "".join(self._segment(segment) for segment in _LINE.findall(text))

    def flush(self) -> str:
        """Everything still held back: the answer has ended."""
        out = self._whole_line() if self._line and not self._line_out else ""
        self._line, self._line_out = "", False
        return out + self._resolve()

    def _segment(self, segment: str) -> str:
        self._line += segment
        if self._line_out:
            out = segment
        elif segment.endswith("\n"):
            out = self._whole_line()
        elif self._may_continue(self._line.lstrip(), ended=False):
            out = ""
        else:
            out, self._line_out = self._resolve() + self._line, True
        if segment.endswith("\n"):
            self._in_fence ^= self._line.count(_FENCE) % 2 == 1
            self._line, self._line_out = "", False
        return out

    def _whole_line(self) -> str:
        if not self._may_continue(self._line.lstrip(), ended=True):
            return self._resolve() + self._line
        self._held.append(self._line)
        released = []
        while len(self._held) >= 2 and not self._table_open():  # the first held line is no table's header
            released.append(self._held.pop(0))
        return "".join(released)

    def _may_continue(self, start: str, *, ended: bool) -> bool:
        """Whether a line (its text from the first non-space) may belong to a table being held."""
        if self._in_fence:
            return False
        if start.startswith("|"):
            return True
        if self._table_open():  # a table's row need not start with `|`, but it holds one
            return not ended or ("|" in start and bool(start.strip()))
        return not ended and not start

    def _table_open(self) -> bool:
        return len(self._held) >= 2 and isinstance(split_tables("".join(self._held[:2]))[0], Table)

    def _resolve(self) -> str:
        held, self._held = "".join(self._held), []
        return "\n".join(self._part(part) for part in split_tables(held)) if held else ""

    def _part(self, part: str | Table) -> str:
        if isinstance(part, str):
            return part
        if not fits_table_block(part):
            return as_code(part)
        self.tables.append(part)
        return TABLE_PLACEHOLDER
