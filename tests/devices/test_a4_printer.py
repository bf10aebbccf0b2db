"""Printing a filled-in document on the A4 printer through a real CUPS (private cupsd)."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from content.loader import load_source
from devices.a4_printer import CupsPrinter, blocking_reason
from devices.form_pdf import render_form_pdf
from devices.printer import ticket_format
from devices.status import DeviceError
from tests.devices.cups_setup import PrivateCups, temporary_cups

SEED = Path(__file__).resolve().parents[2] / "content" / "seed"
FORM = next(f for f in load_source(SEED).forms if f.id == "labour-arbitration-application")
VALUES = {"name": "赵一鸣", "gender": "男", "birth_date": "1949-12-31",
          "id_number": "11010519491231002X", "phone": "13912345678",
          "address": "青溪市城东区幸福路12号", "employer": "青溪某某制造有限公司",
          "employer_address": "青溪市工业园区8号", "representative": "钱某",
          "employer_phone": "0571-87654321", "claims": "支付拖欠工资12000元\n支付经济补偿6000元",
          "amount": "18000", "start_date": "2021-03-01", "end_date": "2024-05-31",
          "facts": "申请人在被申请人处从事装配工作，月工资4000元，2024年3月起未发工资。"}


@pytest.fixture(scope="module")
def cups_server() -> Iterator[PrivateCups]:
    with temporary_cups() as setup:
        yield setup


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> Path:
    layout = ticket_format(need_font=True)
    assert layout.font_path
    data = render_form_pdf(FORM, VALUES, font_path=layout.font_path,
                           font_index=layout.font_index,
                           made_at=dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC))
    path = tmp_path_factory.mktemp("doc") / "arbitration.pdf"
    path.write_bytes(data)
    return path


def _text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def test_pdf_queue_prints_a_file_holding_every_field(cups_server: PrivateCups, document: Path):
    printer = CupsPrinter(cups_server.file_queue, server=cups_server.socket, timeout=20)
    started = time.perf_counter()
    job = printer.print_pdf(document, title="劳动人事争议仲裁申请书")
    elapsed = time.perf_counter() - started
    assert job > 0 and cups_server.file_output.exists()
    text = _text(cups_server.file_output)
    for key, value in VALUES.items():
        assert "".join(value.split()) in text, key
    assert not list(cups_server.spool.glob("d*"))  # no copy of the document left in CUPS
    print(f"CUPS job {job} on the PDF queue: {elapsed * 1000:.0f} ms")


def test_cups_pdf_printer_produces_the_pdf(cups_server: PrivateCups, document: Path):
    printer = CupsPrinter(cups_server.cups_pdf_queue, server=cups_server.socket, timeout=20)
    before = set(cups_server.out.glob("*.pdf"))
    started = time.perf_counter()
    printer.print_pdf(document, title="arbitration")
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 30
    made: list[Path] = []
    while not made and time.monotonic() < deadline:
        made = [p for p in cups_server.out.glob("*.pdf")
                if p not in before and p != cups_server.file_output]
        time.sleep(0.1)
    assert made, "cups-pdf wrote no PDF"
    output = PdfReader(io.BytesIO(made[0].read_bytes()))
    source = PdfReader(io.BytesIO(document.read_bytes()))
    assert len(output.pages) == len(source.pages)
    width, height = (float(v) for v in output.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # still A4
    print(f"cups-pdf job: {elapsed * 1000:.0f} ms")


def test_missing_and_stopped_printers_are_device_errors(cups_server: PrivateCups,
                                                        document: Path):
    import cups

    with pytest.raises(DeviceError, match="queue 'no-such-printer' not found"):
        CupsPrinter("no-such-printer", server=cups_server.socket).print_pdf(document)
    connection = cups.Connection()
    connection.disablePrinter(cups_server.file_queue)
    try:
        cups_server.file_output.unlink(missing_ok=True)
        with pytest.raises(DeviceError, match="hall-a4-file: stopped"):
            CupsPrinter(cups_server.file_queue, server=cups_server.socket).print_pdf(document)
        assert not cups_server.file_output.exists()  # nothing sent to the printer
        assert connection.getJobs(which_jobs="not-completed") == {}  # nothing left queued
    finally:
        connection.enablePrinter(cups_server.file_queue)


def test_cups_not_running_is_a_device_error(tmp_path: Path, document: Path):
    with pytest.raises(DeviceError, match="A4 printer"):
        CupsPrinter("any", server=str(tmp_path / "no.sock")).print_pdf(document)


@pytest.mark.parametrize(("attributes", "reason"), [
    ({"printer-state": 3, "printer-state-reasons": ["none"]}, None),
    ({"printer-state": 3, "printer-state-reasons": ["media-low-warning"]}, None),
    ({"printer-state": 3, "printer-state-reasons": ["media-empty-error"]}, "out of paper"),
    ({"printer-state": 4, "printer-state-reasons": ["media-needed"]}, "out of paper"),
    ({"printer-state": 3, "printer-state-reasons": ["door-open-report"]}, "cover open"),
    ({"printer-state": 3, "printer-state-reasons": ["offline-report"]}, "offline"),
    ({"printer-state": 5, "printer-state-message": ""}, "stopped"),
    ({"printer-state": 3, "printer-is-accepting-jobs": False}, "not accepting jobs"),
])
def test_printer_state_reasons(attributes, reason):
    # What CUPS reports for a real printer's sensors (no paper, cover open) cannot be set on a
    # test queue; the mapping is checked on the attributes as pycups returns them.
    assert blocking_reason(attributes) == reason
