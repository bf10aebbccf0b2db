"""The dashboard's figures as tables (one per section), written as CSV or XLSX; the monthly
report (月度报告) is the XLSX of a calendar month with a title on every sheet.

Every text cell comes from people (staff names, window names, what visitors searched) and the
report travels to the province: text a spreadsheet would read as a formula is made literal
by one function, ``literal``, for the CSV and the XLSX alike: a leading apostrophe, so the
province's own re-export of the workbook to CSV stays safe too."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from server.analytics.rows import Figures, RatingRow, share
from server.ratings.complaints import CATEGORIES
from server.ratings.rules import LEVELS
from server.ratings.workflow import KINDS, STATES

# What starts a formula in Excel, LibreOffice or WPS (OWASP "CSV injection"): = + - @ and
# the tab and carriage return some of them skip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Column kinds: how a value is written (text, a count, minutes, a share as a percentage).
TEXT, COUNT, MINUTES, SHARE = "text", "count", "minutes", "share"


@dataclass
class Section:
    """One table of figures: a title, its columns (header, kind) and rows."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[list[Any]]


def _queue(figures: Figures) -> Section:
    columns = [("业务", TEXT), ("取号", COUNT), ("已叫号", COUNT), ("办结", COUNT), ("过号", COUNT),
               ("过号率(%)", SHARE), ("平均等候(分钟)", MINUTES), ("等候P90(分钟)", MINUTES),
               ("目标等候(分钟)", COUNT), ("超目标等候占比(%)", SHARE),
               ("平均办理(分钟)", MINUTES), ("办理P90(分钟)", MINUTES)]
    rows = [[r.label, r.tickets, r.called, r.finished, r.no_show, r.no_show_rate, r.wait_avg,
             r.wait_p90, r.target_wait, r.over_target_share, r.service_avg, r.service_p90]
            for r in [*figures.services, figures.total]]
    return Section("按业务", columns, rows)


def _hours(figures: Figures) -> Section:
    columns = [("时段", TEXT), *[(r.label, COUNT) for r in figures.services], ("合计", COUNT)]
    rows = [[f"{h.hour:02d}:00-{h.hour + 1:02d}:00",
             *[h.by_service.get(r.service_id or 0, 0) for r in figures.services], h.total]
            for h in figures.hours]
    return Section("按时段取号", columns, rows)


def _ratings(title: str, first: str, rows: list[RatingRow]) -> Section:
    columns = [(first, TEXT), *[(name, COUNT) for name in LEVELS.values()], ("合计", COUNT),
               ("满意率(%)", SHARE), ("差评", COUNT)]
    return Section(title, columns, [[r.label, *r.levels.values(), r.total, r.satisfied, r.bad]
                                    for r in rows])


