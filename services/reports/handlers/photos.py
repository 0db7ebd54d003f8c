"""HTTP routes for report photos: a worker uploads one, gets a reference back; anyone signed in reads it."""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.types import Message, Receive

from services.reports.domain.photos import (
    CleanPhoto,
    PhotoLimits,
    PhotoRejected,
    inspect_and_clean,
    photo_too_large,
)
from shared.auth import Principal, TokenCodec
from shared.http.errors import ProblemError
from shared.http.security import principal_dependency

FIELD = "photo"
# Room for the multipart boundaries and part headers around the photo itself.
MULTIPART_OVERHEAD = 64 * 1024

_REFUSALS = {
    "too_large": (413, "photo_too_large"),
    "unsupported_type": (415, "unsupported_photo_type"),
    "too_many_pixels": (422, "invalid_photo"),
    "unreadable": (422, "invalid_photo"),
}


class PhotoStore(Protocol):
    """Where clean photos are kept, by content."""

    def put(self, photo: CleanPhoto) -> str: ...

    def get(self, ref: str) -> tuple[bytes, str] | None: ...


class PhotoServices(Protocol):
    """What these routes need from the composition root."""

    @property
    def photo_store(self) -> PhotoStore: ...

    @property
    def photo_limits(self) -> PhotoLimits: ...


class PhotoView(BaseModel):
    """A stored photo, to be listed in a report's ``photos``."""

    ref: str = Field(description="Reference to put in a report's photos, e.g. sha256:<hex>.jpg.")
    media_type: str = Field(description="image/jpeg, image/png or image/webp.")
    width: int = Field(description="Width in pixels after upright rotation and downscaling.")
    height: int = Field(description="Height in pixels after upright rotation and downscaling.")


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def create_photo_router(
    factory: Callable[[], PhotoServices], tokens: TokenCodec, *, prefix: str = "/reports/photos"
) -> APIRouter:
    """Photo upload and download routes, bound to the service's composition root."""
    router = APIRouter(prefix=prefix, tags=["photos"])
    # Workers attach photos to reports; staff to resolutions (the evidence that it was fixed).
    worker = principal_dependency(tokens, "worker", "community_staff", "street_staff", "district_staff")
    anyone = principal_dependency(tokens)

    @router.post("", status_code=201, response_model=PhotoView, openapi_extra=_UPLOAD_BODY)
    async def upload_photo(
        request: Request, response: Response, _principal: Annotated[Principal, Depends(worker)]
    ) -> PhotoView:
        """Upload one photo as multipart field ``photo``; it is re-encoded without metadata (GPS)."""
        services = factory()
        limits = services.photo_limits
        data = await _read_photo(request, max_bytes=limits.max_bytes)
        try:
            # Decoding is CPU work; keep it off the event loop.
            clean = await run_in_threadpool(
                inspect_and_clean, data,
                max_bytes=limits.max_bytes, max_pixels=limits.max_pixels, max_side=limits.max_side,
            )
        except PhotoRejected as exc:
            raise _refusal(exc) from exc
        ref = await run_in_threadpool(services.photo_store.put, clean)
        response.headers["Location"] = f"{request.url.path.rstrip('/')}/{ref}"
        return PhotoView(ref=ref, media_type=clean.media_type, width=clean.width, height=clean.height)

    @router.get(
        "/{ref}",
        response_class=Response,
        responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
    )
    async def get_photo(ref: str, _principal: Annotated[Principal, Depends(anyone)]) -> Response:
        """A stored photo's bytes."""
        found = await run_in_threadpool(factory().photo_store.get, ref)
        if found is None:
            raise ProblemError(404, "not_found", f"no photo {ref}")
        data, media_type = found
        return Response(
            data,
            media_type=media_type,
            headers={
                # Content-addressed: the bytes behind a ref never change.
                "Cache-Control": "private, max-age=31536000, immutable",
                "ETag": f'"{ref}"',
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router


def _refusal(exc: PhotoRejected) -> ProblemError:
    status, code = _REFUSALS[exc.reason]
    return ProblemError(status, code, exc.message, fields=[{"field": FIELD, "problem": exc.message}])


async def _read_photo(request: Request, *, max_bytes: int) -> bytes:
    """The bytes of the ``photo`` field, refusing bodies far too large before spooling them."""
    too_large = _refusal(photo_too_large(max_bytes))
    body_limit = max_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > body_limit:
        raise too_large
    # A chunked body has no length to check up front; count it as it arrives instead.
    capped = Request(request.scope, _capped_receive(request.receive, body_limit, too_large))
    form = await capped.form(max_files=1, max_fields=4)
    try:
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            problem = f"attach the photo as the multipart form field '{FIELD}'"
            raise ProblemError(422, "invalid_photo", problem, fields=[{"field": FIELD, "problem": problem}])
        return await upload.read(max_bytes + 1)
    finally:
        await form.close()


def _capped_receive(
    receive: Receive, limit: int, error: ProblemError
) -> Callable[[], Awaitable[Message]]:
    seen = 0

    async def _receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise error
        return message

    return _receive
