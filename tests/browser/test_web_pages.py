"""The web pages in a real headless Chromium against the real system (broker, PostgreSQL, services)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from playwright.async_api import expect

from services.routing.geodata.loader import load_geojson_jurisdictions
from tests.support.system import run_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]
STREETS, COMMUNITIES = load_geojson_jurisdictions()
HOME = COMMUNITIES[17]
POINT = HOME.geometry.representative_point()
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def _view_box(page, selector: str) -> list[float]:
    return [float(v) for v in (await page.get_attribute(selector, "viewBox")).split()]


async def _drag(page, selector: str, dx: float, dy: float) -> None:
    """A mouse drag from the element's middle by (dx, dy) pixels."""
    box = await page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + dx, y + dy, steps=8)
    await page.mouse.up()


async def _touches(page, selector: str, frames: list[list[tuple[float, float]]]) -> None:
    """Fingers as touch pointer events: down at the first frame's points, through the others, up."""
    await page.evaluate("""([selector, frames]) => {
        const target = document.querySelector(selector);
        const send = (type, points) => points.forEach(([clientX, clientY], i) => target.dispatchEvent(
            new PointerEvent(type, { pointerId: 10 + i, pointerType: 'touch', isPrimary: i === 0,
                                     clientX, clientY, bubbles: true })));
        send('pointerdown', frames[0]);
        frames.slice(1).forEach((points) => send('pointermove', points));
        send('pointerup', frames[frames.length - 1]);
    }""", [selector, frames])


async def _post_report(system, category: str = "blocked_fire_exit") -> str:
    async with system.client(system.token("w-7", "worker")) as phone:
        r = await phone.post("/reports", json={
            "kind": "hazard", "category": category, "description": "电动车堵住消防通道",
            "location": {"lon": POINT.x, "lat": POINT.y}, "address": "宝圣湖街道 3 号楼",
        })
    assert r.status_code == 201, r.text
    return r.json()["report_id"]


async def test_an_officer_sees_a_new_case_live_and_acknowledges_it(settings, browser, screenshot_dir):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        token = system.token("c-officer", "community_staff", community=HOME.code)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = _watch_errors(page)
        await page.goto(f"{system.base_url}/dashboard?token={token}")
        await page.wait_for_selector("#live-state.on", timeout=15000)
        assert "token=" not in page.url, "the token leaves the address bar"
        assert await page.locator("#case-rows tr").count() == 0

        await _post_report(system)  # while the page is open: no reload follows
        row = page.locator("#case-rows tr[data-case-id]")
        await row.first.wait_for(timeout=20000)
        assert await row.get_attribute("data-status") == "new"
        ack = row.locator("td.ack .countdown")
        first = await ack.text_content()
        await page.wait_for_function(
            "t => document.querySelector('#case-rows td.ack .countdown').textContent !== t", arg=first,
            timeout=5000)  # it ticks every second
        assert "消防通道堵塞" in await row.text_content()
        await page.screenshot(path=screenshot_dir / "dashboard.png", full_page=True)

        await row.click()
        await page.wait_for_selector("#detail .action-btn[data-action='acknowledge']", timeout=10000)
        assert "open" in await page.locator("#detail .history").text_content() or \
            "立案" in await page.locator("#detail .history").text_content()
        await page.click("#detail .action-btn[data-action='acknowledge']")
        await page.wait_for_selector("#case-rows tr[data-status='acknowledged']", timeout=10000)
        assert await page.locator("#case-rows td.ack .countdown").count() == 0, "ack clock gone"
        assert await page.locator("#case-rows td.resolve .countdown").count() == 1, "resolve clock runs"
        await page.wait_for_selector("#detail .action-btn[data-action='resolve']", timeout=10000)
        assert "受理" in await page.locator("#detail .history").text_content()

        # A refusal shows the server's sentence: resolving needs a note.
        await page.click("#detail .action-btn[data-action='resolve']")
        await page.fill("#action-note", " ")
        await page.click("#action-submit")
        await page.wait_for_function(
            "document.querySelector('#action-error').textContent.includes('needs a note')", timeout=10000)
        await page.click("#action-cancel")
        await page.screenshot(path=screenshot_dir / "case_detail.png", full_page=False)

        await page.click("#detail-close")
        await page.click("button[data-tab='map']")
        await page.wait_for_selector("#map path.area.community", timeout=10000)
        assert await page.locator("#map path.area").count() == 2, "its community and street"
        assert await page.locator("#map .pin").count() == 1
        assert "合成边界 / synthetic boundaries" in await page.locator(".synthetic-badge").text_content()
        assert await page.locator(".synthetic-badge").is_visible()

        await page.click("#lang-toggle")
        await page.click("button[data-tab='cases']")
        assert "Blocked fire exit" in await page.locator("#case-rows").text_content()
        assert errors == [], errors
        await page.close()


