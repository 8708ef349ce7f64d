"""Event ids as staff type them: `ab4001` means `AB4001`; near misses get suggestions."""

from __future__ import annotations

import re

from mcp_server.errors import InvalidArgument

_EID = re.compile(r"^[A-Z]{2,4}\d{1,6}$")


def eid_or_none(raw: str) -> str | None:
    """The eid `raw` means (upper-cased, without spaces or dashes), or None when it cannot be one."""
    eid = raw.strip().upper().replace(" ", "").replace("-", "")
    return eid if _EID.fullmatch(eid) else None


def normalize_eid(raw: str) -> str:
    """Upper-case and strip an eid; refuse what cannot be one with a sentence the model can act on."""
    eid = eid_or_none(raw)
    if eid is None:
        raise InvalidArgument(
            f"{raw[:40]!r} is not an event id; event ids look like AB4001 (use list_events to search by name or city)."
        )
    return eid


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                best = min(best, previous2[j - 2] + 1)
            current.append(best)
        previous2, previous = previous, current
    return previous[-1]


def _number(eid: str) -> int:
    digits = re.sub(r"\D", "", eid)
    return int(digits) if digits else 0


def closest_eids(eid: str, known: list[str], limit: int = 3) -> list[str]:
    """Known eids one typo away from `eid` (a digit wrong, missing, extra or swapped), nearest number first."""
    near = [candidate for candidate in known if edit_distance(eid, candidate) == 1]
    near.sort(key=lambda candidate: (abs(_number(candidate) - _number(eid)), candidate))
    return near[:limit]
