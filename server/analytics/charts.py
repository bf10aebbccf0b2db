"""The dashboard's charts, drawn on the server as SVG by pygal (a dependency): inline in
the page, no script, Chinese labels in Noto Sans CJK SC."""

from __future__ import annotations

import re
import sys
from typing import Any

import pygal
from pygal.style import Style

from server.analytics.rows import Figures
from server.ledger.demand import Demand
from server.ratings.rules import LEVELS

# pygal appends a finder for its map plugins (unused here) to sys.meta_path that only has
# the old find_module(): from then on every failed optional import elsewhere (openpyxl
# trying numpy) raises ImportWarning instead of ImportError. Take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

FONT = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
PALETTE = ("#1f4e8c", "#2f8f5b", "#d08a1c", "#8a4fbf", "#c0392b", "#17839b", "#7a6a4f",
           "#d35f8d", "#5b6b7a", "#9bb03a")
# Levels 5..1 from green to red, so bad ratings stand out.
LEVEL_COLOURS = ("#1f7a3f", "#6fb36f", "#c9b458", "#e08a3c", "#b3261e")
LABEL_SIZE = 15
STYLE = dict(font_family=FONT, label_font_family=FONT, major_label_font_family=FONT,
             legend_font_family=FONT, title_font_family=FONT, tooltip_font_family=FONT,
             value_font_family=FONT, no_data_font_family=FONT, background="transparent",
             plot_background="#ffffff", foreground="#1d2733", foreground_strong="#1d2733",
             foreground_subtle="#5d6b7a", label_font_size=LABEL_SIZE,
             major_label_font_size=LABEL_SIZE, legend_font_size=LABEL_SIZE,
             title_font_size=18, value_font_size=14, tooltip_font_size=14, no_data_font_size=20)


def _chart(kind: type[Any], colours: tuple[str, ...] = PALETTE, *, series: int,
           labels: list[str] | None = None, **config: Any) -> Any:
    """A chart with its legend under it in up to four columns. pygal sizes text as 0.6 em
    a character and the legend as whole rows: CJK labels (1 em) and a last, partial row
    of the legend get the room they need here."""
    columns = min(4, max(1, series))
    missing_rows = -(-series // columns) - series // columns
    left = max((len(label) for label in labels or []), default=0) * 0.4 * LABEL_SIZE
    options = dict(width=760, height=380, js=[], disable_xml_declaration=True,
                   legend_at_bottom=True, legend_at_bottom_columns=columns,
                   no_data_text="暂无数据", truncate_label=-1, truncate_legend=-1,
                   print_zeroes=False, margin=12, margin_left=12 + left, margin_right=36,
                   margin_bottom=12 + missing_rows * LABEL_SIZE * 1.5,
                   style=Style(colors=colours, **STYLE))
    if labels is not None:
        options["x_labels"] = labels
    options.update(config)
    return kind(**options)


SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>", re.DOTALL)


def _svg(chart: Any) -> str:
    # pygal writes its tooltip configuration as an inline script even without its
    # JavaScript; the pages' CSP refuses inline scripts (server/headers.py): none at all.
    return SCRIPT.sub("", str(chart.render(is_unicode=True)))


def _services_chart(figures: Figures, **config: Any) -> Any:
    # Horizontal bars: service names stay readable; the first service on top.
    rows = list(reversed(figures.services))
    return rows, _chart(pygal.HorizontalBar, series=3, labels=[row.label for row in rows],
                        height=max(300, 140 + 46 * len(rows)), **config)


def tickets_by_service(figures: Figures) -> str:
    """Tickets taken per service: served (办结), 过号 and never called."""
    rows, chart = _services_chart(figures)
    chart.add("办结", [row.finished for row in rows])
    chart.add("过号", [row.no_show for row in rows])
    chart.add("未叫号", [row.tickets - row.called for row in rows])
    return _svg(chart)


def tickets_by_hour(figures: Figures) -> str:
    """Tickets taken in each hour of the day, stacked by service."""
    hours = [row.hour for row in figures.hours]
    chart = _chart(pygal.StackedBar, series=len(figures.services),
                   labels=[f"{hour}时" for hour in hours])
    for row in figures.services:
        chart.add(row.label, [hour.by_service.get(row.service_id or 0, 0) or None
                              for hour in figures.hours])
    return _svg(chart)


def waiting_by_service(figures: Figures) -> str:
    """Average and p90 waiting time per service, beside its target (minutes)."""
    rows, chart = _services_chart(figures, x_title="分钟")
    chart.add("平均等候", [_round(row.wait_avg) for row in rows])
    chart.add("90% 在此之内", [_round(row.wait_p90) for row in rows])
    chart.add("目标等候", [row.target_wait for row in rows])
    return _svg(chart)


def ratings_by_window(figures: Figures) -> str:
    """Ratings of each window by level, stacked from 非常满意 to 非常不满意."""
    rows = list(reversed(figures.by_window))  # the first window on top
    chart = _chart(pygal.HorizontalStackedBar, LEVEL_COLOURS, series=len(LEVELS),
                   height=max(300, 150 + 30 * len(rows)),
                   labels=[row.label.split(" · ")[0] for row in rows])
    for level, name in LEVELS.items():
        chart.add(name, [row.levels[level] or None for row in rows])
    return _svg(chart)


def satisfaction_by_wait(figures: Figures) -> str:
    """Satisfaction rate (非常满意 and 满意) of rated tickets, by how long they waited."""
    chart = _chart(pygal.Bar, ("#1f7a3f",), series=1,
                   labels=[band.label for band in figures.bands], range=(0, 100),
                   y_title="满意率 %", show_legend=False,
                   value_formatter=lambda v: f"{v:.1f}%")
    chart.add("满意率", [{"value": None if band.rate is None else round(band.rate * 100, 1),
                         "label": f"{band.ratings} 条评价"} for band in figures.bands])
    return _svg(chart)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def all_charts(figures: Figures) -> dict[str, str]:
    """Every chart of the dashboard, by name."""
    return {"service": tickets_by_service(figures), "hour": tickets_by_hour(figures),
            "wait": waiting_by_service(figures), "window": ratings_by_window(figures),
            "satisfaction": satisfaction_by_wait(figures)}


def matters_over_time(demand: Demand) -> str:
    """需求研判: ledger entries per week or month, stacked by matter category."""
    chart = _chart(pygal.StackedBar, series=len(demand.rows), labels=demand.buckets,
                   x_label_rotation=30 if len(demand.buckets) > 8 else 0)
    for row in demand.rows:
        chart.add(row.label, [count or None for count in row.counts])
    return _svg(chart)
