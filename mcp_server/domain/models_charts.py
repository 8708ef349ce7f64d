"""The numbers behind a chart: what `get_event_chart` returns as structured content beside the PNG.

Values are decimal strings ("12.5", "425.00") so money never becomes a float; a chart is drawn from these
very numbers, so what a reader sees and what a model reads cannot disagree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, PlainSerializer, WithJsonSchema

from mcp_server.domain.models import Output

ChartKind = Literal["voting", "auction", "votes_over_time"]


def value_text(value: Decimal) -> str:
    """`Decimal('12.50')` → `12.5`, `Decimal('400')` → `400`: no exponent, no trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


ChartValue = Annotated[
    Decimal,
    PlainSerializer(value_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "decimal number"}),
]


class ChartPoint(Output):
    label: str = Field(description="easel and artist, art code, or the window's local start time")
    value: ChartValue
    marked: bool = Field(default=False, description="auction: the artwork is sold or paid")


class ChartSeries(Output):
    name: str = Field(description="the round, or 'all rounds'")
    round: int | None
    points: list[ChartPoint]


class EventChart(Output):
    eid: str
    event_name: str
    kind: ChartKind
    round: int | None = Field(description="the round asked for; null for every round")
    title: str = Field(description="the chart's title: event, kind and local as-of time")
    unit: str = Field(description="what the values count: weighted votes, votes, or the currency")
    as_of: str = Field(description="UTC time the numbers were read; at most max_age_seconds old")
    max_age_seconds: float
    series: list[ChartSeries]
