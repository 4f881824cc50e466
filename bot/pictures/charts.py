"""Bar charts with their values written on the bars: the observatory's panels, one PNG. Drawn with
matplotlib's object API (a Figure per picture, never pyplot), so beside the event loop through
`bot.pictures.drawn`; the labels come already translated."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.pictures.models import BarChart

WIDTH_IN = 8.0
BAR_IN = 0.32  # height of one bar and its gap
PANEL_IN = 0.9  # a panel's title and margins
DPI = 100
COLOUR = "#1565c0"  # the blue of the bot's cards (cogs/ui/events.COLOUR)


def draw_bars(charts: Sequence[BarChart], title: str) -> bytes:
    """The PNG of `charts` stacked, one horizontal bar chart each, every bar carrying its value."""
    heights = [PANEL_IN + BAR_IN * max(1, len(chart.bars)) for chart in charts]
    figure = Figure(figsize=(WIDTH_IN, sum(heights) + 0.6), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize=14, fontweight="bold")
    axes = figure.subplots(len(charts), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, chart in zip(axes, charts, strict=True):
        labels = [label for label, _ in chart.bars]
        values = [value for _, value in chart.bars]
        positions = list(range(len(values)))
        bars = ax.barh(positions, values, color=COLOUR)
        ax.bar_label(bars, padding=3, fontsize=9)
        ax.set_yticks(positions, labels, fontsize=9)
        ax.invert_yaxis()  # the first bar on top, as the text reads
        ax.set_title(chart.title, loc="left", fontsize=11)
        ax.set_xlim(0, max(values, default=0) * 1.15 or 1)  # room for the values; an axis even when all are zero
        ax.xaxis.set_visible(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
