"""QR codes for the links shown on screens and printed on tickets (no Kivy here)."""

from __future__ import annotations

import io
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M


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
    """How many modules wide qr_modules(data, border) is, without choosing the mask (the
    smallest version that holds data at level M): a tenth of the cost of the code."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=border)
    code.add_data(data)
    code.best_fit()
    return int(code.version) * 4 + 17 + 2 * border


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
