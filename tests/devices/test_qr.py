"""QR code images: structure checked pixel by pixel (no QR decoder is installed)."""

from __future__ import annotations

import io

import pytest
import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_L

from devices.qr import qr_image, qr_png_bytes

URL = "https://flyz.example.gov.cn/service-points/3?lang=zh_CN"
BLACK, WHITE = (0, 0, 0), (255, 255, 255)


def is_dark(image: Image.Image, row: int, col: int, box_size: int, border: int) -> bool:
    """Whether the module at (row, col) is black, sampled at the module's centre pixel."""
    x = (border + col) * box_size + box_size // 2
    y = (border + row) * box_size + box_size // 2
    return image.getpixel((x, y)) == BLACK


def module_count(image: Image.Image, box_size: int, border: int) -> int:
    """Modules per side of the symbol, without the quiet zone."""
    return image.width // box_size - 2 * border


def error_correction_bits(image: Image.Image, box_size: int, border: int) -> tuple[int, int]:
    """The two error-correction bits of the format information (bottom-left copy, unmasked)."""
    count = module_count(image, box_size, border)
    # Format bits 14 and 13 sit in column 8 of the last two rows; the spec masks them with 1, 0.
    bit14 = int(is_dark(image, count - 1, 8, box_size, border)) ^ 1
    bit13 = int(is_dark(image, count - 2, 8, box_size, border)) ^ 0
    return bit14, bit13


def test_qr_image_is_a_square_black_and_white_rgb_image() -> None:
    image = qr_image(URL)

    assert image.mode == "RGB"
    assert image.width == image.height
    assert sorted(color for _, color in image.getcolors() or []) == [BLACK, WHITE]


@pytest.mark.parametrize(("box_size", "border"), [(10, 2), (4, 4), (7, 0)])
def test_qr_image_has_the_three_finder_patterns_and_a_white_quiet_zone(
    box_size: int, border: int
) -> None:
    image = qr_image(URL, box_size=box_size, border=border)
    count = module_count(image, box_size, border)

    assert image.width % box_size == 0
    assert count >= 21 and (count - 17) % 4 == 0  # 17 + 4 * version modules per side
    for top, left in [(0, 0), (0, count - 7), (count - 7, 0)]:
        for row in range(7):
            for col in range(7):
                # Dark outer ring, light ring, dark 3x3 centre: only distance 2 is light.
                expected = max(abs(row - 3), abs(col - 3)) != 2
                assert is_dark(image, top + row, left + col, box_size, border) == expected, (
                    f"finder at ({top}, {left}), module ({row}, {col})"
                )
    quiet = [image.getpixel((x, y)) for y in range(border * box_size) for x in range(image.width)]
    assert set(quiet) <= {WHITE}


def test_qr_image_uses_error_correction_level_m() -> None:
    # Calibrate the bit reader on a level-L symbol made directly with qrcode (L is 01, M is 00).
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, box_size=10, border=2)
    code.add_data(URL)
    level_l = code.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    assert error_correction_bits(level_l, 10, 2) == (0, 1)

    assert error_correction_bits(qr_image(URL), 10, 2) == (0, 0)


def test_different_data_gives_different_images() -> None:
    first, second = qr_image(URL), qr_image(URL.replace("3", "4"))

    assert first.tobytes() != second.tobytes()
    assert qr_png_bytes("A-001") != qr_png_bytes("A-002")


def test_png_bytes_are_cached_and_decode_to_the_same_image() -> None:
    qr_png_bytes.cache_clear()

    first = qr_png_bytes(URL)
    again = qr_png_bytes(URL)

    assert again is first
    assert qr_png_bytes.cache_info().hits == 1
    with Image.open(io.BytesIO(first)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.convert("RGB").tobytes() == qr_image(URL).tobytes()


def test_qr_size_is_the_size_of_the_code_whatever_the_data() -> None:
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.exceptions import DataOverflowError

    from devices.qr import qr_modules, qr_size

    def best_fit(data: str) -> int:
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
        code.add_data(data)
        code.best_fit()
        return int(code.version) * 4 + 17 + 4

    guide = "https://12348.example.gov.cn/guide/G-0001?from=terminal&lang=zh"
    assert qr_size(guide) == len(qr_modules(guide)) == best_fit(guide)
    # numeric, alphanumeric and byte chunks (mixed as qrcode splits them), at lengths on
    # both sides of the versions where the length fields grow (10 and 27)
    for length in (1, 2, 3, 19, 20, 21, 150, 180, 190, 200, 215, 230, 700, 800, 1000, 1200):
        for data in ("7" * length, "AB-12:" * (length // 6 + 1), "链接x" * (length // 3 + 1),
                     ("12345678901234567890ABCDEFGHIJKLMNOPQRSTabc" * length)[:length]):
            try:
                expected = best_fit(data)
            except (DataOverflowError, ValueError):  # more than a version 40 code holds
                with pytest.raises(DataOverflowError):
                    qr_size(data)
                continue
            assert qr_size(data) == expected, (length, data[:20])
    assert qr_size("HTTPS://X.Y/" + "9" * 40) == len(qr_modules("HTTPS://X.Y/" + "9" * 40))
