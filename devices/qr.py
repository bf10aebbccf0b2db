"""QR codes for the links shown on screens and printed on tickets (no Kivy here)."""

from __future__ import annotations

import io
from bisect import bisect_left
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError
from qrcode.util import (
    BIT_LIMIT_TABLE,
    MODE_ALPHA_NUM,
    MODE_NUMBER,
    mode_sizes_for_version,
    optimal_data_chunks,
)


@lru_cache(maxsize=256)
def qr_modules(data: str, border: int = 2) -> tuple[tuple[bool, ...], ...]:
    """The code's modules, top row first, True for dark, with a quiet zone of border
    modules (level M): what a screen draws one texel per module, no image codec involved."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


@lru_cache(maxsize=256)
def qr_size(data: str, border: int = 2) -> int:
    """How many modules wide qr_modules(data, border) is, without making the code: the
    smallest version that holds data at level M, found as qrcode's best_fit finds it (the
    same chunks of data, each mode's header and bits) but with the bits counted, not
    written one by one (about 2 ms of each guide page, issue #17)."""
    chunks = [(chunk.mode, len(chunk)) for chunk in optimal_data_chunks(data, minimum=20)]
    version = 1
    while True:
        sizes = mode_sizes_for_version(version)
        needed = sum(4 + sizes[mode] + _chunk_bits(mode, length) for mode, length in chunks)
        found = bisect_left(BIT_LIMIT_TABLE[ERROR_CORRECT_M], needed, version)
        if found > 40:
            raise DataOverflowError()
        if mode_sizes_for_version(found) is sizes:
            return found * 4 + 17 + 2 * border
        version = found  # longer length fields from this version on: count again


def _chunk_bits(mode: int, length: int) -> int:
    """The bits of a chunk's data in its mode (QRData.write)."""
    if mode == MODE_NUMBER:
        return 10 * (length // 3) + (0, 4, 7)[length % 3]
    if mode == MODE_ALPHA_NUM:
        return 11 * (length // 2) + 6 * (length % 2)
    return 8 * length  # bytes (qrcode makes no Kanji chunks)


def qr_image(data: str, box_size: int = 10, border: int = 2) -> Image.Image:
    """Render data as a black-on-white RGB QR code with error correction level M."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("RGB")


# Screens ask for the same few URLs again and again; PNG bytes are immutable, so share them.
@lru_cache(maxsize=64)
def qr_png_bytes(data: str, box_size: int = 10, border: int = 2) -> bytes:
    """The QR code for data as PNG bytes, cached."""
    buffer = io.BytesIO()
    qr_image(data, box_size, border).save(buffer, format="PNG")
    return buffer.getvalue()
