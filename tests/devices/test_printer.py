"""Ticket printer: layout, real python-escpos bytes (Dummy, files, a loopback socket), decoding."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageFont

from content.linebreak import break_lines
from devices.escpos_render import EscposDecodeError, decode_escpos
from devices.printer import (
    EscposPrinter,
    NullPrinter,
    make_printer,
    read_status,
    ticket_format,
)
from devices.printer_monitor import PrinterMonitor
from devices.printer_simulated import SimulatedPrinter
from devices.qr import qr_image
from devices.status import DeviceError, DeviceState, DeviceStatus
from devices.ticket_layout import (
    QR_BORDER,
    TicketPrint,
    find_sc_face,
    layout_ticket,
    qr_box_size,
    render_ticket,
    ticket_qr,
    ticket_text_lines,
    write_ticket,
)
from tests.devices.helpers import wait_until

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = find_sc_face(FONT)
BEIJING = timezone(timedelta(hours=8))
URL = "https://hall.example.gov.cn/q/0105/t/8f3a2c"
CUT = b"\x1dV\x00"  # GS V 0, what python-escpos cut() sends after feeding
LONG_HALL = "北京市朝阳区公共法律服务中心（朝阳区法律援助中心、人民调解委员会联合接待大厅）"
PRINTER_OK = {1: b"\x12", 2: b"\x12", 4: b"\x12"}  # DLE EOT 1, 2 and 4 replies, all fine


def make_ticket(**changes: Any) -> TicketPrint:
    """A ticket like the ones the queue issues, with fields replaced by changes."""
    fields: dict[str, Any] = dict(
        hall="朝阳区公共法律服务中心", service="法律援助申请", number="A001", people_ahead=3,
        wait_minutes=12, issued_at=datetime(2026, 11, 23, 9, 5, tzinfo=BEIJING), status_url=URL,
        priority="normal")
    return TicketPrint(**{**fields, **changes})


def dummy_bytes(ticket: TicketPrint, width: int, mode: str = "bitmap") -> bytes:
    """The bytes write_ticket sends to a real python-escpos Dummy printer."""
    printer = Dummy()
    write_ticket(printer, ticket, width_dots=width, mode=mode, font_path=FONT, font_index=FACE)
    return bytes(printer.output)


def dark_share(image: Image.Image) -> float:
    """The fraction of an image's pixels that are printed dots."""
    return image.convert("L").histogram()[0] / (image.width * image.height)


def all_white(image: Image.Image) -> bool:
    """Whether no dot of the image is printed."""
    return image.convert("L").getextrema() == (255, 255)


def test_find_sc_face_picks_simplified_chinese_in_the_noto_collection() -> None:
    family = ImageFont.truetype(FONT, 12, index=FACE).getname()[0]

    assert family == "Noto Sans CJK SC"
    assert FACE != 0  # face 0 is the Japanese one


def test_ticket_text_lines_in_print_order() -> None:
    assert ticket_text_lines(make_ticket(priority="green")) == [
        "朝阳区公共法律服务中心", "法律援助申请", "A001", "绿色通道", "前面还有 3 人等候",
        "预计等候约 12 分钟", "取号时间 2026-11-23 09:05", "过号无效，请重新取号",
        "扫码查看排队进度"]
    lines = ticket_text_lines(make_ticket(wait_minutes=None, priority="appointment"))
    assert "预约" in lines and not any("预计" in line for line in lines)
    assert "绿色通道" not in ticket_text_lines(make_ticket())
    assert "预约" not in ticket_text_lines(make_ticket())


def test_the_window_line_follows_the_number_only_when_the_hall_names_windows() -> None:
    lines = ticket_text_lines(make_ticket(windows=(1, 2)))
    assert lines[3] == "在 1、2 号窗口办理"
    assert not any("窗口" in line for line in ticket_text_lines(make_ticket()))


def test_ticket_refuses_naive_time_and_unknown_priority() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_ticket(issued_at=datetime(2026, 11, 23, 9, 5))
    with pytest.raises(ValueError, match="priority"):
        make_ticket(priority="vip")


