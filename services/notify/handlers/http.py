"""HTTP routes of notify: the live dashboard stream (SSE) and the feed as JSON."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from services.notify.domain.scope import FeedScope, ScopeRefused, scope_for
from services.notify.handlers import sse
from shared.auth import Principal, TokenCodec
from shared.http.errors import BIGINT_MAX, ProblemError
from shared.http.security import principal_dependency
from shared.jsontext import dumps, loads

if TYPE_CHECKING:
    from services.notify.factory import NotifyFactory

STAFF = ("community_staff", "street_staff", "district_staff", "ops")


def _scope(principal: Principal) -> FeedScope:
    try:
        return scope_for(principal.role, principal.community, principal.street)
    except ScopeRefused as exc:
        raise ProblemError(403, "forbidden", str(exc)) from exc


def _head(row) -> dict:
    return {
        "seq": row["seq"],
        "type": row["event_type"],
        "case_id": str(row["case_id"]) if row["case_id"] else None,
        "community_code": row["community_code"],
        "street_code": row["street_code"],
        "created_at": row["created_at"].isoformat(),
    }


def _entry(row) -> dict:
    return {**_head(row), "data": loads(row["payload"])}


def _entry_json(row) -> str:
    """``_entry`` as JSON text, the stored payload spliced in as it is rather than parsed and
    encoded again for every stream it goes to."""
    return f'{dumps(_head(row))[:-1]},"data":{row["payload"]}}}'


def create_router(factory: Callable[[], "NotifyFactory"], tokens: TokenCodec) -> APIRouter:
    """The notify routes, bound to the service's composition root."""
    router = APIRouter(prefix="/notify", tags=["notify"])
    staff = principal_dependency(tokens, *STAFF)
    stream_staff = principal_dependency(tokens, *STAFF, allow_query_token=True)

    @router.get("/feed")
    async def feed(
        principal: Annotated[Principal, Depends(staff)],
        after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[dict]:
        """Feed entries of the caller's jurisdiction after a sequence number."""
        rows = await factory().feed.after(_scope(principal), after, limit)
        return [_entry(r) for r in rows]

    @router.get("/stream", response_class=StreamingResponse)
    async def feed_stream(
        request: Request,
        principal: Annotated[Principal, Depends(stream_staff)],
        last_event_id: Annotated[str | None, Header()] = None,
        since: Annotated[
            int | None, Query(ge=0, le=BIGINT_MAX, description="Replay from after this seq.")
        ] = None,
    ) -> StreamingResponse:
        """Server-Sent Events of the caller's jurisdiction; reconnect with Last-Event-ID to resume."""
        scope = _scope(principal)
        f = factory()
        start = sse.start_after(last_event_id, since, await f.feed.head())
        return sse.stream(
            request, f.signal, lambda last: f.feed.after(scope, last),
            lambda row: (row["seq"], row["event_type"], _entry_json(row)), start,
        )

    return router
