"""How an event did, for the whole event or per round or artist: works by status, sales per currency with the
top sale and the artists' share, bids and bidders, votes and voters.

Sold means status `sold` or `paid`, whatever the price columns hold; a sale's value is the final price, or the
current bid where the final price is empty. Sums of works (counts, sales) add up per group; unique bidders and
voters do not, so the repository counts them per grouping set.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from mcp_server.domain import models_event_ops as m
from mcp_server.domain.masking import mask_text
from mcp_server.repository.rows_event_ops import ActivitySetRow, SummaryRow, SummaryWorkRow

SOLD = frozenset({"sold", "paid"})
_GroupKey = int | str | None


def is_sold(status: str | None) -> bool:
    return status in SOLD


def currency_sales(works: Iterable[SummaryWorkRow], portion: Decimal) -> list[m.CurrencySales]:
    """Sold works per currency: count, total, the artists' share, and the top sale (never across currencies)."""
    by_currency: dict[str | None, list[SummaryWorkRow]] = defaultdict(list)
    for work in works:
        if is_sold(work.status):
            by_currency[work.currency].append(work)
    lines = []
    for currency, sold in sorted(by_currency.items(), key=lambda item: item[0] or ""):
        total = sum((w.value for w in sold), Decimal(0))
        top = max(sold, key=lambda w: w.value)
        lines.append(
            m.CurrencySales(
                currency=currency,
                works_sold=len(sold),
                sales_total=total,
                artists_share=total * portion,
                top_sale=m.TopSale(
                    art_code=top.art_code,
                    artist_name=mask_text(top.artist_name) if top.artist_name else None,
                    amount=top.value,
                ),
            )
        )
    return lines


def figures(
    works: list[SummaryWorkRow], bids: ActivitySetRow | None, votes: ActivitySetRow | None, portion: Decimal
) -> m.SummaryFigures:
    """The figures of one set of works and its activity (bids and votes counted by the repository)."""
    return m.SummaryFigures(
        artworks=len(works),
        artworks_by_status=dict(sorted(Counter(w.status or "inactive" for w in works).items())),
        sales=currency_sales(works, portion),
        bids=bids.count if bids else 0,
        unique_bidders=bids.people if bids else 0,
        votes=votes.count if votes else 0,
        weighted_votes=votes.weighted if votes else Decimal(0),
        unique_voters=votes.people if votes else 0,
    )


def _sets(rows: list[ActivitySetRow], kind: str) -> dict[_GroupKey, ActivitySetRow]:
    return {(r.round if kind == "round" else r.artist_profile_id): r for r in rows if r.kind == kind}


def _group_key(work: SummaryWorkRow, group_by: m.GroupBy) -> _GroupKey:
    return work.round if group_by == "round" else work.artist_profile_id


def summary_groups(row: SummaryRow, group_by: m.GroupBy) -> list[m.SummaryGroup]:
    if group_by == "total":
        return []
    bids, votes = _sets(row.bids, group_by), _sets(row.votes, group_by)
    works: dict[_GroupKey, list[SummaryWorkRow]] = defaultdict(list)
    names: dict[_GroupKey, str | None] = {}
    for work in row.works:
        works[_group_key(work, group_by)].append(work)
        names[work.artist_profile_id] = work.artist_name
    keys = set(works) | set(bids) | set(votes)
    return [
        m.SummaryGroup(
            round=key if isinstance(key, int) else None,
            artist_profile_id=key if isinstance(key, str) else None,
            artist_name=mask_text(name) if isinstance(key, str) and (name := names.get(key)) else None,
            **dict(figures(works.get(key, []), bids.get(key), votes.get(key), row.portion)),
        )
        for key in sorted(keys, key=lambda key: _order(key, names))
    ]


def _order(key: _GroupKey, names: dict[_GroupKey, str | None]) -> tuple[bool, int, str]:
    # rounds in order, artists by name; works or votes without a round or an artist come last
    return (key is None, key if isinstance(key, int) else 0, (names.get(key) or "").casefold())


def summary_total(row: SummaryRow) -> m.SummaryFigures:
    total_bids, total_votes = _sets(row.bids, "total"), _sets(row.votes, "total")
    return figures(row.works, total_bids.get(None), total_votes.get(None), row.portion)
