"""What the tests send: reports at random points, posted like a phone or published like a relay."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from services.routing.geodata.loader import load_geojson_jurisdictions
from shared.events.base import EventBody
from shared.events.envelope import OutgoingMessage, encode
from shared.events.reports import ReportSubmittedV1
from shared.kafka.admin import ensure_topics
from shared.kafka.producer import create_producer
from shared.settings import PlatformSettings
from tests.faults.harness.config import PARTITIONS
from tests.faults.harness.processes import Deployment

_COMMUNITIES = None


def communities():
    """The (synthetic) community polygons routing uses."""
    global _COMMUNITIES
    if _COMMUNITIES is None:
        _COMMUNITIES = load_geojson_jurisdictions()[1]
    return _COMMUNITIES


def point_in(community, rng: random.Random) -> tuple[float, float]:
    """A random point inside a community polygon (rejection sampling, seeded)."""
    from shapely.geometry import Point

    minx, miny, maxx, maxy = community.geometry.bounds
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if community.geometry.contains(Point(x, y)):
            return x, y
    p = community.geometry.representative_point()
    return p.x, p.y


# Kinds that open a case per report, some of which can cluster ("me too") and some not.
_MIX = [
    ("elderly_checkin", "needs_help", None),
    ("elderly_checkin", "no_answer", None),
    ("hazard", "road_damage", "medium"),
    ("hazard", "dangling_wires", "high"),
    ("civility", "littering", "low"),
]


def report_requests(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n bodies for POST /reports at random points of random communities, each with an idempotency key."""
    out = []
    all_communities = communities()
    for i in range(n):
        kind, category, severity = _MIX[i % len(_MIX)]
        lon, lat = point_in(rng.choice(all_communities), rng)
        body: dict[str, Any] = {
            "kind": kind, "category": category, "location": {"lon": lon, "lat": lat},
            "description": f"fault-suite report {i}",
        }
        if severity:
            body["severity"] = severity
        out.append({"body": body, "key": f"faults-{uuid.UUID(int=rng.getrandbits(128))}",
                    "worker": f"w-fault-{i % 7}"})
    return out


def report_events(n: int, rng: random.Random) -> list[ReportSubmittedV1]:
    """n ReportSubmittedV1 bodies, as intake would publish them."""
    events = []
    all_communities = communities()
    for i in range(n):
        kind, category, severity = _MIX[i % len(_MIX)]
        lon, lat = point_in(rng.choice(all_communities), rng)
        events.append(ReportSubmittedV1(
            report_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), kind=kind, category=category,
            severity=severity or "urgent", lon=lon, lat=lat, description=f"fault-suite event {i}",
            reporter_id=f"w-fault-{i % 7}", submitted_at=datetime.now(UTC),
        ))
    return events


@dataclass
class Intake:
    """Posts reports to the reports process the way a phone does: retry with the same Idempotency-Key."""

    deployment: Deployment
    url: Callable[[], str]
    accepted: dict[str, str] = field(default_factory=dict)  # idempotency key -> report id
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    async def post(self, client: httpx.AsyncClient, request: dict[str, Any], give_up_s: float = 120) -> str:
        """POST one report until it is accepted; returns its report id."""
        token = self.deployment.token(request["worker"], "worker")
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": request["key"]}
        deadline = time.monotonic() + give_up_s
        while True:
            try:
                r = await client.post(f"{self.url()}/reports", json=request["body"], headers=headers)
                if r.status_code in (200, 201):
                    self.accepted[request["key"]] = r.json()["report_id"]
                    return r.json()["report_id"]
                if r.status_code < 500 and r.status_code != 429:
                    raise AssertionError(f"report refused: {r.status_code} {r.text}")
                self.errors.append(f"{r.status_code}")
            except httpx.HTTPError as exc:
                self.errors.append(type(exc).__name__)
            self.retries += 1
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"report {request['key']} not accepted in {give_up_s}s: {self.errors[-5:]}"
                )
            await asyncio.sleep(0.2)

    async def stream(self, requests: Sequence[dict[str, Any]], *, rate: float, concurrency: int = 4) -> None:
        """Post all requests at about `rate` per second with a few concurrent phones."""
        queue: asyncio.Queue = asyncio.Queue()
        for r in requests:
            queue.put_nowait(r)
        started = time.monotonic()
        sent = 0

        async def phone() -> None:
            nonlocal sent
            async with httpx.AsyncClient(timeout=10) as client:
                while not queue.empty():
                    request = queue.get_nowait()
                    sent += 1
                    due = started + sent / rate
                    if (wait := due - time.monotonic()) > 0:
                        await asyncio.sleep(wait)
                    await self.post(client, request)

        await asyncio.gather(*(phone() for _ in range(concurrency)))


class Publisher:
    """Publishes records straight to the test's topics, as a relay would (or a broken producer)."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.settings = settings
        self.producer = create_producer(settings.kafka_bootstrap_servers, client_id="faults")

    async def __aenter__(self) -> Publisher:
        await ensure_topics(
            self.settings.kafka_bootstrap_servers,
            [self.settings.topic(t) for t in ("reports", "cases", "reports.dlq")],
            partitions=PARTITIONS,
        )
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send(self, message: OutgoingMessage) -> None:
        """Publish an encoded event (its id is in its headers: sending it twice is a duplicate)."""
        await self.producer.send_and_wait(
            self.settings.topic(message.topic), value=message.value, key=message.key,
            headers=list(message.headers.items()),
        )

    async def send_raw(self, topic: str, value: bytes | None, key: bytes | None,
                       headers: Iterable[tuple[str, bytes]] = ()) -> None:
        """Publish any bytes at all."""
        await self.producer.send_and_wait(self.settings.topic(topic), value=value, key=key,
                                          headers=list(headers))

    async def events(self, bodies: Sequence[EventBody]) -> list[OutgoingMessage]:
        """Encode and publish each body once."""
        messages = [encode(b, source="/faults") for b in bodies]
        await asyncio.gather(*(self.send(m) for m in messages))
        return messages