@pytest.mark.parametrize("width", [384, 576])
def test_bitmap_ticket_bytes_decode_to_the_rendered_ticket(
    width: int, capsys: pytest.CaptureFixture[str]
) -> None:
    ticket = make_ticket(priority="green")
    layout = layout_ticket(ticket, width, FONT, FACE)

    data = dummy_bytes(ticket, width)
    paper = decode_escpos(data, width)

    # python-escpos prints a warning per image unless it knows the paper width; it was told,
    # on this printer only, not on the profile class every Dummy shares.
    assert capsys.readouterr().out == ""
    assert Dummy().profile.profile_data["media"]["width"]["pixels"] == "Unknown"

    assert data.startswith(b"\x1b@\x1dv0")  # ESC @, then a GS v 0 raster image
    assert data.endswith(CUT) and paper.ends_with_cut and paper.cuts == 1
    assert paper.rasters and {raster_width for raster_width, _ in paper.rasters} == {width}
    assert sum(height for _, height in paper.rasters) == layout.image.height
    assert layout.image.mode == "1" and layout.image.width == width
    printed = paper.image.crop((0, 0, width, layout.image.height))
    assert printed.tobytes() == layout.image.tobytes()  # dot for dot
    assert all_white(paper.image.crop((0, layout.image.height, width, paper.image.height)))
    assert dark_share(paper.image.crop(layout.regions["number"])) > 0.2
    assert dark_share(paper.image.crop(layout.regions["marker"])) > 0.5  # white on black


@pytest.mark.parametrize("width", [384, 576])
def test_printed_qr_is_the_status_url_code_scaled_and_centred(width: int) -> None:
    layout = layout_ticket(make_ticket(), width, FONT, FACE)
    paper = decode_escpos(dummy_bytes(make_ticket(), width), width)
    box = qr_box_size(URL, width)
    unscaled = qr_image(URL, box_size=1, border=QR_BORDER).convert("1")
    expected = unscaled.resize((unscaled.width * box, unscaled.height * box),
                               Image.Resampling.NEAREST)

    left, top, right, bottom = layout.regions["qr"]
    assert ticket_qr(URL, width).tobytes() == expected.tobytes()
    assert paper.image.crop((left, top, right, bottom)).tobytes() == expected.tobytes()
    assert abs(left - (width - right)) <= 1
    assert 0.4 * width <= right - left <= 0.6 * width
    assert qr_image("https://hall.example.gov.cn/q/0105/t/other").tobytes() != \
        qr_image(URL).tobytes()  # so matching the URL's code is meaningful


def test_the_number_region_holds_the_large_number() -> None:
    first = layout_ticket(make_ticket(number="A001"), 384, FONT, FACE)
    second = layout_ticket(make_ticket(number="B987"), 384, FONT, FACE)
    difference = Image.frombytes("1", first.image.size, bytes(
        a ^ b for a, b in zip(first.image.tobytes(), second.image.tobytes(), strict=True)))

    left, top, right, bottom = first.regions["number"]
    changed = difference.getbbox()
    assert changed is not None
    assert left <= changed[0] and top <= changed[1] and changed[2] <= right and changed[3] <= bottom
    service = first.regions["service"]
    assert bottom - top > 2 * (service[3] - service[1])  # large: over twice the service name


@pytest.mark.parametrize("width", [384, 576])
def test_long_hall_names_wrap_within_the_paper(width: int) -> None:
    ticket = make_ticket(hall=LONG_HALL, service="公证、司法鉴定及人民调解咨询服务（含涉外公证）")
    short = layout_ticket(make_ticket(), width, FONT, FACE)
    long = layout_ticket(ticket, width, FONT, FACE)

    hall_height = long.regions["hall"][3] - long.regions["hall"][1]
    assert hall_height > 2 * (short.regions["hall"][3] - short.regions["hall"][1])
    margin = width // 48
    assert all_white(long.image.crop((0, 0, margin, long.image.height)))
    assert all_white(long.image.crop((width - margin, 0, width, long.image.height)))
    font = ImageFont.truetype(FONT, 28, index=FACE)
    lines = break_lines(LONG_HALL, font.getlength, 300)
    assert len(lines) > 2 and "".join(lines) == LONG_HALL
    assert all(font.getlength(line) <= 300 for line in lines)
    assert not any(line[0] in "，。、）" for line in lines)  # closing marks never start a line