async def test_district_staff_see_the_map_and_compliance_of_every_street(settings, browser, screenshot_dir):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        for category in ("blocked_fire_exit", "dangling_wires", "road_damage"):
            await _post_report(system, category)
        token = system.token("d-1", "district_staff")
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = _watch_errors(page)
        await page.goto(f"{system.base_url}/dashboard?token={token}")
        for _ in range(100):
            if await page.locator("#case-rows tr[data-case-id]").count() == 3:
                break
            await asyncio.sleep(0.2)
        assert await page.locator("#case-rows tr[data-case-id]").count() == 3

        await page.click("button[data-tab='map']")
        await page.wait_for_selector("#map path.area.community", timeout=10000)
        assert await page.locator("#map path.area").count() == len(STREETS) + len(COMMUNITIES)
        assert await page.locator(".synthetic-badge").is_visible()
        cluster = page.locator("#map .pin.cluster")
        assert await cluster.count() == 1, "three pins in one place are one cluster"
        assert (await cluster.locator("text").text_content()) == "3"
        await page.screenshot(path=screenshot_dir / "map.png")

        # Drag pans by what the pointer moved, at the same zoom.
        home = await _view_box(page, "#map svg")
        frame = await page.locator("#map svg").bounding_box()
        per_px = max(home[2] / frame["width"], home[3] / frame["height"])  # map units a pixel
        await _drag(page, "#map svg", 200, 100)
        panned = await _view_box(page, "#map svg")
        assert panned[2:] == pytest.approx(home[2:])
        assert panned[:2] == pytest.approx([home[0] - 200 * per_px, home[1] - 100 * per_px], rel=0.02)
        # Two fingers moving apart to twice their spread: twice the zoom, the map point between
        # them staying put.
        cx, cy = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
        await _touches(page, "#map svg", [[(cx - 50, cy), (cx + 50, cy)], [(cx - 100, cy), (cx + 100, cy)]])
        pinched = await _view_box(page, "#map svg")
        assert pinched[2:] == pytest.approx([panned[2] / 2, panned[3] / 2], rel=0.01)
        centre = (panned[0] + panned[2] / 2, panned[1] + panned[3] / 2)
        assert (pinched[0] + pinched[2] / 2, pinched[1] + pinched[3] / 2) == pytest.approx(centre, rel=0.01)
        # The keyboard: an arrow pans a fifth of the view, 0 goes home.
        await page.focus("#map svg")
        await page.keyboard.press("ArrowRight")
        assert (await _view_box(page, "#map svg"))[0] == pytest.approx(pinched[0] + pinched[2] / 5, rel=0.01)
        await page.keyboard.press("0")
        assert await _view_box(page, "#map svg") == pytest.approx(home, abs=0.01)

        await page.click("button[data-tab='stats']")
        await page.wait_for_selector("#stats-streets tbody tr", timeout=10000)
        assert await page.locator("#chart svg polyline").count() == 3
        kpis = await page.locator("#kpis").text_content()
        assert "按时受理率" in kpis and "3" in kpis
        short = HOME.name.replace("社区居民委员会", "")
        assert short in await page.locator("#stats-communities").text_content()
        await page.screenshot(path=screenshot_dir / "stats.png", full_page=True)
        assert errors == [], errors
        await page.close()


