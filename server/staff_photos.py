"""Staff photos for the 公示 on a window's rating pad (optional).

An uploaded picture is opened with Pillow, turned upright by its EXIF orientation, cut to
a 3:4 portrait and written again as a small JPEG (no EXIF, no location, no camera data);
only that copy is kept, content-addressed in the server's media storage, and the account
names it by its sha256. Terminals fetch it like any stored file, signed, and check the
hash. Anything Pillow cannot read as a JPEG, PNG or WebP picture is refused.
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from server.storage import MediaStorage

log = logging.getLogger(__name__)
MAX_UPLOAD = 8 * 1024 * 1024  # bytes of the file as sent
MAX_PIXELS = 40_000_000  # a larger picture (or a decompression bomb) is refused
SIZE = (360, 480)  # the stored portrait, 3:4
FORMATS = ("JPEG", "PNG", "WEBP")


class PhotoRejected(ValueError):
    """A picture that cannot be a staff photo, with the reason in Chinese."""


def portrait(data: bytes) -> bytes:
    """The stored JPEG of an uploaded picture; PhotoRejected when it cannot be one."""
    if not data:
        raise PhotoRejected("请选择一张照片。")
    if len(data) > MAX_UPLOAD:
        raise PhotoRejected(f"照片不能大于 {MAX_UPLOAD // 1024 // 1024} MB。")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise PhotoRejected("只支持 JPG、PNG 或 WebP 格式的照片。")
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRejected("照片像素过大，请缩小后再上传。")
                image.load()
                upright = ImageOps.exif_transpose(image).convert("RGB")
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        log.warning("staff photo refused: %s", error)
        raise PhotoRejected("照片像素过大，请缩小后再上传。") from None
    except UnidentifiedImageError as error:
        log.warning("staff photo refused: %s", error)
        raise PhotoRejected("无法识别该文件，请上传 JPG、PNG 或 WebP 格式的照片。") from None
    except (OSError, ValueError, SyntaxError) as error:  # truncated or corrupt data
        log.warning("staff photo refused: %s", error)
        raise PhotoRejected("照片文件已损坏，无法读取。") from None
    fitted = ImageOps.fit(upright, SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.35))
    out = io.BytesIO()
    fitted.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def store(storage: MediaStorage, data: bytes) -> str:
    """Make the portrait of data, keep it in storage and return its sha256."""
    jpeg = portrait(data)
    sha256 = hashlib.sha256(jpeg).hexdigest()
    if storage.size(sha256) != len(jpeg):
        upload = storage.upload(sha256, len(jpeg))
        try:
            upload.write(jpeg)
            upload.finish()
        except BaseException:
            upload.abort()
            raise
    return sha256