def test_render_ticket_is_deterministic() -> None:
    ticket = make_ticket(priority="appointment")

    first = render_ticket(ticket, 576, FONT, FACE)
    second = render_ticket(ticket, 576, FONT, FACE)

    assert first.tobytes() == second.tobytes()
    assert dummy_bytes(ticket, 576) == dummy_bytes(ticket, 576)
    assert render_ticket(make_ticket(people_ahead=4), 576, FONT, FACE).tobytes() != \
        first.tobytes()


@pytest.mark.parametrize("width", [384, 576])
def test_gb18030_mode_sends_chinese_text_native_qr_and_a_cut(width: int) -> None:
    data = dummy_bytes(make_ticket(priority="green"), width, mode="gb18030")

    assert "前面还有".encode("gb18030") in data
    assert "前面还有".encode() not in data
    assert b"\x1d!\x33\x1dB\x00A001\n" in data  # GS ! 4x wide and tall, not reversed
    assert b"\x1d(k" in data and URL.encode() in data  # the printer draws the QR code
    assert data.endswith(CUT)
    paper = decode_escpos(data, width, FONT, FACE)
    assert paper.qr_codes == [URL] and paper.rasters == [] and paper.ends_with_cut
    assert "预计等候约 12 分钟" in paper.text_lines and "过号无效，请重新取号" in paper.text_lines
    assert "预计" not in dummy_bytes(make_ticket(wait_minutes=None), width, "gb18030").decode(
        "gb18030", errors="replace")


def test_gb18030_lines_fit_the_printer_columns() -> None:
    data = dummy_bytes(make_ticket(hall=LONG_HALL), 384, mode="gb18030")
    hall = LONG_HALL.encode("gb18030")

    assert hall not in data  # 38 characters cannot fit 16 a line: it was wrapped
    assert hall[:32] in data and hall[32:64] in data


@pytest.mark.parametrize("width", [384, 432, 576])
def test_printed_lines_follow_the_chinese_line_breaking_rule(width: int) -> None:
    ticket = make_ticket(hall=LONG_HALL, service="工伤认定与劳动（含讨薪）仲裁咨询")
    paper = decode_escpos(dummy_bytes(ticket, width, mode="gb18030"), width, FONT, FACE)
    lines = [line for line in paper.text_lines if line.strip()]

    assert "".join(lines).count("（") == 2  # every bracket printed
    assert not any(line.rstrip()[-1] in "（《“" for line in lines)  # no opening bracket at the end
    assert not any(line.strip()[0] in "），。、；" for line in lines)  # no closing mark first


def test_decoder_rejects_bytes_it_cannot_interpret() -> None:
    with pytest.raises(EscposDecodeError, match=r"unknown command ESC 0xff at offset 2"):
        decode_escpos(b"\x1b@\x1b\xff\x00garbage", 384)
    with pytest.raises(EscposDecodeError, match=r"cannot interpret byte 0x07 at offset 0"):
        decode_escpos(b"\x07\x00\x13", 384)
    truncated = dummy_bytes(make_ticket(), 384)[:5000]
    with pytest.raises(EscposDecodeError, match=r"GS v 0 image of 384x\d+ at offset 10 is cut"):
        decode_escpos(truncated, 384)
    with pytest.raises(EscposDecodeError, match="does not fit paper 384"):
        decode_escpos(dummy_bytes(make_ticket(), 576), 384)
    with pytest.raises(EscposDecodeError, match="pass font_path"):
        decode_escpos("前面还有\n".encode("gb18030"), 384)
    with pytest.raises(EscposDecodeError, match="not valid GB18030"):
        decode_escpos(b"\x81\x20\n", 384, FONT, FACE)


def test_simulated_printer_writes_the_bytes_and_their_decoded_picture(tmp_path: Path) -> None:
    printer = make_printer("simulated", directory=tmp_path, paper_width_mm=58)
    ticket = make_ticket(number="B012")

    printer.print_ticket(make_ticket())
    printer.print_ticket(ticket)

    assert isinstance(printer, SimulatedPrinter) and printer.status.state is DeviceState.OK
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ticket-0001-A001.bin", "ticket-0001-A001.png", "ticket-0002-B012.bin",
        "ticket-0002-B012.png"]
    data = (tmp_path / "ticket-0002-B012.bin").read_bytes()
    assert data == dummy_bytes(ticket, 384)
    with Image.open(tmp_path / "ticket-0002-B012.png") as png:
        picture = png.convert("1")
    assert picture.tobytes() == decode_escpos(data, 384).image.tobytes()
    rendered = render_ticket(ticket, 384, FONT, FACE)
    assert picture.crop((0, 0, 384, rendered.height)).tobytes() == rendered.tobytes()
    again = make_printer("simulated", directory=tmp_path, paper_width_mm=58)
    again.print_ticket(make_ticket(number="C/1"))  # numbering goes on; no "/" in a file name
    assert (tmp_path / "ticket-0003-C_1.png").is_file()


