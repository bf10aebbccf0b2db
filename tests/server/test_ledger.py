"""服务台账 (issue #15 item 5) on SQLite and PostgreSQL: the window's registration becomes a
ledger entry; the supervisor's filters and search give exactly the entries a plain Python
filter over all rows gives; the XLSX exports hold the entries with personal data masked
and no live formula from what people typed; the monthly archive holds one month; a
supervisor sees their own hall only; 需求研判 counts matters by category per week or month."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from devtools.ledger_seed import seed_ledger
from server.cases import rules as case_rules
from server.cases import steps as case_steps
from server.fleet.actions import create_hall
from server.ledger import demand, views
from server.ledger.entries import TEXT_FIELDS, search_text
from server.ledger.models import LedgerEntry
from server.ledger.views import Filters
from server.models import Hall, User
from server.queue.actions import act, call_next, register_visitor
from server.queue.issuing import issue_ticket
from server.ratings.rules import rate
from server.security import create_user
from tests.server.queue_setup import SETUP, make_queue_hall

FIRST = dt.date(2026, 10, 26)  # a Monday
DAYS = 21
PASSWORD = "ledger-pass-123"
LOCAL = dt.timedelta(hours=8)
LOCAL_ZONE = dt.timezone(LOCAL)
MIGRATIONS = Path(__file__).parents[2] / "server" / "migrations"
INJECTED = ("=HYPERLINK(\"http://evil.example\",\"点我\")", "+1+2", "-3+4", "@SUM(A1:A2)",
            "\t=1+1")


def _entries(session: Session, hall_id: int) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.hall_id == hall_id)))


def _expected(entries: list[LedgerEntry], f: Filters) -> list[int]:
    """What the filters must give, computed plainly: every condition, newest first."""
    def keep(e: LedgerEntry) -> bool:
        text_ = " ".join((e.name, e.phone, e.matter, e.process, e.result, e.number)).lower()
        return (f.start.isoformat() <= e.day <= f.end.isoformat()
                and f.window_id in (None, e.window_id) and f.staff_id in (None, e.staff_id)
                and f.service_id in (None, e.service_id)
                and (f.result != "filled" or e.result != "")
                and (f.result != "empty" or e.result == "")
                and all(word.lower() in text_ for word in f.q.split()))
    chosen = sorted((e for e in entries if keep(e)), key=lambda e: (e.day, e.id), reverse=True)
    return [e.id for e in chosen]


def test_a_registration_at_the_window_is_a_ledger_entry(session: Session) -> None:
    hall = make_queue_hall(session)
    staff = hall.staff[1]
    staff.full_name = "王窗口"
    ticket, _ = issue_ticket(session, hall.hall, "legal-aid", actor="test")
    window = hall.windows[1]
    assert call_next(session, window.id, staff).id == ticket.id
    register_visitor(session, window.id, staff, ticket.id,
                     {"name": "张三", "phone": "+86 138-1234-5678", "matter": "讨薪"})
    register_visitor(session, window.id, staff, ticket.id,
                     {"name": "张三", "phone": "13812345678", "matter": "讨薪 法律援助",
                      "result": "已受理"})
    act(session, window.id, staff, ticket.id, "finish")
    rating, _ = rate(session, hall.hall, level=1, reasons=[], source="pad", ticket=ticket)
    session.commit()
    entries = _entries(session, hall.hall.id)
    assert len(entries) == 1  # saved twice: one entry, the later text
    entry = entries[0]
    assert (entry.ticket_id, entry.number, entry.day) == (ticket.id, ticket.number, ticket.day)
    assert (entry.matter, entry.result, entry.phone) == ("讨薪 法律援助", "已受理", "13812345678")
    assert (entry.window_id, entry.staff_id, entry.service_id) == (
        window.id, staff.id, ticket.service_id)
    view = views.entry_view(session, hall.hall.id, entry.id)
    assert view is not None
    assert view["name"] == "张三" and view["phone"] == "13812345678"  # in full on its page
    assert view["staff"] == "王窗口" and view["category"] == "法律援助"
    assert view["ticket"]["state"] == "已办结"
    assert [event["name"] for event in view["ticket"]["events"]] == [
        "取号", "叫号", "登记台账", "登记台账", "办结"]
    assert view["rating_detail"]["level"] == rating.level == 1
    assert view["rating_detail"]["follow_up"] is not None  # a bad rating opened a follow-up
    listed, total = views.page_of(session, hall.hall.id, Filters(
        dt.date.fromisoformat(ticket.day), dt.date.fromisoformat(ticket.day)), 1)
    assert total == 1 and listed[0]["name"] == "张*" and listed[0]["phone"] == "138****5678"
    assert listed[0]["rating"] == "非常不满意"
    day = dt.date.fromisoformat(ticket.day)
    for words, found in (("a001 援助", 1), ("5678", 1), ("张三 已受理", 1), ("张三已受理", 0),
                         ("讨薪 公证", 0)):
        assert views.count(session, hall.hall.id, Filters(day, day, q=words)) == found, words
    other = create_hall(session, "QX-02", "另一中心")
    assert views.entry_view(session, other.id, entry.id) is None

    # The case the visit opened (a legal-aid application from the terminal that day, same
    # phone) is linked; the same visitor's case of another day, or another hall's, is not.
    visit = dt.datetime.combine(day, dt.time(9, 30), LOCAL_ZONE)
    for hall_, at in ((hall.hall, visit - dt.timedelta(days=1)), (other, visit)):
        case_steps.create(session, hall_, "legal_aid", phone="13812345678", matter="讨薪", at=at)
    session.flush()
    assert views.case_links(session, [entry]) == {}
    case, _ = case_steps.create(session, hall.hall, "legal_aid", phone="13812345678",
                                matter="讨薪", at=visit)
    case_steps.create(session, hall.hall, "callback", phone="13812345678", matter="讨薪",
                      at=visit + dt.timedelta(hours=1))
    session.commit()
    link = views.case_links(session, [entry])[entry.id]
    assert link.code == case_rules.shown_code(case.code) and link.url == f"/cases/{case.id}"


def test_filters_and_search_give_exactly_the_matching_entries(session: Session) -> None:
    hall = make_queue_hall(session)
    seed_ledger(session, hall.hall, FIRST, DAYS, 12)
    odd = _entries(session, hall.hall.id)[:3]
    odd[0].matter, odd[1].result, odd[2].name = "100%_办结 a_b", "转办 100%", "Li_Lei"
    for entry in odd:  # as the window's registration keeps it
        entry.search_text = search_text(entry.number, {key: getattr(entry, key)
                                                       for key in TEXT_FIELDS})
    session.commit()
    entries = _entries(session, hall.hall.id)
    assert len(entries) == DAYS * 12
    w1, w2 = hall.windows[1].id, hall.windows[2].id
    s3 = hall.staff[3].id
    services = {s.code: s.id for s in hall.hall.services}
    last = FIRST + dt.timedelta(days=DAYS - 1)
    cases = [
        Filters(FIRST, last),
        Filters(FIRST + dt.timedelta(days=3), FIRST + dt.timedelta(days=9)),
        Filters(FIRST, last, window_id=w1),
        Filters(FIRST, last, staff_id=s3, service_id=services["notary"]),
        Filters(FIRST, last, window_id=w2, result="empty"),
        Filters(FIRST, last, result="filled", q="法律援助"),
        Filters(FIRST, last, q="已受理 补充"),
        Filters(FIRST, last, q=entries[5].phone),
        Filters(FIRST, last, q=entries[7].number.lower()),
        Filters(FIRST, last, q="100%"),  # a literal percent sign, not a wildcard
        Filters(FIRST, last, q="_"),  # a literal underscore
        Filters(FIRST, last, q="li_lei"),
        Filters(FIRST, last, window_id=999_999),
        Filters(last + dt.timedelta(days=1), last + dt.timedelta(days=30)),
    ]
    for filters in cases:
        want = _expected(entries, filters)
        got = [e.id for e in session.scalars(views.filtered(hall.hall.id, filters))]
        assert got == want, filters
        assert views.count(session, hall.hall.id, filters) == len(want)
    assert len(_expected(entries, cases[9])) == 2 and len(_expected(entries, cases[10])) == 2
    assert len(_expected(entries, cases[5])) > 0 and len(_expected(entries, cases[3])) > 0
    # Pages: 50 a page, in order, together exactly the matching entries.
    everything = _expected(entries, cases[0])
    paged: list[int] = []
    for page in range(1, -(-len(everything) // views.PAGE_SIZE) + 1):
        rows, total = views.page_of(session, hall.hall.id, cases[0], page)
        assert total == len(everything) and len(rows) <= views.PAGE_SIZE
        paged.extend(row["id"] for row in rows)
    assert paged == everything


def test_matters_by_category_per_week_and_month(session: Session) -> None:
    hall = make_queue_hall(session)
    seed_ledger(session, hall.hall, FIRST, DAYS, 5)
    session.commit()
    entries = _entries(session, hall.hall.id)
    names = {s.id: s.name for s in hall.hall.services}
    last = FIRST + dt.timedelta(days=DAYS - 1)
    weekly = demand.matters(session, hall.hall.id, FIRST, last)
    assert weekly.granularity == "week" and weekly.buckets == ["10/26周", "11/2周", "11/9周"]
    assert weekly.total == len(entries)
    for row in weekly.rows:
        for position, count in enumerate(row.counts):
            monday = FIRST + dt.timedelta(days=7 * position)
            assert count == sum(1 for e in entries if names[e.service_id] == row.label
                                and monday <= dt.date.fromisoformat(e.day)
                                < monday + dt.timedelta(days=7))
    monthly = demand.matters(session, hall.hall.id, FIRST, last, "month")
    assert monthly.buckets == ["2026年10月", "2026年11月"]
    october = sum(1 for e in entries if e.day < "2026-11-01")
    assert sum(row.counts[0] for row in monthly.rows) == october
    assert demand.granularity_for(FIRST, FIRST + dt.timedelta(days=200)) == "month"
    assert [r.total for r in weekly.rows] == sorted((r.total for r in weekly.rows), reverse=True)


def _sign_in(client: TestClient, username: str) -> None:
    assert client.post("/api/v1/session", json={"username": username,
                                                "password": PASSWORD}).status_code == 200


def _two_halls(client: TestClient) -> dict[str, Any]:
    """Hall QX-01 with three weeks of entries (some typed to attack a spreadsheet), hall
    QX-02 with its own, and the people of each."""
    app: Any = client.app
    with app.state.database.sessions() as session:
        first = make_queue_hall(session)
        second = make_queue_hall(session, SETUP, code="QX-02")
        seed_ledger(session, first.hall, FIRST, DAYS, 6)
        seed_ledger(session, second.hall, FIRST, DAYS, 2, seed=11)
        mine = _entries(session, first.hall.id)
        for entry, bad in zip(mine[:len(INJECTED)], INJECTED, strict=True):
            entry.matter, entry.result, entry.name = bad, bad, "=" + entry.name
            entry.process = "来电 13912345678，身份证 110101199003071234"
            entry.search_text = search_text(entry.number, {key: getattr(entry, key)
                                                           for key in TEXT_FIELDS})
        for number, person in first.staff.items():
            person.full_name = f"员工{number}"
        create_user(session, "lin.supervisor", PASSWORD, "supervisor", "QX-01", full_name="林主管")
        create_user(session, "qian.supervisor", PASSWORD, "supervisor", "QX-02")
        create_user(session, "zhou.staff", PASSWORD, "staff", "QX-01")
        create_user(session, "wu.nohall", PASSWORD, "supervisor")
        session.commit()
        return {"mine": [e.id for e in mine], "theirs": [e.id for e in _entries(
            session, second.hall.id)], "hall": first.hall.id, "window": first.windows[2].id}


def _book(content: bytes) -> Any:
    return load_workbook(io.BytesIO(content))


def _no_live_formula(book: Any) -> None:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t")), cell.value


def test_pages_and_exports_for_the_hall_supervisor(client: TestClient) -> None:
    made = _two_halls(client)
    last = FIRST + dt.timedelta(days=DAYS - 1)
    rng = f"start={FIRST}&end={last}"
    _sign_in(client, "lin.supervisor")
    page = client.get(f"/ledger?{rng}")
    assert page.status_code == 200 and f"共 {len(made['mine'])} 条" in page.text
    assert page.text.count("<tr data-id=") == views.PAGE_SIZE
    assert "第 1 / 3 页" in page.text and "员工1" in page.text
    assert "13912345678" not in page.text  # the list masks; the process is not listed
    third = client.get(f"/ledger?{rng}&page=3")
    assert third.text.count("<tr data-id=") == len(made["mine"]) - 2 * views.PAGE_SIZE
    narrowed = client.get(f"/ledger?{rng}&window={made['window']}&result=filled&q=咨询")
    assert narrowed.status_code == 200
    # The filtered list as XLSX: the same entries, masked, formulas made text.
    export = client.get(f"/ledger/export.xlsx?{rng}&window={made['window']}")
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in export.headers["content-disposition"]
    app: Any = client.app
    with app.state.database.sessions() as session:
        want = _expected(_entries(session, made["hall"]),
                         Filters(FIRST, last, window_id=made["window"]))
        by_id = {e.id: e for e in _entries(session, made["hall"])}
    book = _book(export.content)
    sheet = book["服务台账"]
    assert sheet["A1"].value == "服务台账 · 青溪市公共法律服务中心"
    assert "窗口：2 号 综合窗口" in sheet["A2"].value
    header = [cell.value for cell in sheet[4]]
    assert header[:4] == ["序号", "日期", "时间", "号码"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=5)]
    assert len(rows) == len(want)
    for row, entry_id in zip(rows, want, strict=True):
        entry = by_id[entry_id]
        assert row[1] == entry.day and row[3] == entry.number
        assert row[7] == (entry.name[:1] + "*") or row[7] == "'" + entry.name[:1] + "*"
        assert row[8] == entry.phone[:3] + "****" + entry.phone[-4:]
        if entry.matter in INJECTED:
            assert row[9] == "'" + entry.matter and row[11] == "'" + entry.result
            assert "13912345678" not in row[10] and "[手机号]" in row[10]
            assert "[身份证号]" in row[10]
        else:
            assert row[9] == entry.matter
    _no_live_formula(book)
    everything = _book(client.get(f"/ledger/export.xlsx?{rng}").content)
    texts = {cell.value for row in everything["服务台账"].iter_rows(min_row=5) for cell in row}
    assert {"'" + bad for bad in INJECTED} <= texts
    _no_live_formula(everything)
    # The entry's page: in full, with its ticket.
    entry_id = made["mine"][0]
    detail = client.get(f"/ledger/{entry_id}")
    assert detail.status_code == 200 and "13" in detail.text and "排队号" in detail.text
    assert "来访人没有评价这次服务" in detail.text and "这次来访没有转为案件" in detail.text
    # The dashboard's 需求研判: matters by category per week.
    dash = client.get(f"/dashboard?{rng}")
    assert dash.status_code == 200 and 'id="table-matters"' in dash.text
    assert f'<strong id="matters-total">{len(made["mine"])}</strong>' in dash.text
    assert "10/26周" in dash.text and 'id="chart-matters"' in dash.text
    monthly = client.get(f"/dashboard?{rng}&by=month")
    assert "2026年11月" in monthly.text and "10/26周" not in monthly.text


def test_the_monthly_archive_holds_one_month(client: TestClient) -> None:
    made = _two_halls(client)
    _sign_in(client, "lin.supervisor")
    reply = client.get("/ledger/archive.xlsx?month=2026-11")
    assert reply.status_code == 200
    assert "2026-11" in reply.headers["content-disposition"]
    book = _book(reply.content)
    assert book.sheetnames == ["汇总", "台账"]
    app: Any = client.app
    with app.state.database.sessions() as session:
        november = sorted((e for e in _entries(session, made["hall"]) if e.day >= "2026-11-01"),
                          key=lambda e: (e.day, e.recorded_at, e.id))
    summary = book["汇总"]
    assert summary["A1"].value == "服务台账（2026年11月） · 青溪市公共法律服务中心"
    facts = {row[0].value: row[1].value for row in summary.iter_rows(min_row=5, max_row=16)}
    assert facts["台账登记（条）"] == len(november) == 15 * 6
    assert facts["期间"] == "2026-11-01 至 2026-11-30"
    assert facts["登记天数"] == 15 and facts["导出人"] == "林主管"
    assert facts["序号范围"] == f"1 至 {len(november)}"
    counted = [row for row in summary.iter_rows(min_row=17, values_only=True)
               if row[0] in {"法律援助", "公证", "人民调解"}]
    assert sum(row[1] for row in counted) == len(november)
    ledger = book["台账"]
    rows = list(ledger.iter_rows(min_row=5, values_only=True))
    assert [row[0] for row in rows] == list(range(1, len(november) + 1))
    assert [(row[1], row[3]) for row in rows] == [(e.day, e.number) for e in november]
    assert ledger.page_setup.orientation == "landscape"
    _no_live_formula(book)
    assert client.get("/ledger/archive.xlsx?month=2026-13").status_code == 400
    empty = _book(client.get("/ledger/archive.xlsx?month=2025-01").content)
    assert empty["台账"].max_row == 4


def test_a_supervisor_sees_their_own_hall_only(client: TestClient) -> None:
    made = _two_halls(client)
    last = FIRST + dt.timedelta(days=DAYS - 1)
    rng = f"start={FIRST}&end={last}"
    ours, theirs = made["mine"][0], made["theirs"][0]
    assert client.get("/ledger", follow_redirects=False).headers["location"].startswith(
        "/login")
    _sign_in(client, "zhou.staff")  # staff of the same hall: not the supervisor's ledger
    for path in ("/ledger", f"/ledger/{ours}", f"/ledger/export.xlsx?{rng}",
                 "/ledger/archive.xlsx?month=2026-11"):
        assert client.get(path).status_code == 403, path
    _sign_in(client, "wu.nohall")
    assert "未关联大厅" in client.get("/ledger").text
    assert client.get(f"/ledger/export.xlsx?{rng}").status_code == 403
    _sign_in(client, "qian.supervisor")
    page = client.get(f"/ledger?{rng}")
    assert f"共 {len(made['theirs'])} 条" in page.text
    assert client.get(f"/ledger/{ours}").status_code == 404  # not found, not refused
    assert client.get(f"/ledger/{theirs}").status_code == 200
    rows = list(_book(client.get(f"/ledger/export.xlsx?{rng}").content)["服务台账"]
                .iter_rows(min_row=5, values_only=True))
    assert len(rows) == len(made["theirs"])
    archive = _book(client.get("/ledger/archive.xlsx?month=2026-11").content)
    assert archive["台账"].max_row - 4 == 15 * 2
    # Another hall's window, staff or service chosen in the filters finds nothing of ours.
    app: Any = client.app
    with app.state.database.sessions() as session:
        hall = session.get(Hall, made["hall"])
        assert hall is not None
        window_id = hall.windows[0].id
        staff_id = session.scalar(select(User.id).where(User.hall_id == hall.id,
                                                        User.role == "staff"))
    for key, value in (("window", window_id), ("staff", staff_id)):
        assert "共 0 条" in client.get(f"/ledger?{rng}&{key}={value}").text


def test_the_migration_copies_registrations_already_kept(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))

    def migrate(target: str, down: bool = False) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)

    migrate("0013")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO hall (id, code, name, level, overlay)"
            " VALUES (1, 'H1', '中心', 'county', '{}')"))
        connection.execute(text(
            "INSERT INTO service (id, hall_id, code, name, prefix, name_en, daily_cap, hours,"
            " target_wait, active)"
            " VALUES (1, 1, 'legal-aid', '法律援助', 'A', '', 300, '{}', 30, 1)"))
        connection.execute(text(
            "INSERT INTO user_account (id, username, password_hash, role, hall_id, active,"
            " created_at, full_name, staff_no, session_version)"
            " VALUES (7, 'li', 'x', 'staff', 1, 1, '2026-11-02 01:00:00', '', '', 0)"))
        for ticket_id, visitor in ((1, '{"name": "\\u5f20\\u4e09", "phone": "13812345678",'
                                       ' "matter": "\\u8ba8\\u85aa", "staff": "li",'
                                       ' "recorded_at": "2026-11-02T02:00:00+00:00"}'),
                                   (2, '{}')):
            connection.execute(text(
                "INSERT INTO ticket (id, hall_id, origin_service_id, service_id, day, seq, number,"
                " state, priority, rank, token, arrival_at, issued_at, call_count, close_reason,"
                " visitor) VALUES (:id, 1, 1, 1, '2026-11-02', :id, :number, 'finished',"
                " 'normal', 2, :token, '2026-11-02 01:00:00', '2026-11-02 01:00:00', 1, '',"
                " :visitor)"), {"id": ticket_id, "number": f"A00{ticket_id}",
                                "token": f"t{ticket_id}", "visitor": visitor})
    migrate("head")
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT ticket_id, day, number, staff_id, name, matter FROM ledger_entry")).all()
    assert rows == [(1, "2026-11-02", "A001", 7, "张三", "讨薪")]
    migrate("0013", down=True)
    engine.dispose()


