"""Drawing an `EventChart` as a PNG: matplotlib's Agg canvas, in a worker thread, a few at a time.

Drawing takes about 100 ms of CPU; done on the event loop it would stall every other call, so it runs
in a thread under a small per-loop limiter (a burst of chart calls waits its turn instead of filling the
thread pool that the rest of the gateway shares). The figure API is used, never pyplot, whose global state
is not safe across threads. Colours are Okabe–Ito (readable with the common colour-vision deficiencies), and
sold artworks are hatched too, so colour is never the only cue.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import weakref
from functools import partial

import anyio
import anyio.to_thread

# matplotlib writes a font cache under $HOME at import; in the image HOME is read-only, so give it a temp dir.
if "MPLCONFIGDIR" not in os.environ:
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="abcodex-mpl-")

# Imported after MPLCONFIGDIR is set (ruff's isort keeps module-level code above as is).
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mcp_server.domain.models_charts import EventChart, value_text

WIDTH_PX, HEIGHT_PX, DPI = 1200, 675, 100
MAX_RENDERING = 2
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
SOLD, OPEN = "#D55E00", "#0072B2"
MAX_VALUE_LABELS = 30
MAX_TICK_LABELS = 24
MAX_LABEL_CHARS = 22  # longer names (or text pasted into one) would push the bars off a preview

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _limiter() -> anyio.CapacityLimiter:
    # One per event loop: a limiter is bound to the loop that first waits on it, and tests run several.
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(MAX_RENDERING)
    return limiter


async def render_png(chart: EventChart) -> bytes:
    """The chart as PNG bytes, drawn off the event loop."""
    return await anyio.to_thread.run_sync(partial(draw_png, chart), limiter=_limiter())


def draw_png(chart: EventChart) -> bytes:
    """The chart as PNG bytes (blocking: call through `render_png` from async code)."""
    # Fixed margins, not a layout engine: constrained layout measures every label and doubles the cost.
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    figure.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.2)
    axes = figure.add_subplot()
    if chart.kind == "votes_over_time":
        _draw_timeline(axes, chart)
    else:
        _draw_bars(axes, chart)
    axes.set_title(chart.title, fontsize=15, loc="left")
    axes.set_ylabel(chart.unit, fontsize=12)
    axes.tick_params(labelsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    buffer = io.BytesIO()
    # A bare Figure saves PNG through Agg, never a GUI backend; light compression is most of the saving's cost.
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _draw_bars(axes: Axes, chart: EventChart) -> None:
    position, ticks, labels = 0.0, [], []
    for index, series in enumerate(chart.series):
        xs = [position + i for i in range(len(series.points))]
        values = [float(p.value) for p in series.points]
        if chart.kind == "auction":
            colours = [SOLD if p.marked else OPEN for p in series.points]
            bars = axes.bar(xs, values, color=colours, hatch=["//" if p.marked else "" for p in series.points])
        else:
            bars = axes.bar(xs, values, color=OKABE_ITO[index % len(OKABE_ITO)], label=series.name)
        if sum(len(s.points) for s in chart.series) <= MAX_VALUE_LABELS:
            axes.bar_label(bars, labels=[value_text(p.value) for p in series.points])
        ticks += xs
        labels += [_short(p.label) for p in series.points]
        position += len(series.points) + 1  # a gap between rounds
    axes.set_xticks(ticks, labels, rotation=30 if len(ticks) > 8 else 0, ha="right" if len(ticks) > 8 else "center")
    if chart.kind == "auction":
        sold = Patch(facecolor=SOLD, edgecolor="white", hatch="//", label="sold")
        axes.legend(handles=[Patch(facecolor=OPEN, label="open"), sold])
    elif len(chart.series) > 1:
        axes.legend()


def _draw_timeline(axes: Axes, chart: EventChart) -> None:
    points = [p for s in chart.series for p in s.points]
    xs = list(range(len(points)))
    axes.plot(xs, [float(p.value) for p in points], color=OKABE_ITO[0], marker="o", linewidth=2)
    step = max(1, len(points) // MAX_TICK_LABELS + (len(points) % MAX_TICK_LABELS > 0))
    axes.set_xticks(xs[::step], [p.label for p in points][::step], rotation=30, ha="right")
    axes.set_ylim(bottom=0)
    axes.set_xlabel("5-minute window starting (event-local time)", fontsize=12)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