def test_simulated_printer_in_gb18030_mode_decodes_the_text(tmp_path: Path) -> None:
    printer = make_printer("simulated", directory=tmp_path, mode="gb18030", font_path=FONT)

    printer.print_ticket(make_ticket())

    data = (tmp_path / "ticket-0001-A001.bin").read_bytes()
    paper = decode_escpos(data, 576, FONT, FACE)
    assert paper.qr_codes == [URL] and "前面还有 3 人等候" in paper.text_lines
    with Image.open(tmp_path / "ticket-0001-A001.png") as png:
        assert png.convert("1").tobytes() == paper.image.tobytes()


def test_status_file_paper_out_fails_printing_and_is_logged_once_each_way(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devices.printer")
    printer = make_printer("simulated", directory=tmp_path)
    assert printer.status == DeviceStatus("printer", DeviceState.OK,
                                          f"simulated: tickets in {tmp_path}")
    (tmp_path / "status").write_text("paper_out\n")

    for _attempt in range(2):
        with pytest.raises(DeviceError, match="paper out"):
            printer.print_ticket(make_ticket())
    assert printer.status == DeviceStatus("printer", DeviceState.ERROR, "paper out")
    assert not list(tmp_path.glob("*.bin"))
    (tmp_path / "status").write_text("paper_near_end")
    printer.print_ticket(make_ticket())
    printer.print_ticket(make_ticket(number="A002"))

    assert printer.status == DeviceStatus("printer", DeviceState.OK, "paper near end")
    messages = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "devices.printer"]
    assert messages.count((logging.ERROR, "printer error: paper out")) == 1
    assert messages.count((logging.INFO, "printer back: paper near end")) == 1
    assert len(list(tmp_path.glob("*.png"))) == 2


def test_simulated_faults_set_by_a_test(tmp_path: Path) -> None:
    printer = make_printer("simulated", directory=tmp_path)
    assert isinstance(printer, SimulatedPrinter)

    (tmp_path / "status").write_text("cover_open")  # set_fault() takes precedence
    printer.set_fault("offline")
    assert printer.status.state is DeviceState.OFFLINE
    with pytest.raises(DeviceError, match="printer offline"):
        printer.print_ticket(make_ticket())
    printer.set_fault("cover_open")
    assert printer.status == DeviceStatus("printer", DeviceState.ERROR, "cover open")
    with pytest.raises(DeviceError, match="unknown simulated fault"):
        printer.set_fault("on_fire")
    printer.set_fault("ok")
    printer.print_ticket(make_ticket())
    assert printer.status.state is DeviceState.OK
    printer.set_fault(None)  # back to the control file
    assert printer.status == DeviceStatus("printer", DeviceState.ERROR, "cover open")
    (tmp_path / "status").write_text("jammed")
    assert printer.refresh_status().message == (
        f"unknown simulated status 'jammed' in {tmp_path / 'status'}")


