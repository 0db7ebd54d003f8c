"""Photos intake keeps: format proven by bytes, bounded size, upright, re-encoded, without EXIF or GPS."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from services.reports.domain.photos import CleanPhoto, PhotoLimits, PhotoRejected, inspect_and_clean
from services.reports.storage.photo_store import FilesystemPhotoStore, is_photo_ref

LIMITS = PhotoLimits()
GPS_IFD = 0x8825
ORIENTATION = 0x0112
RED, BLUE = (255, 0, 0), (0, 0, 255)


def _clean(data: bytes, **limits) -> CleanPhoto:
    fields = dict(max_bytes=LIMITS.max_bytes, max_pixels=LIMITS.max_pixels, max_side=LIMITS.max_side)
    fields.update(limits)
    return inspect_and_clean(data, **fields)


def _reason(data: bytes, **limits) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        _clean(data, **limits)
    return caught.value


def _gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "RiderPhone"  # Make
    if orientation is not None:
        exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (29.0, 43.0, 12.0), 3: "E", 4: (106.0, 37.0, 48.0)}
    return exif


def _red_left_blue_right(size=(64, 32)) -> Image.Image:
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 2, size[1]))
    return image


def _encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG file whose header claims the given size; its pixel data is almost nothing."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b"")
    )


def test_jpeg_with_gps_comes_back_without_any_exif_and_upright():
    original = _encode(
        _red_left_blue_right(), "JPEG", exif=_gps_exif(orientation=6), comment=b"taken at home",
        icc_profile=b"\x00" * 128,
    )
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD), "the fixture carries GPS"
    assert b"ICC_PROFILE" in original and b"taken at home" in original

    clean = _clean(original)

    out = Image.open(io.BytesIO(clean.data))
    assert clean.media_type == "image/jpeg" and out.format == "JPEG"
    assert dict(out.getexif()) == {}
    assert b"Exif" not in clean.data
    assert b"RiderPhone" not in clean.data and b"taken at home" not in clean.data
    assert b"ICC_PROFILE" not in clean.data
    assert "icc_profile" not in out.info and "comment" not in out.info
    # Orientation 6 means "turn 90° clockwise to view": the red left half ends up on top.
    assert (clean.width, clean.height) == out.size == (32, 64)
    assert _close_to(out.getpixel((16, 8)), RED)
    assert _close_to(out.getpixel((16, 56)), BLUE)


def test_png_round_trip_keeps_pixels_and_alpha_but_not_text_chunks():
    image = Image.new("RGBA", (40, 30), (10, 200, 30, 255))
    image.paste((0, 0, 0, 0), (0, 0, 10, 10))
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "29.72N 106.63E")
    original = _encode(image, "PNG", pnginfo=info, exif=_gps_exif())
    assert b"29.72N" in original and b"eXIf" in original

    clean = _clean(original)

    out = Image.open(io.BytesIO(clean.data))
    assert clean.media_type == "image/png" and out.format == "PNG"
    assert out.mode == "RGBA"
    assert out.tobytes() == image.tobytes()
    assert "Location" not in out.info and b"29.72N" not in clean.data
    assert dict(out.getexif()) == {} and b"eXIf" not in clean.data


def test_webp_stays_webp_without_exif():
    original = _encode(_red_left_blue_right((80, 60)), "WEBP", exif=_gps_exif(), quality=90)
    assert b"EXIF" in original

    clean = _clean(original)

    out = Image.open(io.BytesIO(clean.data))
    assert clean.media_type == "image/webp" and out.format == "WEBP"
    assert (clean.width, clean.height) == (80, 60)
    assert dict(out.getexif()) == {} and b"EXIF" not in clean.data and b"Exif" not in clean.data


def test_large_photo_is_downscaled_to_the_longest_side():
    clean = _clean(_encode(_red_left_blue_right((3000, 1000)), "JPEG"), max_side=1024)

    assert (clean.width, clean.height) == (1024, 341)
    assert Image.open(io.BytesIO(clean.data)).size == (1024, 341)


def test_cmyk_jpeg_becomes_rgb():
    clean = _clean(_encode(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), "JPEG"))

    assert Image.open(io.BytesIO(clean.data)).mode == "RGB"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_encode(Image.new("RGB", (8, 8)), "GIF"), id="gif"),
        pytest.param(b"<!doctype html><html><body><script>alert(1)</script></body></html>", id="html"),
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', id="svg"),
        pytest.param(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
        pytest.param(_encode(Image.new("RGB", (8, 8)), "BMP"), id="bmp"),
        pytest.param(b"RIFF\x10\x00\x00\x00WAVEfmt ", id="riff-but-wav"),
        pytest.param(b"", id="empty"),
    ],
)
def test_anything_but_jpeg_png_webp_is_refused_by_its_bytes(data):
    refused = _reason(data)

    assert refused.reason == "unsupported_type"
    assert str(refused) == "only JPEG, PNG or WebP photos are accepted"


def test_header_claiming_a_huge_image_is_refused_without_decoding():
    started = time.perf_counter()
    refused = _reason(_png_claiming(100_000, 100_000))

    assert refused.reason == "too_many_pixels"
    assert "megapixels" in str(refused)
    assert time.perf_counter() - started < 1


def test_image_just_over_the_pixel_limit_is_refused_before_its_pixels_are_decoded():
    # A real, cheap file (1-bit, compresses to almost nothing) that would decode to 42 Mpx.
    original = _encode(Image.new("1", (7000, 6000)), "PNG")
    assert len(original) < 200_000

    assert _reason(original).reason == "too_many_pixels"
    assert _clean(original, max_pixels=42_000_000, max_side=64).width == 64


def test_oversize_bytes_are_refused_before_anything_is_decoded():
    limit = 1024 * 1024
    garbage_after_a_jpeg_magic = b"\xff\xd8\xff" + b"\x00" * limit

    refused = _reason(garbage_after_a_jpeg_magic, max_bytes=limit)

    assert refused.reason == "too_large"
    assert str(refused) == "photo is larger than 1 MB"
    assert str(_reason(b"\x00" * (LIMITS.max_bytes + 1))) == "photo is larger than 8 MB"


def test_truncated_jpeg_is_refused_as_unreadable():
    original = _encode(_red_left_blue_right((200, 200)), "JPEG")

    refused = _reason(original[: len(original) // 2])

    assert refused.reason == "unreadable"


def test_same_photo_twice_gives_the_same_digest_and_ref(tmp_path: Path):
    original = _encode(_red_left_blue_right(), "JPEG", exif=_gps_exif())
    store = FilesystemPhotoStore(tmp_path)

    first, second = _clean(original), _clean(original)
    refs = store.put(first), store.put(second)

    assert first.sha256 == second.sha256 and first.data == second.data
    assert refs[0] == refs[1] == f"sha256:{first.sha256}.jpg"
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1


def test_store_lays_out_files_by_digest_and_returns_them(tmp_path: Path):
    clean = _clean(_encode(Image.new("RGB", (10, 10), RED), "PNG"))
    store = FilesystemPhotoStore(tmp_path)

    ref = store.put(clean)

    h = clean.sha256
    assert (tmp_path / h[:2] / h[2:4] / f"{h}.png").read_bytes() == clean.data
    assert store.get(ref) == (clean.data, "image/png")
    assert store.exists(ref)
    assert not [p for p in tmp_path.rglob(".tmp-*")], "no temporary file is left behind"


@pytest.mark.parametrize(
    "ref",
    [
        "../../etc/passwd",
        "sha256:../../../etc/passwd",
        "sha256:" + "a" * 63 + ".jpg",
        "sha256:" + "A" * 64 + ".jpg",
        "sha256:" + "a" * 64 + ".gif",
        "sha256:" + "a" * 64 + ".jpg\n",
        "sha256:" + "a" * 64 + ".jpg/../../x",
        "/sha256:" + "a" * 64 + ".jpg",
        "md5:" + "a" * 32 + ".jpg",
    ],
)
def test_store_refuses_refs_of_any_other_shape(tmp_path: Path, ref: str):
    outside = tmp_path / "etc" / "passwd"
    outside.parent.mkdir()
    outside.write_text("root:x:0:0")
    store = FilesystemPhotoStore(tmp_path / "photos")

    assert not is_photo_ref(ref)
    assert store.get(ref) is None
    assert not store.exists(ref)


def test_store_says_none_for_a_well_formed_but_unknown_ref(tmp_path: Path):
    assert FilesystemPhotoStore(tmp_path).get("sha256:" + "0" * 64 + ".jpg") is None
