"""Notify on the real broker and PostgreSQL: recipients, scoping, resume, once-only, channels."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuanxin.embedded import free_port
from services.notify.domain.signing import HEADER, TIMESTAMP_HEADER, verify
from shared.clock import ManualClock
from shared.events.cases import CaseEscalatedV1, CaseOpenedV1, CaseTransitionedV1
from shared.events.envelope import encode
from shared.kafka.producer import create_producer
from tests.integration.test_report_follows_case import _until
from tests.support.kafka import publish
from tests.support.system import run_system

pytestmark = pytest.mark.integration
A, B, STREET = "500112002001", "500112002002", "500112002"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Chongqing


def opened(case_id=None, *, community=A, co_owner=None, reporter="w-1", category="road_damage",
           kind="hazard", severity="medium") -> CaseOpenedV1:
    """A case as routing would announce it (the reporter hidden from staff, known to its inbox)."""
    return CaseOpenedV1(
        case_id=case_id or str(uuid.uuid4()), report_id=str(uuid.uuid4()), kind=kind, category=category,
        severity=severity, community_code=community, street_code=community[:9] if community else None,
        district_code="500112", lon=106.6, lat=29.7, reporter_id=None, co_owner_code=co_owner,
        reporter_inbox=reporter, opened_at=NOW, acknowledge_by=NOW + timedelta(hours=2),
        resolve_by=NOW + timedelta(days=1),
    )


def moved(case: CaseOpenedV1, action: str, to_status: str) -> CaseTransitionedV1:
    """A transition of that case."""
    return CaseTransitionedV1(
        case_id=case.case_id, community_code=case.community_code, street_code=case.street_code,
        co_owner_code=case.co_owner_code, reporter_inbox=case.reporter_inbox, action=action,
        from_status="new", to_status=to_status, actor_id="c-1", actor_role="community_staff",
        note="reason", at=NOW,
    )


def escalated(case: CaseOpenedV1, level: int) -> CaseEscalatedV1:
    """An escalation of that case."""
    return CaseEscalatedV1(
        case_id=case.case_id, community_code=case.community_code, street_code=case.street_code,
        co_owner_code=case.co_owner_code, reporter_inbox=case.reporter_inbox, level=level,
        to_unit_code=STREET if level == 1 else "LJXQ",
        to_unit_name="双龙湖街道" if level == 1 else "两江新区", hierarchy_version="v", due_at=NOW,
        escalated_at=NOW,
    )


async def inbox(system, token, **params) -> list[dict]:
    async with system.client(token) as c:
        r = await c.get("/notify/inbox", params=params)
        assert r.status_code == 200, r.text
        return r.json()


async def test_each_recipient_hears_what_it_must_and_nothing_else(settings):
    case = opened(co_owner=B)
    triage = opened(community=None, reporter="w-2")
    async with run_system(settings, ["notify"]) as system:
        tok = {
            "a": system.token("c-a", "community_staff", community=A),
            "b": system.token("c-b", "community_staff", community=B),
            "c": system.token("c-c", "community_staff", community="500112002003"),
            "street": system.token("s-1", "street_staff", street=STREET),
            "district": system.token("d-1", "district_staff"),
            "w1": system.token("w-1", "worker"), "w2": system.token("w-2", "worker"),
        }
        await publish(settings, [case, triage, moved(case, "acknowledge", "acknowledged"),
                                 escalated(case, 1), escalated(case, 2)])
        await _until(lambda: inbox(system, tok["district"]), lambda r: len(r) >= 2)
        await asyncio.sleep(1)
        got = {name: [(n["event_type"], n["reason"]) for n in await inbox(system, t)]
               for name, t in tok.items()}
        bodies = [n["data"] for n in await inbox(system, tok["w1"])]
        async with system.client(tok["b"]) as b:
            feeds = {"b": (await b.get("/notify/feed")).json()}
    assert got["a"] == [("case.opened", "owner"), ("case.transitioned", "owner"),
                        ("case.escalated", "owner"), ("case.escalated", "owner")]
    assert got["b"] == [("case.opened", "co-owner"), ("case.transitioned", "co-owner"),
                        ("case.escalated", "co-owner"), ("case.escalated", "co-owner")]
    assert got["c"] == []
    assert [f["type"] for f in feeds["b"]] == ["case.opened", "case.transitioned", "case.escalated",
                                               "case.escalated"], "the co-owner's dashboard feed"
    assert got["street"] == [("case.escalated", "escalation")]
    # Two cases, two partitions: only each case's own events are ordered.
    assert sorted(got["district"]) == [("case.escalated", "escalation"), ("case.opened", "triage")]
    assert got["w1"] == [("case.opened", "reporter"), ("case.transitioned", "reporter"),
                         ("case.escalated", "reporter"), ("case.escalated", "reporter")]
    assert got["w2"] == [("case.opened", "reporter")]
    # Each notification carries its event's body (read from the case's feed entry).
    assert [(d["case_id"], d.get("level")) for d in bodies] == [
        (case.case_id, None), (case.case_id, None), (case.case_id, 1), (case.case_id, 2)]
    assert not any("reporter_inbox" in d for d in bodies)


async def test_a_duplicated_event_notifies_each_recipient_once(settings):
    case = opened()
    message = encode(case, source="/test")
    async with run_system(settings, ["notify"]) as system:
        producer = create_producer(settings.kafka_bootstrap_servers, client_id="dup")
        await producer.start()
        try:
            for _ in range(3):
                await producer.send_and_wait(settings.topic(message.topic), value=message.value,
                                             key=message.key, headers=list(message.headers.items()))
        finally:
            await producer.stop()
        await publish(settings, [moved(case, "start", "in_progress")])  # a later event, as a marker
        staff = system.token("c-a", "community_staff", community=A)
        notes = await _until(lambda: inbox(system, staff), lambda r: len(r) >= 2)
        await asyncio.sleep(1)
        notes = await inbox(system, staff)
        async with system.client(system.token("d", "district_staff")) as d:
            feed = (await d.get("/notify/feed")).json()
    assert [n["event_type"] for n in notes] == ["case.opened", "case.transitioned"]
    assert [f["type"] for f in feed] == ["case.opened", "case.transitioned"]


async def _read_sse(response, n: int) -> list[tuple[int, str]]:
    out, current = [], {}
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            current["id"] = int(line[4:])
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line == "" and "id" in current:
            out.append((current["id"], current["event"]))
            current = {}
            if len(out) == n:
                return out
    return out


async def test_a_reconnect_with_last_event_id_misses_nothing_and_repeats_nothing(settings):
    cases = [opened() for _ in range(5)]
    async with run_system(settings, ["notify"]) as system:
        staff = system.token("c-a", "community_staff", community=A)
        async with system.client(staff) as c:
            await publish(settings, cases[:2])
            async with c.stream("GET", "/notify/inbox/stream", params={"since": 0}) as s:
                first = await asyncio.wait_for(_read_sse(s, 2), 30)
            await publish(settings, cases[2:])
            await _until(lambda: inbox(system, staff), lambda r: len(r) == 5)
            async with c.stream("GET", "/notify/inbox/stream",
                                headers={"Last-Event-ID": str(first[-1][0])}) as s:
                rest = await asyncio.wait_for(_read_sse(s, 3), 30)
            other = system.token("c-b", "community_staff", community=B)
            async with system.client(other) as b:
                refused = await b.post(f"/notify/inbox/{first[0][0]}/read")
                assert refused.status_code == 404, "another community cannot touch this inbox"
                assert (await b.get("/notify/inbox")).json() == []
        ids = [i for i, _ in first + rest]
    assert ids == sorted(ids) and len(set(ids)) == 5
    assert [e for _, e in first + rest] == ["case.opened"] * 5


class Receiver:
    """A local webhook receiver: fails the first ``fail_first`` calls, checks every signature."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.calls: list[dict] = []
        self.secret = ""
        self.port = free_port()

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        ok = verify(self.secret, request.headers[TIMESTAMP_HEADER], body, request.headers[HEADER])
        self.calls.append({"signed": ok, "body": json.loads(body),
                           "delivery": request.headers["X-Nuanxin-Delivery"]})
        return Response(status_code=500 if len(self.calls) <= self.fail_first else 204)