def sections(figures: Figures) -> list[Section]:
    """Every table of the dashboard, in the page's order."""
    total, ratings = figures.total, figures.ratings
    opened = sum(figures.follow_ups.values())
    summary = Section("概况", [("指标", TEXT), ("数值", TEXT)], [[k, v] for k, v in (
        ("大厅", figures.hall), ("统计期间", f"{figures.start} 至 {figures.end}"),
        ("取号", total.tickets), ("办结", total.finished),
        ("过号率(%)", _text(total.no_show_rate, SHARE)),
        ("平均等候(分钟)", _text(total.wait_avg, MINUTES)),
        ("等候P90(分钟)", _text(total.wait_p90, MINUTES)),
        ("超目标等候占比(%)", _text(total.over_target_share, SHARE)),
        ("平均办理(分钟)", _text(total.service_avg, MINUTES)),
        ("办理P90(分钟)", _text(total.service_p90, MINUTES)),
        ("评价", ratings.total), ("满意率(%)", _text(ratings.satisfied, SHARE)),
        ("差评", ratings.bad), ("申诉撤销的评价（不计入）", figures.excluded),
        ("新建回访事项", opened), ("其中已办结", figures.follow_ups.get("closed", 0)),
        ("当前超期未办结", figures.overdue_total),
        ("投诉建议", sum(c.count for c in figures.complaints)),
        ("终端搜索", figures.searches), ("搜索无结果", figures.searches_empty),
        ("搜索无结果占比(%)", _text(share(figures.searches_empty, figures.searches), SHARE)),
        ("未能回答的提问", figures.unanswered_total))])
    bands = Section("等候与满意度", [("等候时间", TEXT), ("评价数", COUNT), ("满意数", COUNT),
                                 ("满意率(%)", SHARE)],
                    [[b.label, b.ratings, b.satisfied, b.rate] for b in figures.bands])
    overdue = Section("超期回访", [("编号", COUNT), ("类型", TEXT), ("状态", TEXT),
                               ("到期日", TEXT), ("超期天数", COUNT), ("窗口", TEXT),
                               ("被评价人员", TEXT), ("创建日", TEXT)],
                      [[o.id, KINDS.get(o.kind, o.kind), STATES.get(o.state, o.state),
                        o.due_on.isoformat(), o.days_late, o.window, o.staff,
                        o.opened.isoformat()] for o in figures.overdue])
    complaints = Section("投诉建议", [("类别", TEXT), ("数量", COUNT)],
                         [[CATEGORIES.get(c.key, (c.label,))[0], c.count]
                          for c in figures.complaints])
    guides = Section("热门指南", [("编号", TEXT), ("指南", TEXT), ("阅读次数", COUNT)],
                     [[g.key, g.label, g.count] for g in figures.guides])
    wanted = Section("搜索无结果", [("搜索内容", TEXT), ("次数", COUNT)],
                     [[w.label, w.count] for w in figures.wanted])
    unanswered = Section("未能回答的提问", [("提问（已隐去号码）", TEXT), ("次数", COUNT),
                                      ("最近一次", TEXT)],
                         [[u.question, u.count, f"{u.last_seen:%Y-%m-%d %H:%M}"]
                          for u in figures.unanswered])
    return [summary, _queue(figures), _hours(figures),
            _ratings("窗口评价", "窗口", figures.by_window),
            _ratings("人员评价", "工作人员", figures.by_staff), bands, overdue, complaints,
            guides, wanted, unanswered]


def _text(value: Any, kind: str) -> str:
    """A value as the CSV and the summary show it."""
    if value is None:
        return ""
    if kind == SHARE:
        return f"{value * 100:.1f}"
    if kind == MINUTES:
        return f"{value:.1f}"
    return str(value)


def literal(text: str) -> str:
    """Text a spreadsheet shows as written: a leading apostrophe when it would start a
    formula (the OWASP advice), control characters a workbook cannot hold dropped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any, kind: str) -> str:
    """A cell of the CSV: text from people made literal, figures formatted as numbers."""
    return literal(value) if isinstance(value, str) else _text(value, kind)


def to_csv(figures: Figures) -> bytes:
    """Every section one after another (title, header, rows, blank line); UTF-8 with BOM
    so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for section in sections(figures):
        writer.writerow([f"【{section.title}】"])
        writer.writerow([header for header, _kind in section.columns])
        for row in section.rows:
            writer.writerow([_csv_value(v, kind) for v, (_h, kind) in zip(row, section.columns,
                                                                          strict=True)])
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(figures: Figures, title: str) -> bytes:
    """A workbook with one sheet per section, each headed by title and the period."""
    book = Workbook()
    book.remove(book.active)
    heading = f"{title} · {figures.hall}"
    period = f"统计期间：{figures.start} 至 {figures.end}"
    for section in sections(figures):
        sheet = book.create_sheet(section.title)
        sheet.append([literal(heading)])
        sheet.append([period])
        sheet.append([])
        sheet.append([header for header, _kind in section.columns])
        sheet["A1"].font = Font(size=16, bold=True)
        for cell in sheet[4]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF6")
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for row in section.rows:
            sheet.append([_cell(v, kind) for v, (_h, kind) in zip(row, section.columns,
                                                                    strict=True)])
            for cell, (_header, kind) in zip(sheet[sheet.max_row], section.columns,
                                             strict=True):
                cell.number_format = {SHARE: "0.0%", MINUTES: "0.0"}.get(kind, "General")
        for index, (header, kind) in enumerate(section.columns, start=1):
            width = 36 if kind == TEXT and index <= 2 else max(10, len(header) * 2 + 2)
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A5"
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return literal(value)
    if kind == MINUTES:
        return round(value, 2)
    if kind == SHARE:
        return round(value, 4)
    return value


def month_title(month: dt.date) -> str:
    """The monthly report's title: 月度报告（2026年6月）."""
    return f"月度报告（{month.year}年{month.month}月）"


def month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month of month."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)
