"""Which files a reporter may send, and how a photo is cleaned before it is kept.

Photos carry metadata that can identify a reporter: GPS position, phone model and serial, date,
sometimes the owner's name. Only the pixels are kept: the image is decoded and re-encoded from
its pixel data alone, so no EXIF, XMP, IPTC, comment or thumbnail survives.
"""

from __future__ import annotations

import io
import threading
from enum import StrEnum

from PIL import Image, ImageOps, UnidentifiedImageError


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"


# Photos Pillow re-encodes, and the voice notes phones send (WhatsApp: ogg/opus; MMS: amr).
ACCEPTED_TYPES: dict[str, MediaKind] = {
    "image/jpeg": MediaKind.IMAGE,
    "image/png": MediaKind.IMAGE,
    "image/webp": MediaKind.IMAGE,
    "audio/ogg": MediaKind.AUDIO,
    "audio/amr": MediaKind.AUDIO,
    "audio/mpeg": MediaKind.AUDIO,
    "audio/mp4": MediaKind.AUDIO,
    "audio/aac": MediaKind.AUDIO,
}
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# A phone's photo is 12 megapixels (4000 x 3000) or less; WhatsApp and MMS send far smaller.
# Decoding costs about 13 bytes a pixel here (pixels, upright copy, raw copy): at this limit a
# photo takes ~200 MB while it is cleaned, and a 139 KB PNG of 7000 x 7000 is refused unopened.
MAX_PIXELS = 16_000_000
# Photos cleaned at once in one process: bounds the memory a burst of uploads can take.
_DECODING = threading.BoundedSemaphore(2)

REFUSED_TYPE = "type"
REFUSED_SIZE = "too_large"
REFUSED_UNREADABLE = "unreadable"


class UnreadableImage(Exception):
    """Not an image of the declared type, or one too large to decode safely."""


def size_label(max_bytes: int, language: str = "fr") -> str:
    """ "5 Mo", "512 ko": a limit as a reporter reads it."""
    megabytes, kilobytes = ("Mo", "ko") if language == "fr" else ("MB", "kB")
    if max_bytes >= 1024 * 1024:
        return f"{max_bytes // (1024 * 1024)} {megabytes}"
    return f"{max(1, max_bytes // 1024)} {kilobytes}"


def media_type(content_type: str) -> str:
    """ "image/jpeg; charset=…" → "image/jpeg"."""
    return content_type.split(";")[0].strip().lower()


def kind_of(content_type: str) -> MediaKind | None:
    return ACCEPTED_TYPES.get(media_type(content_type))


def clean_image(content: bytes, content_type: str) -> bytes:
    """The photo re-encoded from its pixels only, upright, in its own format.

    CPU-bound: call it through ``asyncio.to_thread``.
    """
    expected = _FORMATS.get(media_type(content_type))
    if expected is None:
        raise UnreadableImage("not an accepted image type")
    with _DECODING:
        return _reencoded(content, expected)


def _reencoded(content: bytes, expected: str) -> bytes:
    try:
        # Image.open reads the header only: the size is checked before any pixel is decoded.
        with Image.open(io.BytesIO(content)) as image:
            if image.format != expected or image.width * image.height > MAX_PIXELS:
                raise UnreadableImage("wrong format or too many pixels")
            # Apply the EXIF orientation to the pixels, since the EXIF itself is about to go.
            upright = ImageOps.exif_transpose(image).convert(_pixel_mode(image, expected))
            # A new image from the raw pixels: nothing of the original's metadata comes along.
            pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage("cannot decode") from error
    output = io.BytesIO()
    pixels.save(output, format=expected, **({"quality": 90} if expected != "PNG" else {}))
    return output.getvalue()


def _pixel_mode(image: Image.Image, image_format: str) -> str:
    """Plain greyscale, RGB or RGBA: palettes and exotic modes would not survive ``frombytes``."""
    if image.mode == "L":
        return "L"
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return "RGBA" if has_alpha and image_format != "JPEG" else "RGB"
