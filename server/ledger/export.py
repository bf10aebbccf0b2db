"""The ledger as workbooks: the supervisor's filtered list, and the monthly archive
(立卷归档: one workbook per month, a summary sheet and every entry of the month).

Personal data as the other exports treat it: a workbook travels (e-mail, USB stick, the
province), so the visitor's name and phone are masked (张*, 138****5678) and numbers
typed into the free text (matter, process, result) are masked as the dashboard masks
questions (protocol.privacy). The full record stays on the server, on the entry's page.
Every text cell goes through ``literal`` (server.analytics.export): text a spreadsheet
would read as a formula stays text."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from protocol.privacy import mask_personal
from server.analytics.export import literal
from server.ratings.rules import LEVELS

# (header, width, key of a ledger row)
COLUMNS = (("序号", 7, "serial"), ("日期", 12, "day"), ("时间", 7, "time"), ("号码", 8, "number"),
           ("业务类别", 14, "category"), ("窗口", 10, "window"), ("接待人员", 12, "staff"),
           ("来访人", 9, "name"), ("联系方式", 14, "phone"), ("来访事项", 30, "matter"),
           ("办理过程", 40, "process"), ("办理结果", 30, "result"), ("满意度", 10, "rating"),
           ("案件编号", 14, "case"))
FREE_TEXT = ("matter", "process", "result")
FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
HEADER_FILL = PatternFill("solid", fgColor="E8EEF6")
TOP = Alignment(wrap_text=True, vertical="top")


def scrub(text: str) -> str:
    """Free text with personal numbers masked ([手机号], [身份证号] ...), full-width digits
    read as digits first; everything else as written."""
    return mask_personal(text.translate(FULL_WIDTH_DIGITS))


def _value(row: dict[str, Any], key: str) -> Any:
    value = row.get(key)
    if key == "case":
        return literal(value.code) if value else ""
    if isinstance(value, str):
        return literal(scrub(value) if key in FREE_TEXT else value)
    return value


def _heading(sheet: Any, title: str, subtitle: str) -> None:
    sheet.append([literal(title)])
    sheet.append([literal(subtitle)])
    sheet.append([])
    sheet["A1"].font = Font(size=16, bold=True)


def _header_row(sheet: Any, headers: Iterable[str]) -> None:
    sheet.append(list(headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")


def _entries_sheet(book: Workbook, name: str, title: str, subtitle: str,
                   rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(name)
    _heading(sheet, title, subtitle)
    _header_row(sheet, (header for header, _w, _k in COLUMNS))
    for serial, row in enumerate(rows, start=1):  # rows 5 on; cell() is O(1), sheet[] is not
        for column, (_header, _width, key) in enumerate(COLUMNS, start=1):
            cell = sheet.cell(4 + serial, column, serial if key == "serial" else _value(row, key))
            cell.alignment = TOP
    for index, (_header, width, _key) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A5"
    sheet.print_title_rows = "4:4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _save(book: Workbook) -> bytes:
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def list_xlsx(hall: str, filters_text: str, rows: list[dict[str, Any]]) -> bytes:
    """The filtered list: one sheet, headed by the hall and the filters used."""
    book = Workbook()
    book.remove(book.active)
    _entries_sheet(book, "服务台账", f"服务台账 · {hall}", filters_text, rows)
    return _save(book)


def _counted(title: str, first: str, counter: Counter[str], total: int) -> list[list[Any]]:
    lines: list[list[Any]] = [[title], [first, "登记数", "占比(%)"]]
    for label, number in counter.most_common():
        lines.append([literal(label), number, round(number * 100 / total, 1) if total else 0])
    return lines


def archive_xlsx(hall: str, hall_code: str, month: dt.date, rows: list[dict[str, Any]],
                 made_by: str, made_at: str) -> bytes:
    """The monthly archive (立卷归档): a summary sheet (卷内备考: counts by category,
    window, staff member, day and rating) and the month's entries in order with their
    serial numbers, laid out to print landscape one page wide."""
    title = f"服务台账（{month.year}年{month.month}月）"
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    period = f"{month.isoformat()} 至 {last.isoformat()}"
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    _heading(summary, f"{title} · {hall}", f"立卷归档 · 期间：{period}")
    total = len(rows)
    filled = sum(1 for row in rows if row["result"])
    rated = Counter(row["rating"] for row in rows if row["rating"])
    facts: list[list[Any]] = [
        ["项目", "内容"], ["大厅", literal(hall)], ["大厅编码", literal(hall_code)],
        ["期间", period], ["台账登记（条）", total], ["已填写办理结果（条）", filled],
        ["有评价（条）", sum(rated.values())], ["登记天数", len({row["day"] for row in rows})],
        ["序号范围", f"1 至 {total}" if total else "—"],
        ["导出人", literal(made_by)], ["导出时间", made_at],
        ["说明", "来访人姓名与联系方式已隐去（张*、138****5678），事项文字中的号码已隐去；"
               "完整记录保存在服务器。"]]
    for line in facts:
        summary.append(line)
    _header_bold(summary, 4)
    for block in (_counted("按业务类别", "业务类别", Counter(r["category"] for r in rows), total),
                  _counted("按窗口", "窗口", Counter(r["window"] for r in rows), total),
                  _counted("按接待人员", "接待人员", Counter(r["staff"] for r in rows), total),
                  _counted("按满意度", "满意度", Counter(
                      {name: rated.get(name, 0) for name in LEVELS.values()}), sum(rated.values())),
                  _by_day(rows)):
        summary.append([])
        start = summary.max_row + 1
        for line in block:
            summary.append(line)
        summary.cell(start, 1).font = Font(bold=True, size=13)
        _header_bold(summary, start + 1)
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 40
    summary.column_dimensions["C"].width = 12
    _entries_sheet(book, "台账", f"{title} · {hall}", f"期间：{period} · 共 {total} 条", rows)
    return _save(book)


def _header_bold(sheet: Any, row: int) -> None:
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL


def _by_day(rows: list[dict[str, Any]]) -> list[list[Any]]:
    days = Counter(row["day"] for row in rows)
    lines: list[list[Any]] = [["按日"], ["日期", "登记数"]]
    lines.extend([day, days[day]] for day in sorted(days))
    return lines