def test_file_printer_writes_the_ticket_bytes(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    printer = make_printer("file", address=str(target), paper_width_mm=58)

    printer.print_ticket(make_ticket())

    assert target.read_bytes() == dummy_bytes(make_ticket(), 384)
    assert printer.status.state is DeviceState.OK
    assert printer.refresh_status().state is DeviceState.OK


def test_file_printer_in_a_missing_folder_raises_a_clear_device_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "lp0"
    printer = make_printer("file", address=str(target))

    with pytest.raises(DeviceError) as raised:
        printer.print_ticket(make_ticket())

    assert str(raised.value) == (
        f"file printer {target}: not connected: No such file or directory")
    assert printer.status.state is DeviceState.OFFLINE
    assert printer.refresh_status().message == f"not connected: {target} not found"


def test_a_printer_that_never_takes_the_data_times_out(tmp_path: Path) -> None:
    fifo = tmp_path / "stuck-printer"
    os.mkfifo(fifo)  # opening a FIFO for writing blocks until someone reads: a hung device
    printer = make_printer("file", address=str(fifo), timeout=0.2)

    started = time.monotonic()
    with pytest.raises(DeviceError, match="not responding: no answer within 1 s"):
        printer.print_ticket(make_ticket())
    assert time.monotonic() - started < 2
    with pytest.raises(DeviceError, match="earlier job is stuck"):
        printer.print_ticket(make_ticket())
    assert printer.status.state is DeviceState.ERROR

    received = bytearray()
    with open(fifo, "rb") as reader:  # the stuck write goes through at last
        while chunk := reader.read(65536):
            received += chunk
    assert bytes(received) == dummy_bytes(make_ticket(), 576)


def test_network_printer_on_a_closed_port_fails_fast() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = make_printer("network", address=f"127.0.0.1:{port}", timeout=1)

    started = time.monotonic()
    with pytest.raises(DeviceError, match=f"network printer 127.0.0.1:{port}: not connected"):
        printer.print_ticket(make_ticket())

    assert time.monotonic() - started < 3
    assert printer.status.state is DeviceState.OFFLINE
    assert "Connection refused" in printer.status.message


class FakeNetworkPrinter:
    """A loopback TCP server that answers DLE EOT queries like an ESC/POS printer."""

    def __init__(self, replies: dict[int, bytes]) -> None:
        self.replies = replies
        self.received = bytearray()  # everything after the status queries
        self.queries: list[int] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)  # so the serving loop sees close() soon
        self._closing = threading.Event()
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closing.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                self._talk(connection)

    def _talk(self, connection: socket.socket) -> None:
        pending, answering = b"", True
        while chunk := connection.recv(65536):
            pending += chunk
            while answering and len(pending) >= 3 and pending.startswith(b"\x10\x04"):
                self.queries.append(pending[2])
                connection.sendall(self.replies[pending[2]])
                pending = pending[3:]
            # Status comes first, then the ticket: raster data may hold 0x10 0x04 by chance.
            if pending and not b"\x10\x04".startswith(pending[:2]):
                answering = False
            if not answering:
                self.received += pending
                pending = b""

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def network_printer() -> Iterator[Callable[[dict[int, bytes]], FakeNetworkPrinter]]:
    """Start fake network printers with given status replies; close them after the test."""
    servers: list[FakeNetworkPrinter] = []

    def start(replies: dict[int, bytes]) -> FakeNetworkPrinter:
        servers.append(FakeNetworkPrinter(replies))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_network_printer_checks_status_then_sends_the_ticket(
    network_printer: Callable[[dict[int, bytes]], FakeNetworkPrinter]
) -> None:
    server = network_printer({**PRINTER_OK, 4: b"\x1e"})  # paper near end
    printer = make_printer("network", address=f"127.0.0.1:{server.port}", paper_width_mm=58,
                           timeout=2)

    printer.print_ticket(make_ticket())

    assert server.queries == [1, 2, 4]
    assert wait_until(lambda: len(server.received) == len(dummy_bytes(make_ticket(), 384)), 5)
    assert bytes(server.received) == dummy_bytes(make_ticket(), 384)
    assert printer.status == DeviceStatus("printer", DeviceState.OK, "paper near end")


def test_network_printer_with_no_paper_keeps_the_ticket(
    network_printer: Callable[[dict[int, bytes]], FakeNetworkPrinter]
) -> None:
    server = network_printer({1: b"\x1a", 2: b"\x32", 4: b"\x72"})  # offline, paper end stop
    printer = make_printer("network", address=f"127.0.0.1:{server.port}", timeout=2)

    with pytest.raises(DeviceError, match="paper out"):
        printer.print_ticket(make_ticket())

    assert printer.status == DeviceStatus("printer", DeviceState.ERROR, "paper out")
    time.sleep(0.1)
    assert server.received == b""
    server.replies.update(PRINTER_OK)
    assert printer.refresh_status() == DeviceStatus("printer", DeviceState.OK, "")