async def test_webhooks_are_signed_retried_with_backoff_and_dead_lettered(settings):
    flaky, broken = Receiver(fail_first=2), Receiver(fail_first=10**6)
    servers = []
    for r in (flaky, broken):
        server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/", r.handle, methods=["POST"])]),
                                               host="127.0.0.1", port=r.port, log_config=None))
        server.install_signal_handlers = lambda: None
        servers.append((server, asyncio.create_task(server.serve())))
    overrides = {"notify": {"backoff_base_s": 0.05, "max_attempts": 3, "dispatch_interval_s": 0.05}}
    try:
        async with run_system(settings, ["notify"], overrides=overrides) as system:
            a = system.token("c-a", "community_staff", community=A)
            b = system.token("c-b", "community_staff", community=B)
            async with system.client(a) as ca, system.client(b) as cb:
                for client, receiver in ((ca, flaky), (cb, broken)):
                    hook = await client.post("/notify/webhooks", json={"url": f"http://127.0.0.1:{receiver.port}/"})
                    receiver.secret = hook.json()["secret"]
            first = opened()
            await publish(settings, [first, opened(community=B)])
            await _until(lambda: asyncio.sleep(0, result=len(flaky.calls)), lambda n: n >= 3)
            async with system.client(system.token("ops", "ops")) as ops:
                dead = await _until(lambda: ops.get("/notify/deliveries/dead"), lambda r: r.json())
    finally:
        for server, task in servers:
            server.should_exit = True
            await task
    assert len(flaky.calls) == 3 and all(c["signed"] for c in flaky.calls)
    assert len({c["delivery"] for c in flaky.calls}) == 1, "retries carry the same delivery id"
    assert flaky.calls[0]["body"]["event_type"] == "case.opened"
    assert flaky.calls[0]["body"]["data"]["case_id"] == first.case_id, "the send carries the event's body"
    assert len(broken.calls) == 3
    (letter,) = dead.json()
    assert (letter["channel"], letter["attempts"], letter["last_error"]) == ("webhook", 3, "HTTP 500")


