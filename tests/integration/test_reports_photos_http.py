"""Photo routes over HTTP: multipart upload is cleaned of GPS, stored by content, refused by bytes or size."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from PIL import Image

from services.reports.domain.photos import PhotoLimits
from services.reports.handlers.photos import create_photo_router
from services.reports.storage.photo_store import FilesystemPhotoStore
from shared.auth import Principal, TokenCodec
from shared.http.errors import install_error_handlers

pytestmark = pytest.mark.integration

TOKENS = TokenCodec(secret="photo-test-secret-" + "0123456789abcdef" * 4, issuer="nuanxin",
                    audience="nuanxin-api")
GPS_IFD = 0x8825


@dataclass
class PhotoServices:
    """The part of the reports composition root the photo routes use."""

    photo_store: FilesystemPhotoStore
    photo_limits: PhotoLimits = field(default_factory=PhotoLimits)


def _app(root: Path, *, nested: bool = False) -> FastAPI:
    services = PhotoServices(photo_store=FilesystemPhotoStore(root))
    app = FastAPI()
    install_error_handlers(app)
    if nested:
        # As intake wires it: inside the /reports router.
        parent = APIRouter(prefix="/reports")
        parent.include_router(create_photo_router(lambda: services, TOKENS, prefix="/photos"))
        app.include_router(parent)
    else:
        app.include_router(create_photo_router(lambda: services, TOKENS))
    return app


def _token(role: str = "worker", **scope: str) -> str:
    return TOKENS.issue(Principal("w-1" if role == "worker" else "officer", role, **scope))  # type: ignore[arg-type]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(tmp_path / "photos"))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://intake", headers={"Authorization": f"Bearer {_token()}"}
    ) as c:
        yield c


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "RiderPhone"
    exif[GPS_IFD] = {1: "N", 2: (29.0, 43.0, 12.0), 3: "E", 4: (106.0, 37.0, 48.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 40, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def test_jpeg_with_gps_is_stored_without_exif_and_read_back(client, tmp_path: Path):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    response = await client.post("/reports/photos", files={"photo": ("IMG_0001.jpg", original, "image/jpeg")})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ref"].startswith("sha256:") and body["ref"].endswith(".jpg")
    assert (body["media_type"], body["width"], body["height"]) == ("image/jpeg", 120, 80)
    assert response.headers["location"] == f"/reports/photos/{body['ref']}"

    staff = {"Authorization": f"Bearer {_token('community_staff', community='c-1')}"}
    fetched = await client.get(f"/reports/photos/{body['ref']}", headers=staff)

    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    assert dict(Image.open(io.BytesIO(fetched.content)).getexif()) == {}
    assert b"Exif" not in fetched.content and b"RiderPhone" not in fetched.content
    stored = [p for p in (tmp_path / "photos").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [fetched.content]


async def test_same_photo_uploaded_twice_gets_the_same_ref(client):
    photo = _jpeg_with_gps()

    first = await client.post("/reports/photos", files={"photo": ("a.jpg", photo, "image/jpeg")})
    second = await client.post("/reports/photos", files={"photo": ("b.jpg", photo, "image/jpeg")})

    assert first.status_code == second.status_code == 201
    assert first.json()["ref"] == second.json()["ref"]


async def test_pdf_renamed_to_jpg_is_refused_naming_the_photo_field(client):
    pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n%%EOF\n"

    response = await client.post("/reports/photos", files={"photo": ("photo.jpg", pdf, "image/jpeg")})

    assert response.status_code == 415, response.text
    body = response.json()
    assert body["error"] == "unsupported_photo_type"
    assert body["fields"] == [{"field": "photo", "problem": "only JPEG, PNG or WebP photos are accepted"}]


async def test_nine_megabytes_is_refused_as_too_large(client):
    big = b"\xff\xd8\xff" + b"\x00" * (9 * 1024 * 1024)

    response = await client.post("/reports/photos", files={"photo": ("big.jpg", big, "image/jpeg")})

    assert response.status_code == 413, response.text
    assert response.json()["fields"] == [{"field": "photo", "problem": "photo is larger than 8 MB"}]


async def test_a_chunked_body_without_length_is_cut_off_once_too_large(client):
    boundary = "nuanxinboundary"
    sent: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff"
        for n in range(10):
            sent.append(n)
            yield b"\x00" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        "/reports/photos", content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert len(sent) < 10, "the body was not read to its end"


async def test_a_request_without_the_photo_field_names_it(client):
    misnamed = {"picture": ("a.jpg", _jpeg_with_gps(), "image/jpeg")}

    response = await client.post("/reports/photos", files=misnamed)

    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "photo"


async def test_workers_and_staff_upload_and_only_signed_in_callers_read(client):
    photo = {"photo": ("a.jpg", _jpeg_with_gps(), "image/jpeg")}
    staff = {"Authorization": f"Bearer {_token('community_staff', community='c-1')}"}
    ops = {"Authorization": f"Bearer {_token('ops')}"}

    assert (await client.post("/reports/photos", files=photo, headers=staff)).status_code == 201
    assert (await client.post("/reports/photos", files=photo, headers=ops)).status_code == 403
    ref = (await client.post("/reports/photos", files=photo)).json()["ref"]
    client.headers.pop("Authorization")
    assert (await client.get(f"/reports/photos/{ref}")).status_code == 401
    assert (await client.post("/reports/photos", files=photo)).status_code == 401


@pytest.mark.parametrize("ref", ["..%2F..%2Fetc%2Fpasswd", "sha256:abc.jpg", "sha256:" + "0" * 64 + ".jpg"])
async def test_unknown_or_malformed_refs_are_not_found(client, ref):
    response = await client.get(f"/reports/photos/{ref}")

    assert response.status_code == 404


async def test_nested_under_the_reports_router_the_paths_are_the_same(tmp_path: Path):
    transport = httpx.ASGITransport(app=_app(tmp_path, nested=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake",
                                 headers={"Authorization": f"Bearer {_token()}"}) as c:
        response = await c.post("/reports/photos", files={"photo": ("a.jpg", _jpeg_with_gps(), "image/jpeg")})
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"/reports/photos/{response.json()['ref']}"
        assert (await c.get(response.headers["location"])).status_code == 200
