"""Take a guide home: its materials checklist on the ticket printer, or a QR code to the phone.

The checklist is printed on a worker thread; the outcome comes back on the UI thread. When the
printer cannot print (no paper, cover open, offline) the visitor is told so and offered the QR
code instead; nothing is half-printed, because the printer checks its status before it writes.

Slips print in the visitor's language: content's English fields (Chinese where a text has no
English) and the catalogs' words. What a hall worker must read on an English slip (the
legal-aid receipt's name and matter) is printed in Chinese too.
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
from kiosk.i18n import tr
from kiosk.slips import checklist_words, with_language
from screens.base import _, localized, localized_list, ngettext

log = logging.getLogger(__name__)

DEFAULT_ONLINE = "https://www.12348.gov.cn/"


def chinese_counts(material: Material) -> str:
    """'原件1份、复印件2份', as a Chinese slip prints them."""
    parts = [f"原件{material.originals}份"] if material.originals else []
    parts += [f"复印件{material.copies}份"] if material.copies else []
    return "、".join(parts) + ("（如有）" if not material.required else "")


def material_counts(material: Material) -> str:
    """'Original 1, copies 2' in the current language."""
    parts = []
    if material.originals:
        parts.append(_("original ×{count}").format(count=material.originals))
    if material.copies:
        parts.append(_("copies ×{count}").format(count=material.copies))
    if not material.required:
        parts.append(_("if applicable"))
    return _(", ").join(parts)


def material_line(material: Material) -> str:
    """The material's name and counts: '身份证　原件×1' / 'ID card (original ×1)'."""
    if tr.language == "en":
        return f"{localized(material, 'name')} ({material_counts(material)})"
    return f"{material.name}　{material_counts(material)}"


def _english() -> bool:
    return tr.language == "en"


def _slip_line(material: Material) -> str:
    """A material on a slip: '身份证 原件1份' in Chinese, as on the screen in English."""
    return material_line(material) if _english() else \
        f"{material.name} {chinese_counts(material)}".strip()


def guide_link(guide: Guide, library: Library) -> str:
    """The guide online, its code carried in the query (before any #/route fragment)."""
    base = library.online(guide.online).url if guide.online else DEFAULT_ONLINE
    return with_context(base, guide=guide.code)


def _hall(library: Library) -> tuple[str, str]:
    """This hall's hours (in the visitor's language) and phone: its own service point
    (Library.hall_point)."""
    hall = library.hall_point()
    return (localized(hall, "hours"), hall.phone) if hall else ("", "")


def with_context(url: str, **context: str) -> str:
    """url with context (guide code, flow result) added to its query, before any #fragment."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(context)]))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, parts.fragment))


def _colon() -> str:
    return ": " if _english() else "："


def flow_checklist(flow: Flow, result_key: str, library: Library) -> ChecklistPrint:
    """What a flow result's checklist prints: its materials, where to get help, a link that
    carries the flow and its result."""
    result = flow.nodes[result_key]
    assert isinstance(result, ResultNode)
    hours, phone = _hall(library)
    online = next((library.online(g.online).url for g in map(library.guide, result.guides)
                   if g.online), DEFAULT_ONLINE)
    return ChecklistPrint(
        code=flow.id, title=f"{localized(flow, 'title')}{_colon()}{localized(result, 'title')}",
        materials=tuple(localized_list(result, "materials")),
        where=(", " if _english() else "、").join(localized_list(result, "services")),
        hours=hours, phone=phone, url=with_context(online, flow=flow.id, result=result_key),
        words=checklist_words(tr.language), banner=_("Checklist to take home"),
        caption=_("Scan to read the guide on your phone"), code_label=_("Matter code"))


def result_slip(name: str, title: str, result: str, working: list[str],
                basis: list[str], library: Library) -> ChecklistPrint:
    """A calculator's result on paper: the amount, each step of the working, the legal
    basis and 仅供参考, with the hall's phone and a code to go on online (12348); the
    caller passes the texts in the visitor's language."""
    hours, phone = _hall(library)
    return ChecklistPrint(
        code=name, title=f"{title}{_colon()}{result}", materials=tuple(working), where="",
        hours=hours, phone=phone, url=DEFAULT_ONLINE, banner=_("Result (for reference only)"),
        heading=_("How it is worked out"), boxed=False,
        notes=(*(_("Legal basis: {label}").format(label=label) for label in basis),
               _("Worked out from the figures you entered and the local standards, for "
                 "reference only; the authorities concerned decide.")),
        caption=_("Scan to go on asking at 12348 China Legal Services"),
        words=checklist_words(tr.language), code_label=_("Matter code"))


def application_receipt(code: str, result: ResultNode, url: str, library: Library,
                        phone: str) -> ChecklistPrint:
    """The receipt of a legal-aid pre-application (法律援助预申请回执): the case code as
    printed and in the QR code (its progress page), the materials still to bring, the
    deadline, and how to follow the case. An English receipt names the application and the
    case code in Chinese too, for the legal-aid window."""
    hours, hall_phone = _hall(library)
    shown = "-".join(code[i:i + 4] for i in range(0, len(code), 4))
    banner, code_label = _("Legal aid application receipt"), _("Case code")
    staff_notes: tuple[str, ...] = ()
    if _english():
        banner, code_label = f"{banner}\n法律援助申请回执", f"{code_label} 案件编号"
        staff_notes = (f"法律援助预申请：{result.title}",)
    count = len(result.materials)
    return ChecklistPrint(
        code=shown, code_label=code_label,
        title=_("Legal aid pre-application: {result}").format(result=localized(result, "title")),
        materials=tuple(localized_list(result, "materials")), where=_("Legal aid window"),
        hours=hours, phone=hall_phone, url=with_language(url, tr.language) or DEFAULT_ONLINE,
        banner=banner, words=checklist_words(tr.language),
        heading=ngettext("Materials still to bring ({count} item)",
                         "Materials still to bring ({count} items)", count).format(count=count),
        notes=(*staff_notes, _("Applicant's phone: {phone}").format(phone=phone),
               _("The legal aid agency decides within 7 working days of receiving the "
                 "application."),
               _("Follow the case with its code under “Check progress” on the self-service "
                 "terminal.")),
        caption=_("Scan to follow the case on your phone"))


def guide_checklist(guide: Guide, library: Library) -> ChecklistPrint:
    """What the guide's checklist prints; hours and phone are the hall's (its first centre)."""
    hours, phone = _hall(library)
    return ChecklistPrint(
        code=guide.code, title=localized(guide, "title"),
        materials=tuple(_slip_line(m) for m in guide.materials),
        where=localized(guide.where, "service"), hours=hours, phone=phone,
        url=guide_link(guide, library), words=checklist_words(tr.language),
        banner=_("Checklist to take home"),
        caption=_("Scan to read the guide on your phone"), code_label=_("Matter code"))


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
