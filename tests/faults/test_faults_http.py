"""The HTTP APIs under attack: fuzzed from their own OpenAPI documents, bad tokens, other communities'
data, disguised and oversized uploads. One deployment of separately started processes for the module.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import random
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import jwt
import pytest
from PIL import Image

from tests.faults.harness import (
    ARTIFACTS,
    AUDIENCE,
    ISSUER,
    JWT_SECRET,
    LONG,
    SEED,
    Deployment,
    Intake,
    communities,
    point_in,
    wait_until,
)

pytestmark = pytest.mark.faults

FUZZED = ("reports", "routing", "notify")


@pytest.fixture(scope="module")
async def system(infra, tmp_path_factory):
    """reports, routing and notify as processes, with a case in each of two communities on two streets."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(infra.admin_database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = infra.admin_database_url.rpartition("/")[0]
    log_dir = ARTIFACTS / "faults" / "http"
    log_dir.mkdir(parents=True, exist_ok=True)
    d = Deployment(infra.bootstrap_servers, f"{base}/{name}", f"f{uuid.uuid4().hex[:8]}.", log_dir,
                   tmp_path_factory.mktemp("http"))
    try:
        procs = await d.start(*FUZZED)
        rng = random.Random(SEED + 7)
        all_c = communities()
        a = all_c[3]
        b = next(c for c in all_c if c.parent_code != a.parent_code)
        intake = Intake(d, url=lambda: procs["reports"].url)
        ids = {}
        async with httpx.AsyncClient(timeout=10) as client:
            for label, community in (("a", a), ("b", b)):
                lon, lat = point_in(community, rng)
                ids[label] = await intake.post(client, {
                    "body": {"kind": "elderly_checkin", "category": "needs_help",
                             "location": {"lon": lon, "lat": lat}},
                    "key": f"http-{label}-{uuid.uuid4()}", "worker": "w-http"})

        cases: dict = {}

        async def routed() -> bool:
            rows = await d.sql("SELECT c.report_id::text AS r, c.case_id::text AS c, c.community_code AS k "
                               "FROM routing.cases c JOIN notify.feed f USING (case_id)")
            cases.update({r["r"]: (r["c"], r["k"]) for r in rows})
            return all(i in cases for i in ids.values())

        assert await wait_until(routed, timeout=60)
        case = {label: cases[i][0] for label, i in ids.items()}
        assert cases[ids["a"]][1] == a.code and cases[ids["b"]][1] == b.code
        yield {"deployment": d, "procs": procs, "a": a, "b": b, "case": case}
    finally:
        d.stop_all()
        admin = await asyncpg.connect(infra.admin_database_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _bad_tokens(community: str) -> dict[str, str]:
    now = datetime.now(UTC)
    claims = {"sub": "c-intruder", "role": "community_staff", "community": community, "iss": ISSUER,
              "aud": AUDIENCE, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(hours=1)).timestamp())}
    return {
        "forged (signed with another secret)": jwt.encode(claims, "not-the-secret-" * 3, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": int((now - timedelta(minutes=5)).timestamp())}, JWT_SECRET,
                              algorithm="HS256"),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, JWT_SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil"}, JWT_SECRET, algorithm="HS256"),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg HS512 (not on the list)": jwt.encode(claims, JWT_SECRET * 2, algorithm="HS512"),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, JWT_SECRET, algorithm="HS256"),
        "unknown role": jwt.encode({**claims, "role": "mayor"}, JWT_SECRET, algorithm="HS256"),
        "tampered payload": _tamper(jwt.encode(claims, JWT_SECRET, algorithm="HS256")),
        "garbage": "not.a.token",
    }


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "district_staff"
    return f"{header}.{_b64(claims)}.{signature}"