async def test_a_worker_reports_in_three_taps_from_a_phone(settings, browser, screenshot_dir, jpeg_bytes):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        token = system.token("w-phone", "worker")
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
            geolocation={"latitude": POINT.y, "longitude": POINT.x}, permissions=["geolocation"],
        )
        page = await context.new_page()
        errors = _watch_errors(page)
        await page.goto(f"{system.base_url}/worker?token={token}")
        await page.wait_for_selector("#worker-map path.area", timeout=15000)
        await page.wait_for_selector("#reports-live.on", timeout=15000)  # "my reports" is live

        # A drag moves the map and is no tap: it does not set the report's place.
        before = await _view_box(page, "#worker-map svg")
        await _drag(page, "#worker-map svg", 60, 30)
        assert (await _view_box(page, "#worker-map svg"))[:2] != before[:2]
        assert "ok-msg" not in (await page.get_attribute("#location-status", "class") or "")

        await page.click(".kind-btn[data-kind='hazard']")
        await page.set_input_files("#photo-input", files=[
            {"name": "hazard.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes}])
        await page.wait_for_selector("#photo-status.ok-msg", timeout=10000)
        await page.click("#gps-btn")
        await page.wait_for_selector("#location-status.ok-msg", timeout=10000)
        assert HOME.name in await page.locator("#location-status").text_content()
        reloads: list[str] = []
        page.on("request", lambda r: reloads.append(r.url) if "/reports/mine" in r.url else None)
        await page.click("#send-btn")
        await page.wait_for_selector("#send-status.ok-msg", timeout=10000)
        report_id = await page.locator("#send-status").get_attribute("data-report-id")
        mine = page.locator(f".my-report[data-report-id='{report_id}']")
        await mine.wait_for(timeout=10000)
        # Routed while the page is open, with no refresh: the inbox stream brings the step, and
        # the list is reloaded for it (sending reloads it once; the stream's step, again).
        await page.wait_for_selector(f".my-report[data-report-id='{report_id}'][data-status='routed']",
                                     timeout=20000)
        for _ in range(100):
            if len(reloads) >= 2:
                break
            await asyncio.sleep(0.1)
        assert len(reloads) >= 2, reloads
        # The case's opening reached the rider's messages too, live; "got it" marks it read.
        message = page.locator("#messages .message[data-kind='case.opened']")
        await message.wait_for(timeout=20000)
        assert await page.locator("#messages .message").count() == 1
        assert await page.locator("#unread-count").text_content() == "1"
        await message.locator(".got-it").click()
        await page.wait_for_selector("#messages .message", state="detached", timeout=10000)
        assert await page.locator("#unread-count").is_hidden()

        await page.click("#station-btn")  # no stations service in this system: a friendly 404
        await page.wait_for_function("document.querySelector('#station-result').textContent.length > 0")
        assert "驿站查询暂不可用" in await page.locator("#station-result").text_content()
        await page.screenshot(path=screenshot_dir / "worker.png", full_page=True)
        assert errors == [], errors

        async with system.client(token) as phone:
            report = (await phone.get(f"/reports/{report_id}")).json()
            assert (await phone.get("/notify/inbox/unread")).json() == {"unread": 0}
        assert report["kind"] == "hazard" and report["category"] == "blocked_fire_exit"
        await context.close()

        ops = await browser.new_page(viewport={"width": 1400, "height": 900})
        ops_token = system.token("o-1", "ops")
        await ops.goto(f"{system.base_url}/ops?token={ops_token}&report={report_id}")
        await ops.wait_for_selector("#health .health-ok", timeout=10000)
        for _ in range(30):
            if await ops.locator("#trace .tree li").count() > 0:
                break
            await ops.click("#trace-btn")
            await asyncio.sleep(0.5)
        assert await ops.locator("#trace .tree li").count() > 2
        assert "nuanxin-routing" in await ops.locator("#trace").text_content()
        await ops.wait_for_selector("#lag tbody tr td.num", timeout=10000)
        await ops.screenshot(path=screenshot_dir / "ops.png", full_page=True)
        await ops.close()


async def _post_wish(system, worker: str, title: str) -> str:
    async with system.client(system.token(worker, "worker")) as phone:
        r = await phone.post("/wishes", json={
            "title": title, "category": "clothing", "why": "冬天骑车太冷", "community_code": HOME.code,
            "wanted_by": (date.today() + timedelta(days=20)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["wish_id"]


async def test_an_officer_decides_wishes_and_volunteers_from_the_to_do_tab(settings, browser, screenshot_dir):
    async with run_system(settings, ["routing", "notify", "wishes", "volunteers"]) as system:
        first = await _post_wish(system, "w-9", "冬季骑行手套")
        async with system.client(system.token("w-9", "worker")) as phone:
            r = await phone.post("/volunteers/me", json={
                "community_code": HOME.code, "roles": ["hazard_inspector", "elderly_carer"]})
            assert r.status_code == 201, r.text
        token = system.token("c-officer", "community_staff", community=HOME.code)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = _watch_errors(page)
        await page.goto(f"{system.base_url}/dashboard?token={token}")
        # The tab says how much waits, before it is opened.
        await page.wait_for_function("document.querySelector('#todo-count').textContent === '2'",
                                     timeout=15000)
        await page.click("button[data-tab='todo']")
        wish = page.locator(f".todo-item[data-wish-id='{first}']")
        assert "冬季骑行手套" in await wish.text_content() and "冬天骑车太冷" in await wish.text_content()
        volunteer = page.locator(".todo-item[data-volunteer-id='w-9']")
        assert "安全隐患排查员" in await volunteer.text_content()
        await page.screenshot(path=screenshot_dir / "todo.png", full_page=True)

        await wish.locator(".todo-accept").click()
        await wish.wait_for(state="detached", timeout=10000)
        await expect(page.locator("#todo-count")).to_have_text("1")
        await volunteer.locator(".todo-refuse").click()  # no reason yet: refused on the page
        assert "理由" in await volunteer.locator(".error").text_content()
        await volunteer.locator(".todo-reason").fill("请先参加安全培训")
        # A wish posted while the page is open shows up by itself, and what the officer was
        # typing stays.
        second = await _post_wish(system, "w-10", "电动车头盔")
        await page.wait_for_selector(f".todo-item[data-wish-id='{second}']", timeout=15000)
        await expect(page.locator("#todo-count")).to_have_text("2")
        assert await volunteer.locator(".todo-reason").input_value() == "请先参加安全培训"
        await volunteer.locator(".todo-refuse").click()
        await volunteer.wait_for(state="detached", timeout=10000)
        await expect(page.locator("#todo-count")).to_have_text("1")
        await page.locator(f".todo-item[data-wish-id='{second}'] .todo-accept").click()
        await expect(page.locator("#todo-empty")).to_be_visible()

        async with system.client(system.token("w-9", "worker")) as phone:
            approved = (await phone.get(f"/wishes/{first}")).json()
            assert approved["status"] == "open" and approved["approved_at"]  # on the wall
            mine = (await phone.get("/volunteers/me")).json()
        roles = {x["role"]: (x["status"], x["reason"]) for x in mine["roles"]}
        assert roles == {"hazard_inspector": ("declined", "请先参加安全培训"),
                         "elderly_carer": ("declined", "请先参加安全培训")}
        assert errors == [], errors
        await page.close()


async def test_a_wish_goes_from_the_wall_to_its_donor_and_back_to_the_rider_who_thanks(
    settings, browser, screenshot_dir,
):
    async with run_system(settings, ["routing", "notify", "wishes"]) as system:
        wish_id = await _post_wish(system, "w-11", "儿童冬季校服")
        async with system.client(system.token("c-1", "community_staff", community=HOME.code)) as staff:
            assert (await staff.post(f"/wishes/{wish_id}/approve")).status_code == 200

        # A donor looks without signing in; claiming asks them to.
        donor = await browser.new_context(**PHONE)
        wall = await donor.new_page()
        errors = _watch_errors(wall)
        await wall.goto(f"{system.base_url}/wall")
        card = wall.locator(f".wish-card[data-wish-id='{wish_id}']")
        await card.wait_for(timeout=15000)
        assert "儿童冬季校服" in await card.text_content() and "w-11" not in await card.text_content()
        await card.locator(".claim-btn").click()
        assert "登录" in await card.locator(".error").text_content()
        await wall.fill("#token-input", system.token("w-donor", "worker"))
        await wall.click("#signin-btn")
        await card.locator(".claim-btn").click()
        claim = wall.locator(f".claim[data-wish-id='{wish_id}']")
        await claim.wait_for(timeout=10000)
        assert await claim.get_attribute("data-status") == "held"
        await claim.locator(".handover-btn").click()  # where? asked first
        assert "地点" in await claim.locator(".error").text_content()
        await claim.locator("input").fill("龙溪街道暖新驿站")
        await claim.locator(".handover-btn").click()
        await wall.wait_for_selector(f".claim[data-wish-id='{wish_id}'][data-status='handed_over']",
                                     timeout=10000)
        await wall.screenshot(path=screenshot_dir / "wall.png", full_page=True)

        # The rider confirms it arrived and thanks the donor, on the worker page.
        rider = await browser.new_context(**PHONE)
        page = await rider.new_page()
        rider_errors = _watch_errors(page)
        await page.goto(f"{system.base_url}/worker?token={system.token('w-11', 'worker')}")
        mine = page.locator(f".my-report[data-wish-id='{wish_id}']")
        await mine.locator(".confirm-btn").click(timeout=15000)
        await mine.locator(".thank-btn").wait_for(timeout=10000)
        await mine.locator("input").fill("谢谢您，孩子穿上很暖和")
        await mine.locator(".thank-btn").click()
        await page.wait_for_selector(f".my-report[data-wish-id='{wish_id}'][data-status='fulfilled'] .note",
                                     timeout=10000)
        assert "孩子穿上很暖和" in await mine.text_content()

        await wall.reload()
        await claim.wait_for(timeout=10000)
        assert await claim.get_attribute("data-status") == "confirmed"
        text = await claim.text_content()
        assert "孩子穿上很暖和" in text and "儿童冬季校服" in text  # the wish, off the wall now, by name
        async with system.client(system.token("w-11", "worker")) as phone:
            assert (await phone.get(f"/wishes/{wish_id}")).json()["status"] == "fulfilled"
        assert errors == rider_errors == [], (errors, rider_errors)
        await donor.close()
        await rider.close()
