"""The rider's phone page and the micro-wish wall in a real headless Chromium against the real
system (broker, PostgreSQL, services)."""

from __future__ import annotations

import asyncio

import pytest

from tests.browser.pages import HOME, PHONE, POINT, drag, post_wish, view_box, watch_errors
from tests.support.system import run_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_a_worker_reports_in_three_taps_from_a_phone(settings, browser, screenshot_dir, jpeg_bytes):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        token = system.token("w-phone", "worker")
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
            geolocation={"latitude": POINT.y, "longitude": POINT.x}, permissions=["geolocation"],
        )
        page = await context.new_page()
        errors = watch_errors(page)
        await page.goto(f"{system.base_url}/worker?token={token}")
        await page.wait_for_selector("#worker-map path.area", timeout=15000)
        await page.wait_for_selector("#reports-live.on", timeout=15000)  # "my reports" is live

        # A drag moves the map and is no tap: it does not set the report's place.
        before = await view_box(page, "#worker-map svg")
        await drag(page, "#worker-map svg", 60, 30)
        assert (await view_box(page, "#worker-map svg"))[:2] != before[:2]
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


async def test_a_wish_goes_from_the_wall_to_its_donor_and_back_to_the_rider_who_thanks(
    settings, browser, screenshot_dir,
):
    async with run_system(settings, ["routing", "notify", "wishes"]) as system:
        wish_id = await post_wish(system, "w-11", "儿童冬季校服")
        async with system.client(system.token("c-1", "community_staff", community=HOME.code)) as staff:
            assert (await staff.post(f"/wishes/{wish_id}/approve")).status_code == 200

        # A donor looks without signing in; claiming asks them to.
        donor = await browser.new_context(**PHONE)
        wall = await donor.new_page()
        errors = watch_errors(wall)
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
        rider_errors = watch_errors(page)
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