async def test_bad_tokens_and_other_communities_are_refused(system, figures):
    d: Deployment = system["deployment"]
    procs = system["procs"]
    a, case = system["a"], system["case"]
    probes = [
        ("reports", "POST", "/reports"), ("reports", "GET", "/reports/mine"),
        ("reports", "POST", "/reports/photos"), ("routing", "GET", "/cases"),
        ("routing", "GET", f"/cases/{case['a']}"), ("notify", "GET", "/notify/feed"),
    ]
    refusals: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=10) as client:
        for label, token in _bad_tokens(a.code).items():
            for service, method, path in probes:
                r = await client.request(method, procs[service].url + path,
                                         headers={"Authorization": f"Bearer {token}"}, json={})
                assert r.status_code == 401, (label, path, r.status_code, r.text)
            r = await client.get(procs["notify"].url + "/notify/stream", params={"access_token": token})
            assert r.status_code == 401, (label, "stream", r.status_code)
            refusals[label] = len(probes) + 1

        staff_a = {"Authorization": f"Bearer {d.token('c-a', 'community_staff', community=a.code)}"}
        street_a = {"Authorization": f"Bearer {d.token('s-a', 'street_staff', street=a.parent_code)}"}
        worker = {"Authorization": f"Bearer {d.token('w-http', 'worker')}"}
        routing, notify = procs["routing"].url, procs["notify"].url
        cross = {}
        # Another community's case: not found, for the community and for another street's staff.
        cross["community staff -> other community's case"] = (
            await client.get(f"{routing}/cases/{case['b']}", headers=staff_a)).status_code
        cross["street staff -> other street's case"] = (
            await client.get(f"{routing}/cases/{case['b']}", headers=street_a)).status_code
        cross["worker -> a case"] = (
            await client.get(f"{routing}/cases/{case['a']}", headers=worker)).status_code
        cross["worker -> feed"] = (await client.get(f"{notify}/notify/feed", headers=worker)).status_code
        own = await client.get(f"{routing}/cases/{case['a']}", headers=staff_a)
        assert own.status_code == 200, own.text  # the control: one's own case is visible
        listed = {c["case_id"] for c in (await client.get(f"{routing}/cases", headers=staff_a)).json()}
        feed = (await client.get(f"{notify}/notify/feed", headers=staff_a)).json()
        feed_cases = {e["case_id"] for e in feed}
        streamed = await _stream_cases(notify, staff_a["Authorization"].split()[1], want=case["a"])

    figures.update(faults_injected=len(refusals) * (len(probes) + 1) + len(cross) + 3,
                   token_refusals=refusals, cross_jurisdiction=cross, lost=0, duplicated=0)
    assert cross["community staff -> other community's case"] in (403, 404)
    assert cross["street staff -> other street's case"] in (403, 404)
    assert cross["worker -> a case"] == 403 and cross["worker -> feed"] == 403
    assert case["a"] in listed and case["b"] not in listed
    assert case["a"] in feed_cases and case["b"] not in feed_cases, feed_cases
    assert case["a"] in streamed and case["b"] not in streamed, streamed


async def _stream_cases(notify_url: str, token: str, *, want: str, seconds: float = 8) -> set[str]:
    """Case ids on the caller's SSE stream replayed from the start (until `want` shows, or time is up)."""
    seen: set[str] = set()

    async def read() -> None:
        async with httpx.AsyncClient(timeout=None) as client, client.stream(
            "GET", f"{notify_url}/notify/stream", params={"since": 0},
            headers={"Authorization": f"Bearer {token}"},
        ) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    seen.add(json.loads(line[6:])["case_id"])
                    if want in seen:
                        await asyncio.sleep(1)  # anything else already replayed would show by now
                        return

    try:
        await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        pass
    return seen


def _jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


