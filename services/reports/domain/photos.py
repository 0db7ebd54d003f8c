"""A rider's photo made safe to keep: known format by its bytes, bounded size, re-encoded, no metadata."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps

MediaType = Literal["image/jpeg", "image/png", "image/webp"]
RejectionReason = Literal["too_large", "unsupported_type", "too_many_pixels", "unreadable"]

EXTENSIONS: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_PIL_FORMATS: dict[str, str] = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
JPEG_QUALITY = 85
WEBP_QUALITY = 85


class PhotoRejected(ValueError):
    """A photo intake refuses; the message is meant for the rider who sent it."""

    def __init__(self, reason: RejectionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PhotoLimits:
    """How big a photo may be: bytes as sent, pixels as declared, longest side as kept."""

    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 2048


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo without metadata, named by the SHA-256 of its bytes."""

    data: bytes
    media_type: MediaType
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        """File extension of its format."""
        return EXTENSIONS[self.media_type]


def sniff(data: bytes) -> MediaType | None:
    """The format the leading bytes prove, whatever the file claims to be."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def photo_too_large(max_bytes: int) -> PhotoRejected:
    """The refusal of a photo over the byte limit."""
    return PhotoRejected("too_large", f"photo is larger than {max_bytes / (1024 * 1024):g} MB")


def inspect_and_clean(data: bytes, *, max_bytes: int, max_pixels: int, max_side: int) -> CleanPhoto:
    """Check a photo's bytes and return a clean re-encoding of it; raise PhotoRejected if it is refused."""
    if len(data) > max_bytes:
        raise photo_too_large(max_bytes)
    media_type = sniff(data)
    if media_type is None:
        raise PhotoRejected("unsupported_type", "only JPEG, PNG or WebP photos are accepted")
    try:
        # Restricting Pillow to the sniffed format keeps every other decoder out of reach.
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[media_type]])
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels) from exc
    except Exception as exc:  # Pillow raises many types on hostile input, not only OSError.
        raise _unreadable() from exc
    with image:
        # Only the header has been read: check the declared size before any pixels are decoded.
        width, height = image.size
        if width <= 0 or height <= 0:
            raise _unreadable()
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        try:
            cleaned = _redraw(image, max_side=max_side)
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(max_pixels) from exc
        except Exception as exc:
            raise _unreadable() from exc
    out = _encode(cleaned, media_type)
    return CleanPhoto(
        data=out,
        media_type=media_type,
        width=cleaned.width,
        height=cleaned.height,
        sha256=hashlib.sha256(out).hexdigest(),
    )


def _too_many_pixels(max_pixels: int) -> PhotoRejected:
    return PhotoRejected(
        "too_many_pixels", f"photo has too many pixels (at most {max_pixels / 1_000_000:g} megapixels)"
    )


def _unreadable() -> PhotoRejected:
    return PhotoRejected("unreadable", "photo could not be read; it may be damaged, please take it again")


def _redraw(image: Image.Image, *, max_side: int) -> Image.Image:
    """Decode, turn upright, shrink, and copy the pixels alone into a new image."""
    if image.format == "JPEG":
        # Let libjpeg decode at a reduced scale when the photo is far bigger than we keep.
        image.draft(image.mode, (max_side, max_side))
    image.load()
    upright = ImageOps.exif_transpose(image)
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    pixels = upright.convert(_target_mode(upright, image.format or ""))
    # A new image from raw pixels carries no EXIF, GPS, XMP, ICC profile, comment or text chunk.
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def _target_mode(image: Image.Image, fmt: str) -> str:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if fmt == "JPEG":
        return "L" if image.mode in ("1", "L") else "RGB"
    if fmt == "PNG" and image.mode in ("1", "L") and not has_alpha:
        return "L"
    return "RGBA" if has_alpha else "RGB"


def _encode(image: Image.Image, media_type: MediaType) -> bytes:
    buffer = io.BytesIO()
    if media_type == "image/jpeg":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif media_type == "image/png":
        image.save(buffer, "PNG", optimize=False)
    else:
        image.save(buffer, "WEBP", quality=WEBP_QUALITY)
    return buffer.getvalue()