class StatusDummy(Dummy):  # type: ignore[misc]  # python-escpos has no type hints
    """A Dummy printer that answers DLE EOT n with canned reply bytes."""

    def __init__(self, replies: dict[int, bytes]) -> None:
        super().__init__()
        self.replies = replies

    def _read(self) -> bytes:
        query = self.output[-3:]
        assert query[:2] == b"\x10\x04"
        return self.replies[query[2]]


@pytest.mark.parametrize(("replies", "expected"), [
    (PRINTER_OK, (DeviceState.OK, "")),
    ({**PRINTER_OK, 4: b"\x1e"}, (DeviceState.OK, "paper near end")),
    ({1: b"\x1a", 2: b"\x32", 4: b"\x72"}, (DeviceState.ERROR, "paper out")),
    ({1: b"\x1a", 2: b"\x16", 4: b"\x12"}, (DeviceState.ERROR, "cover open")),
    ({1: b"\x1a", 2: b"\x52", 4: b"\x12"}, (DeviceState.ERROR, "printer error")),
    ({1: b"\x1a", 2: b"\x12", 4: b"\x12"}, (DeviceState.OFFLINE, "printer offline")),
    ({1: b"", 2: b"", 4: b""}, (DeviceState.OFFLINE, "printer offline")),  # no answer
])
def test_read_status_maps_dle_eot_replies(
    replies: dict[int, bytes], expected: tuple[DeviceState, str]
) -> None:
    assert read_status(StatusDummy(replies)) == expected


def test_monitor_reports_changes_from_its_own_thread_and_stops(tmp_path: Path) -> None:
    printer = make_printer("simulated", directory=tmp_path)
    changes: list[tuple[DeviceStatus, str]] = []
    monitor = PrinterMonitor(
        printer, lambda status: changes.append((status, threading.current_thread().name)),
        interval=0.02)

    monitor.start()
    time.sleep(0.1)
    assert changes == []  # nothing changed yet
    (tmp_path / "status").write_text("cover_open")
    assert wait_until(lambda: len(changes) == 1, 5)
    (tmp_path / "status").write_text("ok")
    assert wait_until(lambda: len(changes) == 2, 5)

    assert monitor.stop(timeout=2) and not monitor.running
    assert [status for status, _ in changes] == [
        DeviceStatus("printer", DeviceState.ERROR, "cover open"),
        DeviceStatus("printer", DeviceState.OK, f"simulated: tickets in {tmp_path}")]
    assert {thread for _, thread in changes} == {"printer-monitor"}


def test_usb_printer_without_a_device_is_an_error_not_a_silent_fallback() -> None:
    printer = make_printer("usb", address="0416:5011", timeout=1)

    with pytest.raises(DeviceError, match="USB printer 0416:5011: "):
        printer.print_ticket(make_ticket())

    assert printer.status.state in (DeviceState.ERROR, DeviceState.OFFLINE)  # no pyusb / no device
    with pytest.raises(DeviceError, match="VID:PID"):
        make_printer("usb", address="printer-1")


def test_configuration_errors_are_device_errors(tmp_path: Path) -> None:
    with pytest.raises(DeviceError, match="unknown printer kind 'laser'"):
        make_printer("laser")
    with pytest.raises(DeviceError, match="paper_width_mm must be 58 or 80"):
        make_printer("file", address=str(tmp_path / "lp0"), paper_width_mm=76)
    with pytest.raises(DeviceError, match="unknown print mode"):
        ticket_format(mode="utf8")
    with pytest.raises(DeviceError, match="bad option for printer kind 'network'"):
        make_printer("network", address="127.0.0.1:9100", baudrate=9600)
    with pytest.raises(DeviceError, match="host:port"):
        make_printer("network", address="127.0.0.1:printer")
    with pytest.raises(DeviceError, match="does not exist"):
        make_printer("simulated", directory=tmp_path, font_path=str(tmp_path / "none.ttf"))


def test_null_printer_is_disabled_and_prints_nothing() -> None:
    printer = make_printer("null", paper_width_mm=58)

    printer.print_ticket(make_ticket())

    assert isinstance(printer, NullPrinter) and printer.printed == [make_ticket()]
    assert printer.status == DeviceStatus("printer", DeviceState.DISABLED, "no printer configured")
    assert printer.refresh_status() is printer.status
    assert not isinstance(printer, EscposPrinter)
