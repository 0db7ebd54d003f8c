"""HTTP routes of per-recipient inboxes, preferences, webhooks and dead deliveries."""

import secrets
from collections.abc import Callable
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from services.notify.domain.preferences import CHANNELS, Preferences
from services.notify.domain.recipients import inboxes_of
from services.notify.handlers import sse
from services.notify.storage import deliveries, inbox
from shared.auth import Principal, TokenCodec
from shared.http.errors import BIGINT_MAX, ProblemError
from shared.http.security import principal_dependency
from shared.ids import new_id

if TYPE_CHECKING:
    from services.notify.factory import NotifyFactory

KINDS = ("case.opened", "case.transitioned", "case.joined", "case.sla_breached", "case.escalated")


class Notification(BaseModel):
    """One notification in an inbox."""

    id: int
    recipient: str
    event_type: str
    title: str
    reason: str
    case_id: str | None
    urgent: bool
    created_at: datetime
    read_at: datetime | None
    data: dict


_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _time(text: str | None) -> time | None:
    return None if text is None else time.fromisoformat(text)


def _hhmm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


class PreferencesBody(BaseModel):
    """Which kinds reach the inbox, which channels are used, and quiet hours (Asia/Shanghai)."""

    model_config = ConfigDict(extra="forbid")

    kinds: list[str] = Field(default_factory=list, description=f"Empty: all. Any of {', '.join(KINDS)}.")
    channels: list[str] = Field(default_factory=list, description=f"Any of {', '.join(CHANNELS)}.")
    quiet_start: str | None = Field(
        None, pattern=_HHMM, description="Quiet hours start, HH:MM (urgent alerts ignore them)."
    )
    quiet_end: str | None = Field(None, pattern=_HHMM, description="Quiet hours end, HH:MM.")
    phone: str | None = Field(None, pattern=r"^\+?[0-9]{6,15}$", description="For SMS and app push.")


