"""Turn the model's Markdown into Slack mrkdwn, and split long answers into postable pieces.

Slack's mrkdwn is not Markdown: `*bold*`, `_italic_`, `<url|text>` links, no headings and no tables.
`split_tables` finds the model's tables so they can become Slack `table` blocks (`slack.blocks`); in
plain text they become aligned code blocks. `&`, `<` and `>` are escaped so the model (or a tool result
it quotes) cannot ping `@channel` or forge links; only plain user mentions (`<@U123>`) survive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SLACK_TEXT_LIMIT = 3500
_FENCE = "```"
_USER_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]{2,})&gt;")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NUMERIC = re.compile(r"^[-+$€£]?[\d,.]+%?( [A-Z]{3})?$")


def escape(text: str) -> str:
    """Escape the three characters Slack treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_keep_mentions(text: str) -> str:
    """Escape `text` but keep plain user mentions (`<@U123>`) working."""
    return _USER_MENTION.sub(r"<@\1>", escape(text))


def to_mrkdwn(markdown: str) -> str:
    """Convert Markdown to Slack mrkdwn, leaving code blocks as they are (escaped)."""
    out: list[str] = []
    for index, segment in enumerate(markdown.split(_FENCE)):
        if index % 2 == 1:
            out.append(_FENCE + escape(segment) + _FENCE)
        else:
            out.append(_prose(segment))
    if len(out) % 2 == 0:  # an unterminated fence: close it so the rest doesn't run together
        out.append(_FENCE)
    return "".join(out).strip()


def _prose(text: str) -> str:
    lines = _tables_to_code(escape(text).split("\n"))
    return "\n".join(line if line.startswith(_FENCE) else _inline(line) for line in lines)


def _inline(line: str) -> str:
    parts = line.split("`")
    for index in range(0, len(parts), 2):  # even parts are outside inline code
        parts[index] = _inline_prose(parts[index])
    return "`".join(parts)


def _inline_prose(text: str) -> str:
    text = re.sub(r"^(\s*)[-*+]\s+", r"\1• ", text)
    text = re.sub(r"(?<![*\w])\*(?!\*|\s)(.+?)(?<!\s|\*)\*(?![*\w])", r"_\1_", text)
    text = re.sub(r"^(\s*)#{1,6}\s+(.+?)\s*#*$", r"\1*\2*", text)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"*{m.group(1) or m.group(2)}*", text)
    text = re.sub(r"~~(.+?)~~", r"~\1~", text)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)
    return _USER_MENTION.sub(r"<@\1>", text)


@dataclass(frozen=True, slots=True)
class Table:
    """A Markdown table the model wrote: its rows (the header first, all the same width) and its source."""

    rows: tuple[tuple[str, ...], ...]
    markdown: str

    @property
    def width(self) -> int:
        return len(self.rows[0])


def split_tables(markdown: str) -> list[str | Table]:
    """The answer in order as Markdown prose and the tables in it; a table inside a code block stays prose."""
    lines = markdown.split("\n")
    parts: list[str | Table] = []
    prose: list[str] = []
    index, in_fence = 0, False
    while index < len(lines):
        found = None if in_fence else _table_at(lines, index)
        if found is None:
            in_fence ^= lines[index].count(_FENCE) % 2 == 1
            prose.append(lines[index])
            index += 1
            continue
        rows, end = found
        if prose:
            parts.append("\n".join(prose))
            prose = []
        parts.append(Table(_padded(rows), "\n".join(lines[index:end])))
        index = end
    if prose:
        parts.append("\n".join(prose))
    return parts


def _table_at(lines: list[str], index: int) -> tuple[list[list[str]], int] | None:
    """The table starting at `lines[index]` (header, separator, body) and the index after it."""
    if not (index + 1 < len(lines) and "|" in lines[index] and _TABLE_SEPARATOR.match(lines[index + 1])):
        return None
    rows = [_cells(lines[index])]
    end = index + 2
    while end < len(lines) and "|" in lines[end] and lines[end].strip():
        rows.append(_cells(lines[end]))
        end += 1
    return rows, end


def _padded(rows: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    width = max(len(row) for row in rows)
    return tuple(tuple(row + [""] * (width - len(row))) for row in rows)


def is_numeric(cell: str) -> bool:
    """Whether a table cell holds a number or an amount (such columns align right)."""
    return bool(_NUMERIC.match(cell))


def _tables_to_code(lines: list[str]) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(lines):
        found = _table_at(lines, index)
        if found is None:
            out.append(lines[index])
            index += 1
            continue
        rows, index = found
        out.append(_FENCE + "\n" + render_table(rows) + "\n" + _FENCE)
    return out


def _cells(line: str) -> list[str]:
    line = line.strip().removeprefix("|").removesuffix("|")
    return [re.sub(r"\*\*|__", "", cell.strip()) for cell in line.split("|")]


def render_table(rows: list[list[str]]) -> str:
    """Align a table in monospace; numeric cells right-aligned."""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    sizes = [max(len(row[col]) for row in rows) for col in range(width)]
    lines = []
    for row in rows:
        cells = [c.rjust(s) if _NUMERIC.match(c) else c.ljust(s) for c, s in zip(row, sizes, strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def split_message(text: str, limit: int = SLACK_TEXT_LIMIT) -> list[str]:
    """Split `text` into pieces of at most `limit` characters at paragraph, then line, boundaries.

    A code block cut in two is closed at the end of one piece and reopened at the start of the next.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    in_fence = False
    for line in _short_lines(text, limit - 2 * len(_FENCE) - 2):
        reserve = len(_FENCE) + 1 if in_fence or line.startswith(_FENCE) else 0
        if current and size + len(line) + 1 + reserve > limit:
            chunks.append(_close("\n".join(current), in_fence))
            current, size = ([_FENCE], len(_FENCE) + 1) if in_fence else ([], 0)
            current, size = _carry_paragraph(chunks, current, size, in_fence)
        current.append(line)
        size += len(line) + 1
        if line.startswith(_FENCE):
            in_fence = not in_fence
    if current:
        chunks.append("\n".join(current))
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


def _close(chunk: str, in_fence: bool) -> str:
    return chunk + "\n" + _FENCE if in_fence else chunk


def _carry_paragraph(chunks: list[str], current: list[str], size: int, in_fence: bool) -> tuple[list[str], int]:
    # Move the last, unfinished paragraph of the flushed piece over, so a paragraph isn't cut mid-way.
    if in_fence:
        return current, size
    last = chunks[-1]
    if last.endswith("\n"):  # the piece already ends at a paragraph boundary
        return current, size
    cut = last.rfind("\n\n")
    if cut <= len(last) // 2 or _FENCE in last[cut:]:
        return current, size
    chunks[-1] = last[:cut]
    moved = last[cut + 2 :].split("\n")
    return moved + current, size + sum(len(line) + 1 for line in moved)


def _short_lines(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            lines.append(line[:cut])
            line = line[cut:].lstrip(" ")
        lines.append(line)
    return lines


def truncate(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, saying so."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 40)].rstrip() + "\n… (answer shortened)"