async def test_quiet_hours_hold_sms_but_not_urgent_elderly_alerts(settings, tmp_path):
    sink = tmp_path / "sent.jsonl"
    clock = ManualClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Chongqing
    overrides = {"notify": {"dev_sink_path": sink, "dispatch_interval_s": 0.05}}
    async with run_system(settings, ["notify"], clock=clock, overrides=overrides) as system:
        async with system.client(system.token("c-a", "community_staff", community=A)) as c:
            r = await c.put("/notify/preferences", json={
                "channels": ["sms"], "phone": "13800000000", "quiet_start": "22:00", "quiet_end": "07:00"})
            assert r.status_code == 200, r.text
            bad = await c.put("/notify/preferences", json={"channels": ["pigeon"]})
            assert bad.status_code == 422 and bad.json()["fields"][0]["field"] == "channels"
        await publish(settings, [opened(category="road_damage"),
                                 opened(kind="elderly_checkin", category="no_answer", severity="urgent")])
        await _until(lambda: asyncio.sleep(0, result=sink.exists() and sink.read_text()), bool)
        await asyncio.sleep(1)
        first = [json.loads(x) for x in sink.read_text().splitlines()]
        clock.set(datetime(2026, 3, 2, 23, 1, tzinfo=UTC))  # 07:01 next morning
        await _until(lambda: asyncio.sleep(0, result=len(sink.read_text().splitlines())), lambda n: n >= 2)
        after = [json.loads(x) for x in sink.read_text().splitlines()]
    assert [(m["channel"], m["to"], m["urgent"]) for m in first] == [("sms", "13800000000", True)]
    assert len(after) == 2 and after[1]["urgent"] is False


async def test_wish_events_reach_the_poster_the_donor_and_the_reviewers(settings):
    async with run_system(settings, ["wishes", "notify"]) as system:
        poster = system.client(system.token("w-1", "worker"))
        donor = system.client(system.token("w-9", "worker"))
        staff = system.client(system.token("c-a", "community_staff", community=A))
        async with poster, donor, staff:
            posted = await poster.post("/wishes", json={
                "title": "冬天的棉衣", "details": "L 码", "why": "夜里送餐太冷", "category": "clothing",
                "wanted_by": (NOW + timedelta(days=300)).date().isoformat(), "community_code": A,
            })
            assert posted.status_code == 201, posted.text
            wish_id = posted.json()["wish_id"]
            assert (await staff.post(f"/wishes/{wish_id}/approve")).status_code == 200
            claim = await donor.post(f"/wishes/{wish_id}/claims", json={})
            assert claim.status_code == 201, claim.text
            got = {}
            for name, client, n in (("staff", staff, 1), ("poster", poster, 2)):
                r = await _until(lambda c=client: c.get("/notify/inbox"), lambda r, n=n: len(r.json()) >= n)
                got[name] = [x["event_type"] for x in r.json()]
                assert {x["data"]["wish_id"] for x in r.json()} == {wish_id}, "wish notes keep their body"
            donor_inbox = (await donor.get("/notify/inbox")).json()
    assert got == {"staff": ["wish.posted"], "poster": ["wish.approved", "wish.claimed"]}
    assert donor_inbox == [], "claiming tells the poster, not the donor"