class WebhookBody(BaseModel):
    """A webhook to call for this inbox's notifications."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="http(s) endpoint that answers 2xx.")
    kinds: list[str] = Field(default_factory=list, description="Empty: all kinds.")


def _note(row) -> Notification:
    data = dict(row)
    data["case_id"] = str(data["case_id"]) if data["case_id"] else None
    data["data"] = data.pop("payload")
    return Notification(**{k: data[k] for k in Notification.model_fields})


def create_inbox_router(factory: Callable[[], "NotifyFactory"], tokens: TokenCodec) -> APIRouter:
    """Routes under /notify for inboxes and channels."""
    router = APIRouter(prefix="/notify", tags=["notify"])
    anyone = principal_dependency(tokens)
    streaming = principal_dependency(tokens, allow_query_token=True)
    ops = principal_dependency(tokens, "district_staff", "ops")

    def keys(p: Principal) -> list[str]:
        found = inboxes_of(p.role, p.subject, p.community, p.street)
        if not found:
            raise ProblemError(403, "forbidden", "this token has no inbox")
        return found

    @router.get("/inbox", response_model=list[Notification])
    async def read_inbox(
        principal: Annotated[Principal, Depends(anyone)],
        unread_only: bool = False,
        after: Annotated[int, Query(ge=0, le=BIGINT_MAX)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        order: Annotated[Literal["oldest", "newest"], Query(
            description="oldest: the first `limit` after `after`, oldest first (for paging); "
                        "newest: the last `limit`, newest first (for a screen of the latest).")] = "oldest",
    ) -> list[Notification]:
        """The caller's inbox after ``after`` (a worker: their own reports only)."""
        reader = factory().inbox
        read = reader.newest if order == "newest" else reader.after
        rows = await read(keys(principal), after, unread_only=unread_only, limit=limit)
        return [_note(r) for r in rows]

    @router.get("/inbox/unread")
    async def unread(principal: Annotated[Principal, Depends(anyone)]) -> dict:
        """How many notifications are unread."""
        return {"unread": await factory().inbox.unread(keys(principal))}

    @router.post("/inbox/{notification_id}/read", status_code=204)
    async def mark_read(
        notification_id: Annotated[int, Path(ge=1, le=BIGINT_MAX)],
        principal: Annotated[Principal, Depends(anyone)],
    ) -> None:
        """Mark one notification read (in a shared jurisdiction inbox, for everyone in it)."""
        f = factory()
        if not await f.inbox.mark_read(keys(principal), notification_id, f.runtime.clock.now()):
            raise ProblemError(404, "not_found", f"no notification {notification_id} in your inbox")

    @router.get("/inbox/stream", response_class=StreamingResponse)
    async def inbox_stream(
        request: Request,
        principal: Annotated[Principal, Depends(streaming)],
        last_event_id: Annotated[str | None, Header()] = None,
        since: Annotated[int | None, Query(ge=0, le=BIGINT_MAX)] = None,
    ) -> StreamingResponse:
        """The caller's inbox live; reconnect with Last-Event-ID to resume without gaps or repeats."""
        f, mine = factory(), keys(principal)
        start = sse.start_after(last_event_id, since, await f.inbox.head())
        return sse.stream(request, f.signal, lambda last: f.inbox.after(mine, last),
                          lambda r: (r["id"], r["event_type"], _note(r).model_dump(mode="json")), start)

    @router.get("/preferences", response_model=PreferencesBody)
    async def get_preferences(principal: Annotated[Principal, Depends(anyone)]) -> PreferencesBody:
        """The caller's inbox preferences."""
        async with factory().runtime.pool.acquire() as conn:
            prefs, phone = await inbox.preferences_of(conn, keys(principal)[0])
        return PreferencesBody(kinds=sorted(prefs.kinds), channels=sorted(prefs.channels),
                               quiet_start=_hhmm(prefs.quiet_start), quiet_end=_hhmm(prefs.quiet_end),
                               phone=phone)

    @router.put("/preferences", response_model=PreferencesBody)
    async def put_preferences(
        body: PreferencesBody, principal: Annotated[Principal, Depends(anyone)]
    ) -> PreferencesBody:
        """Replace the caller's preferences."""
        if bad := [k for k in body.kinds if k not in KINDS]:
            raise ProblemError(422, "invalid_request", f"unknown kinds {bad}",
                               fields=[{"field": "kinds", "problem": f"one of {', '.join(KINDS)}"}])
        if bad := [c for c in body.channels if c not in CHANNELS]:
            raise ProblemError(422, "invalid_request", f"unknown channels {bad}",
                               fields=[{"field": "channels", "problem": f"one of {', '.join(CHANNELS)}"}])
        if (body.quiet_start is None) != (body.quiet_end is None):
            raise ProblemError(422, "invalid_request", "give both quiet_start and quiet_end, or neither",
                               fields=[{"field": "quiet_end", "problem": "both or neither"}])
        prefs = Preferences(frozenset(body.kinds), frozenset(body.channels), _time(body.quiet_start),
                            _time(body.quiet_end))
        async with factory().runtime.pool.acquire() as conn:
            await inbox.save_preferences(conn, keys(principal)[0], prefs, body.phone)
        return body

    @router.post("/webhooks", status_code=201)
    async def add_webhook(body: WebhookBody, principal: Annotated[Principal, Depends(anyone)]) -> dict:
        """Register a webhook; the secret that signs its calls is shown once."""
        if principal.role == "worker":
            raise ProblemError(403, "forbidden", "webhooks are for staff inboxes")
        if bad := [k for k in body.kinds if k not in KINDS]:
            raise ProblemError(422, "invalid_request", f"unknown kinds {bad}",
                               fields=[{"field": "kinds", "problem": f"one of {', '.join(KINDS)}"}])
        webhook_id, secret = new_id(), secrets.token_urlsafe(32)
        async with factory().runtime.pool.acquire() as conn:
            await inbox.add_webhook(conn, webhook_id=webhook_id, recipient=keys(principal)[0],
                                    url=str(body.url), secret=secret, kinds=body.kinds)
        return {"webhook_id": webhook_id, "secret": secret, "url": str(body.url), "kinds": body.kinds}

    @router.get("/deliveries/dead")
    async def dead_deliveries(principal: Annotated[Principal, Depends(ops)]) -> list[dict]:
        """Deliveries that failed every attempt: the channels' dead letters."""
        rows = await deliveries.dead(factory().runtime.pool, None)
        return [{"delivery_id": r["delivery_id"], "channel": r["channel"], "target": r["target"],
                 "attempts": r["attempts"], "last_error": r["last_error"], "recipient": r["recipient"],
                 "title": r["title"]} for r in rows]

    return router
