"""Decode ESC/POS bytes into the paper a printer would produce (the simulated printer's PNG).

Raster images (GS v 0) come out dot for dot, so a bitmap ticket decodes to exactly the image that
was sent. Resident-font text is drawn in 12x24 / 24x24 cells with the given CJK font, which only
approximates a printer's own font. Bytes outside the small set of commands the tickets use raise
EscposDecodeError: a stream that decodes here uses nothing a printer could misread.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont

LINE_FEED_DOTS = 30  # the default line spacing (ESC 2): 1/6 inch at 180 dpi
FONT_HEIGHT = 24  # dots; resident fonts are 12x24 (half width) and 24x24 (Chinese)
LF, CR, ESC, GS, FS = 0x0A, 0x0D, 0x1B, 0x1D, 0x1C
QR_LEVELS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
             50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}


class EscposDecodeError(ValueError):
    """Bytes the decoder cannot interpret; the message says what and at which offset."""


@dataclass
class DecodedPrint:
    """The paper an ESC/POS stream prints, and what was on it."""

    image: Image.Image  # mode "1", paper width, black = printed dot
    rasters: list[tuple[int, int]] = field(default_factory=list)  # (width, height) in dots
    text_lines: list[str] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    cuts: int = 0
    ends_with_cut: bool = False


@dataclass(frozen=True)
class _Style:
    align: int = 0  # 0 left, 1 centre, 2 right
    bold: bool = False
    wide: int = 1
    tall: int = 1
    reverse: bool = False
    chinese: bool = True  # double-byte GB18030 text; Chinese printers start in this mode


def decode_escpos(data: bytes, width_dots: int, font_path: str | None = None,
                  font_index: int = 0) -> DecodedPrint:
    """Decode data as printed on paper width_dots wide; raise EscposDecodeError on unknown bytes."""
    return _Decoder(data, width_dots, font_path, font_index).run()


class _Decoder:
    def __init__(self, data: bytes, width_dots: int, font_path: str | None,
                 font_index: int) -> None:
        self.data, self.pos, self.width = data, 0, width_dots
        self.font_path, self.font_index = font_path, font_index
        self.style = _Style()
        self.strips: list[Image.Image] = []
        self.segments: list[tuple[bytes, _Style, int]] = []  # text waiting for LF, with offsets
        self.qr_size, self.qr_level, self.qr_data = 3, 48, b""
        self.result = DecodedPrint(Image.new("1", (width_dots, 1), 255))

    def run(self) -> DecodedPrint:
        last = ""
        while self.pos < len(self.data):
            byte = self.data[self.pos]
            if byte >= 0x20:
                start = self.pos
                while self.pos < len(self.data) and self.data[self.pos] >= 0x20:
                    self.pos += 1
                self.segments.append((self.data[start:self.pos], self.style, start))
            elif byte == LF:
                self._print_line(feed_if_empty=True)
                self.pos += 1
            elif byte == CR:
                self.pos += 1  # printers ignore CR when LF follows, as it does here
            elif byte in (ESC, GS, FS):
                handler = {ESC: self._esc, GS: self._gs, FS: self._fs}[byte]
                last = handler(self.data[self.pos + 1] if self.pos + 1 < len(self.data) else -1)
                continue
            else:
                raise EscposDecodeError(
                    f"cannot interpret byte 0x{byte:02x} at offset {self.pos}: not a command "
                    "the ticket printer uses")
            last = "data"
        self._print_line(feed_if_empty=False)
        self.result.ends_with_cut = last == "cut"
        height = sum(strip.height for strip in self.strips)
        image = Image.new("1", (self.width, max(height, 1)), 255)
        top = 0
        for strip in self.strips:
            image.paste(strip, (0, top))
            top += strip.height
        self.result.image = image
        return self.result

    def _take(self, count: int, name: str) -> bytes:
        if self.pos + count > len(self.data):
            raise EscposDecodeError(
                f"{name} at offset {self.pos} is cut short: needs {count} bytes, "
                f"{len(self.data) - self.pos} left")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def _unknown(self, prefix: str, command: int) -> EscposDecodeError:
        if command < 0:
            return EscposDecodeError(f"{prefix} at offset {self.pos} is cut short: "
                                     "the command byte is missing")
        shown = f"0x{command:02x}" + (f" ({chr(command)!r})" if 0x20 < command < 0x7F else "")
        return EscposDecodeError(f"unknown command {prefix} {shown} at offset {self.pos}")

    def _esc(self, command: int) -> str:
        if command == 0x40:  # ESC @: initialise
            self._take(2, "ESC @")
            self.segments.clear()
            self.style = _Style()
            return "init"
        if command in (0x61, 0x45, 0x21, 0x64):
            value = self._take(3, f"ESC {chr(command)}")[2]
            if command == 0x61:  # ESC a n: justification
                if value % 48 > 2:
                    raise EscposDecodeError(f"ESC a {value} at offset {self.pos - 3}: "
                                            "justification must be 0, 1 or 2")
                self.style = replace(self.style, align=value % 48)
            elif command == 0x45:  # ESC E n: emphasis
                self.style = replace(self.style, bold=bool(value & 1))
            elif command == 0x21:  # ESC ! n: print mode
                self.style = replace(self.style, bold=bool(value & 8), tall=2 if value & 16 else 1,
                                     wide=2 if value & 32 else 1)
            else:  # ESC d n: print the line and feed n lines
                self._print_line(feed_if_empty=False)
                self._feed(value * LINE_FEED_DOTS)
            return "style"
        raise self._unknown("ESC", command)

    def _fs(self, command: int) -> str:
        if command in (0x26, 0x2E):  # FS & / FS .: Chinese characters on / off
            self._take(2, "FS")
            self.style = replace(self.style, chinese=command == 0x26)
            return "style"
        raise self._unknown("FS", command)

    def _gs(self, command: int) -> str:
        if command == 0x21:  # GS ! n: character size
            value = self._take(3, "GS !")[2]
            if (value >> 4) > 7 or (value & 15) > 7:
                raise EscposDecodeError(f"GS ! 0x{value:02x} at offset {self.pos - 3}: "
                                        "size out of range")
            self.style = replace(self.style, wide=(value >> 4) + 1, tall=(value & 15) + 1)
            return "style"
        if command == 0x42:  # GS B n: reverse printing
            self.style = replace(self.style, reverse=bool(self._take(3, "GS B")[2] & 1))
            return "style"
        if command == 0x56:  # GS V: cut
            mode = self._take(3, "GS V")[2]
            if mode in (65, 66, 97, 98, 103, 104):  # feed n dots, then cut
                self._print_line(feed_if_empty=False)
                self._feed(self._take(1, "GS V feed")[0])
            elif mode in (0, 1, 48, 49):
                self._print_line(feed_if_empty=False)
            else:
                raise EscposDecodeError(f"GS V {mode} at offset {self.pos - 3}: unknown cut")
            self.result.cuts += 1
            return "cut"
        if command == 0x76:  # GS v 0: raster bit image
            self._raster()
            return "image"
        if command == 0x28 and self.pos + 2 < len(self.data) and self.data[self.pos + 2] == 0x6B:
            self._two_dimensional_code()
            return "qr"
        if command == 0x28 and self.pos + 2 < len(self.data) and self.data[self.pos + 2] == 0x4C:
            raise EscposDecodeError(f"GS ( L graphics at offset {self.pos} are not supported: "
                                    "tickets are sent as GS v 0 raster images")
        raise self._unknown("GS", command)

    def _raster(self) -> None:
        start = self.pos
        header = self._take(8, "GS v 0")
        if header[2] != 0x30 or header[3] % 48 > 3:
            raise EscposDecodeError(f"GS v at offset {start}: expected GS v 0 with mode 0 to 3")
        width_bytes = header[4] + 256 * header[5]
        height = header[6] + 256 * header[7]
        if not width_bytes or not height:
            raise EscposDecodeError(f"GS v 0 at offset {start}: empty image")
        bits = self._take(width_bytes * height, f"GS v 0 image of {width_bytes * 8}x{height}")
        # Bit 1 is a printed dot; "1;I" makes it black (0) in a mode "1" image.
        image = Image.frombytes("1", (width_bytes * 8, height), bits, "raw", "1;I")
        if density := header[3] % 48:  # 1 double width, 2 double height, 3 both
            image = image.resize((image.width * (1 + (density & 1)), height * (1 + (density >> 1))),
                                 Image.Resampling.NEAREST)
        if image.width > self.width:
            raise EscposDecodeError(f"GS v 0 at offset {start}: image {image.width} dots wide "
                                    f"does not fit paper {self.width} dots wide")
        self._print_line(feed_if_empty=False)
        self.result.rasters.append((width_bytes * 8, height))
        self._place(image)

    def _two_dimensional_code(self) -> None:
        start = self.pos
        header = self._take(5, "GS ( k")
        body = self._take(header[3] + 256 * header[4], "GS ( k")
        if len(body) < 2 or body[0] != 0x31:
            raise EscposDecodeError(f"GS ( k at offset {start}: only QR codes (cn 49) are known")
        function, parameters = body[1], body[2:]
        if function == 65 and parameters[:1] == b"2":  # model 2
            return
        if function == 67 and parameters and 1 <= parameters[0] <= 16:
            self.qr_size = parameters[0]
        elif function == 69 and parameters and parameters[0] in QR_LEVELS:
            self.qr_level = parameters[0]
        elif function == 80 and parameters[:1] == b"0":
            self.qr_data = parameters[1:]
        elif function == 81 and parameters[:1] == b"0":
            if not self.qr_data:
                raise EscposDecodeError(f"GS ( k at offset {start}: print a QR code with no data")
            self._print_line(feed_if_empty=False)
            code = qrcode.QRCode(error_correction=QR_LEVELS[self.qr_level],
                                 box_size=self.qr_size, border=0)
            text = self.qr_data.decode("utf-8", errors="replace")
            code.add_data(text)
            code.make(fit=True)
            self.result.qr_codes.append(text)
            self._place(code.make_image().get_image().convert("1"))
        else:
            raise EscposDecodeError(f"GS ( k at offset {start}: unknown QR function {function} "
                                    f"with parameters {parameters[:4]!r}")

    def _feed(self, dots: int) -> None:
        if dots:
            self.strips.append(Image.new("1", (self.width, dots), 255))

    def _place(self, picture: Image.Image) -> None:
        strip = Image.new("1", (self.width, picture.height), 255)
        left = (self.width - picture.width) * self.style.align // 2
        strip.paste(picture, (left, 0))
        self.strips.append(strip)

    def _print_line(self, feed_if_empty: bool) -> None:
        if not self.segments:
            if feed_if_empty:
                self._feed(LINE_FEED_DOTS)
            return
        if self.font_path is None:
            raise EscposDecodeError(f"text at offset {self.segments[0][2]}: pass font_path "
                                    "to draw resident-font text")
        cells: list[Image.Image] = []
        text = ""
        for raw, style, offset in self.segments:
            if not style.chinese and max(raw) >= 0x80:
                raise EscposDecodeError(f"text at offset {offset} has double-byte characters "
                                        "while Chinese mode is off (FS .)")
            try:
                chars = raw.decode("gb18030")
            except UnicodeDecodeError as error:
                raise EscposDecodeError(f"text at offset {offset + error.start} is not valid "
                                        "GB18030") from error
            text += chars
            cells.extend(_cell(self.font_path, self.font_index, char, style) for char in chars)
        align, spacing = self.segments[-1][1].align, LINE_FEED_DOTS - FONT_HEIGHT
        self.segments.clear()
        self.result.text_lines.append(text)
        row: list[Image.Image] = []
        for cell in [*cells, None]:  # a printer wraps a line that is wider than the paper
            if cell is None or sum(c.width for c in row) + cell.width > self.width:
                height = max(c.height for c in row) + spacing
                strip = Image.new("1", (self.width, height), 255)
                left = (self.width - sum(c.width for c in row)) * align // 2
                for placed in row:
                    strip.paste(placed, (left, height - spacing - placed.height))
                    left += placed.width
                self.strips.append(strip)
                row = []
            if cell is not None:
                row.append(cell)


@lru_cache(maxsize=4)
def _font(font_path: str, font_index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path, FONT_HEIGHT - 2, index=font_index)


@lru_cache(maxsize=1024)
def _cell(font_path: str, font_index: int, char: str, style: _Style) -> Image.Image:
    width = FONT_HEIGHT if len(char.encode("gb18030")) > 1 else FONT_HEIGHT // 2
    cell = Image.new("1", (width, FONT_HEIGHT), 255)
    draw = ImageDraw.Draw(cell)
    draw.fontmode = "1"
    font = _font(font_path, font_index)
    for shift in range(1 + style.bold):  # emphasis is double-striking one dot to the right
        draw.text((width / 2 + shift, FONT_HEIGHT / 2), char, fill=0, font=font, anchor="mm")
    cell = cell.resize((width * style.wide, FONT_HEIGHT * style.tall), Image.Resampling.NEAREST)
    return ImageChops.invert(cell) if style.reverse else cell
