"""Formula injection through the dashboard's exports (issue #12, finding 3), on SQLite and
PostgreSQL: a staff member's 公示 name and a visitor's search text that a spreadsheet would
run as formulas come out of the CSV and the XLSX as plain text; figures stay numbers."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.analytics import export
from server.analytics.stats import figures
from server.models import OutboxReceipt, Terminal, User
from tests.server.test_dashboard import NOW, START, TODAY, generated_hall

NAME = '=HYPERLINK("http://x","y")'
SEARCH = "=cmd|' /c calc'!a0"
MORE = ["+1+1", "-2+3", "@SUM(A1:A2)"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_literal_makes_every_formula_start_text(text: str) -> None:
    assert export.literal(text) == "'" + text
    assert export.literal("张=三") == "张=三" and export.literal("a\x00b") == "ab"


def test_exports_hold_no_formulas(session: Session) -> None:
    hall = generated_hall(session)
    people = list(session.scalars(select(User).where(User.role == "staff")))
    for person in people:
        person.full_name = NAME
    terminal = session.scalar(select(Terminal.id).where(Terminal.hall_id == hall.id))
    assert terminal is not None
    session.add_all([OutboxReceipt(idempotency_key=f"inject-{n}", terminal_id=terminal,
                                   kind="usage.search", payload={"query": query, "results": 0},
                                   received_at=NOW, occurred_at=NOW)
                     for n, query in enumerate([SEARCH, *MORE])])
    session.commit()
    got = figures(session, hall, START, TODAY, today=TODAY)
    assert NAME in [r.label for r in got.by_staff] and SEARCH in [w.label for w in got.wanted]

    book = load_workbook(io.BytesIO(export.to_xlsx(got, "统计报表")))
    formulas = [(sheet.title, cell.coordinate, cell.value) for sheet in book.worksheets
                for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert formulas == []
    staff = [row[0].value for row in book["人员评价"].iter_rows(min_row=5)]
    assert f"'{NAME}" in staff
    wanted = {row[0].value: row[1].value for row in book["搜索无结果"].iter_rows(min_row=5)}
    assert wanted[f"'{SEARCH}"] == 1 and all(wanted["'" + m.lower()] == 1
                                              for m in MORE)
    texts = [cell.value for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row if isinstance(cell.value, str)]
    assert not [t for t in texts if t.startswith(export.FORMULA_STARTS)]
    # Figures stay numbers (counts as int, shares and minutes as float).
    total = [c.value for c in book["按业务"][book["按业务"].max_row]]
    assert total[0] == "全部业务" and total[1] == got.total.tickets
    assert isinstance(total[5], float)

    rows = list(csv.reader(io.StringIO(export.to_csv(got).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert f"'{NAME}" in cells and f"'{SEARCH}" in cells and NAME not in cells
    assert not [c for c in cells if c.startswith(export.FORMULA_STARTS)]
    summary = {row[0]: row[1] for row in rows if len(row) == 2}
    assert summary["取号"] == str(got.total.tickets)  # a count, not made text