async def test_disguised_and_oversized_uploads_are_refused(system, figures):
    d: Deployment = system["deployment"]
    url = system["procs"]["reports"].url + "/reports/photos"
    auth = {"Authorization": f"Bearer {d.token('w-photo', 'worker')}"}
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    big = _jpeg()[:-2] + os.urandom(9 * 1024 * 1024) + b"\xff\xd9"  # a JPEG head on a 9 MB body
    uploads = {
        "a PDF named .jpg": ("scan.jpg", pdf, "image/jpeg"),
        "HTML named .png": ("x.png", b"<html><script>alert(1)</script></html>", "image/png"),
        "SVG with a script": ("x.webp", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
                              "image/webp"),
        "a 9 MB file": ("big.jpg", big, "image/jpeg"),
        "a JPEG cut short": ("cut.jpg", _jpeg()[:200], "image/jpeg"),
        "a zip named .jpg": ("a.jpg", b"PK\x03\x04" + os.urandom(1000), "image/jpeg"),
    }
    outcome = {}
    async with httpx.AsyncClient(timeout=60, headers=auth) as client:
        for label, (filename, data, media_type) in uploads.items():
            r = await client.post(url, files={"photo": (filename, data, media_type)})
            outcome[label] = r.status_code
        control = await client.post(url, files={"photo": ("ok.jpg", _jpeg(), "image/jpeg")})
        # A body that says nothing of its length is counted as it arrives.
        async def chunks():
            yield b"--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"c.jpg\"\r\n\r\n"
            for _ in range(10):
                yield os.urandom(1024 * 1024)
        r = await client.post(url, content=chunks(),
                              headers={"Content-Type": "multipart/form-data; boundary=b"})
        outcome["a 10 MB chunked body without Content-Length"] = r.status_code
    figures.update(faults_injected=len(outcome), uploads=outcome, control_upload=control.status_code,
                   lost=0, duplicated=0)
    assert control.status_code == 201, control.text
    assert outcome["a PDF named .jpg"] == 415
    assert outcome["a 9 MB file"] == 413
    assert outcome["a 10 MB chunked body without Content-Length"] == 413
    assert all(status in (413, 415, 422) for status in outcome.values()), outcome


async def test_apis_fuzzed_from_their_openapi_documents(system, figures):
    """schemathesis against each process's /openapi.json: no 5xx, responses as documented."""
    pytest.importorskip("schemathesis", reason="dev dependency schemathesis is not installed")
    d: Deployment = system["deployment"]
    procs = system["procs"]
    a = system["a"]
    examples = 100 if LONG else 30
    tokens = {
        "worker": d.token("w-fuzz", "worker"),
        "staff": d.token("c-fuzz", "community_staff", community=a.code),
    }
    out_dir = ARTIFACTS / "faults" / "schemathesis"
    out_dir.mkdir(parents=True, exist_ok=True)

    async def run(service: str, role: str) -> dict:
        log = out_dir / f"{service}-{role}.txt"
        cmd = [
            sys.executable, "-m", "schemathesis.cli", "run", f"{procs[service].url}/openapi.json",
            "--checks", "not_a_server_error,response_schema_conformance",
            "--max-examples", str(examples), "--seed", str(SEED), "--generation-deterministic",
            "--phases", "examples,coverage,fuzzing", "--request-timeout", "10",
            # Live streams never end by design; /metrics is not the services' API.
            "--exclude-path-regex", r"/stream$", "--exclude-path", "/metrics",
            "-H", f"Authorization: Bearer {tokens[role]}",
            "--report", "junit", "--report-junit-path", str(out_dir / f"{service}-{role}.xml"),
        ]
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "160"},
        )
        text = (await proc.communicate())[0].decode(errors="replace")
        log.write_text(text)
        failures = re.findall(r"^\s*\d+\.\s+(.+)$", text, re.M)
        summary = re.findall(r"(\d+) passed|(\d+) failed|(\d+) errored", text)
        return {"service": service, "role": role, "exit": proc.returncode,
                "log": str(log.relative_to(ARTIFACTS)),
                "summary": text.strip().splitlines()[-1] if text.strip() else "", "findings": failures[:20],
                "counts": summary[-3:]}

    results = []
    for role in tokens:
        results += await asyncio.gather(*(run(s, role) for s in FUZZED))
    bad = [r for r in results if r["exit"] != 0]
    figures.update(faults_injected=sum(1 for _ in results), fuzz_runs=results, max_examples=examples,
                   lost=0, duplicated=0)
    assert not bad, "schemathesis found problems:\n" + "\n".join(
        f"{r['service']} as {r['role']}: {r['summary']} (see test-artifacts/{r['log']})" for r in bad)
