"""Take a guide home: its materials checklist on the ticket printer, or a QR code to the phone.

The checklist is printed on a worker thread; the outcome comes back on the UI thread. When the
printer cannot print (no paper, cover open, offline) the visitor is told so and offered the QR
code instead; nothing is half-printed, because the printer checks its status before it writes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

from kivy.clock import Clock

from content.library import Library
from content.schema import Flow, Guide, Material, ResultNode
from devices.checklist_layout import ChecklistPrint
from devices.printer import Printer
from devices.status import DeviceError, DeviceState

log = logging.getLogger(__name__)

DEFAULT_ONLINE = "https://www.12348.gov.cn/"


def chinese_counts(material: Material) -> str:
    """'原件1份、复印件2份' (tickets are printed in Chinese only)."""
    parts = [f"原件{material.originals}份"] if material.originals else []
    parts += [f"复印件{material.copies}份"] if material.copies else []
    return "、".join(parts) + ("（如有）" if not material.required else "")


def guide_link(guide: Guide, library: Library) -> str:
    """The guide online, its code carried in the query (before any #/route fragment)."""
    base = library.online(guide.online).url if guide.online else DEFAULT_ONLINE
    return with_context(base, guide=guide.code)


def _hall(library: Library) -> tuple[str, str]:
    """This hall's hours and phone: its own service point (Library.hall_point)."""
    hall = library.hall_point()
    return (hall.hours, hall.phone) if hall else ("", "")


def with_context(url: str, **context: str) -> str:
    """url with context (guide code, flow result) added to its query, before any #fragment."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(context)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def flow_checklist(flow: Flow, result_key: str, library: Library) -> ChecklistPrint:
    """What a flow result's checklist prints: its materials, where to get help, a link that
    carries the flow and its result."""
    result = flow.nodes[result_key]
    assert isinstance(result, ResultNode)
    hours, phone = _hall(library)
    online = next((library.online(g.online).url for g in map(library.guide, result.guides)
                   if g.online), DEFAULT_ONLINE)
    return ChecklistPrint(
        code=flow.id, title=f"{flow.title}：{result.title}", materials=tuple(result.materials),
        where="、".join(result.services), hours=hours, phone=phone,
        url=with_context(online, flow=flow.id, result=result_key))


def result_slip(name: str, title: str, result: str, working: list[str],
                basis: list[str], library: Library) -> ChecklistPrint:
    """A calculator's result on paper: the amount, each step of the working, the legal
    basis and 仅供参考, with the hall's phone and a code to go on online (12348)."""
    hours, phone = _hall(library)
    return ChecklistPrint(
        code=name, title=f"{title}：{result}", materials=tuple(working), where="",
        hours=hours, phone=phone, url=DEFAULT_ONLINE, banner="计算结果（仅供参考）",
        heading="计算过程", boxed=False,
        notes=(*(f"法律依据：{label}" for label in basis),
               "本结果按您输入的数字和本地标准计算，仅供参考，以有关机关的认定为准。"),
        caption="扫码到12348中国法网继续咨询")


def application_receipt(code: str, result: ResultNode, url: str, library: Library,
                        phone: str) -> ChecklistPrint:
    """The receipt of a legal-aid pre-application (法律援助预申请回执): the case code as
    printed and in the QR code (its progress page), the materials still to bring, the
    deadline, and how to follow the case."""
    hours, hall_phone = _hall(library)
    shown = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    return ChecklistPrint(
        code=shown, code_label="案件编号", title=f"法律援助预申请：{result.title}",
        materials=tuple(result.materials), where="法律援助窗口", hours=hours,
        phone=hall_phone, url=url or DEFAULT_ONLINE, banner="法律援助申请回执",
        heading=f"尚需携带的材料（共{len(result.materials)}项）",
        notes=(f"申请人电话：{phone}",
               "法律援助机构自收到申请之日起7个工作日内审查决定。",
               "凭案件编号可在自助终端“办事进度查询”查看办理进度。"),
        caption="扫码在手机上查看办理进度")


def guide_checklist(guide: Guide, library: Library) -> ChecklistPrint:
    """What the guide's checklist prints; hours and phone are the hall's (its first centre)."""
    hours, phone = _hall(library)
    return ChecklistPrint(
        code=guide.code, title=guide.title,
        materials=tuple(f"{m.name} {chinese_counts(m)}".strip()
                        for m in guide.materials),
        where=guide.where.service,
        hours=hours, phone=phone, url=guide_link(guide, library))


def print_checklist(printer: Printer, checklist: ChecklistPrint,
                    on_done: Callable[[str | None, float], None]) -> None:
    """Print on a worker thread; on_done(error or None, seconds) runs on the UI thread."""
    def work() -> None:
        started = time.monotonic()
        error: str | None = None
        if printer.status.state == DeviceState.DISABLED:
            error = "no printer"
        else:
            try:
                printer.print_ticket(checklist)
            except DeviceError as failure:
                log.error("checklist %s not printed: %s", checklist.code, failure)
                error = str(failure)
        elapsed = time.monotonic() - started
        Clock.schedule_once(lambda _dt: on_done(error, elapsed), 0)

    threading.Thread(target=work, name="print-checklist", daemon=True).start()
