"""The staff pages in a real headless Chromium against the real system: the live case list, the
map and statistics, and the to-do of wishes and volunteers."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from tests.browser.pages import (
    COMMUNITIES,
    HOME,
    STREETS,
    drag,
    post_report,
    post_wish,
    touches,
    view_box,
    watch_errors,
)
from tests.support.system import run_system

pytestmark = [pytest.mark.browser, pytest.mark.integration]


async def test_an_officer_sees_a_new_case_live_and_acknowledges_it(settings, browser, screenshot_dir):
    async with run_system(settings, ["reports", "routing", "notify"]) as system:
        token = system.token("c-officer", "community_staff", community=HOME.code)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = watch_errors(page)
        await page.goto(f"{system.base_url}/dashboard?token={token}")
        await page.wait_for_selector("#live-state.on", timeout=15000)
        assert "token=" not in page.url, "the token leaves the address bar"
        assert await page.locator("#case-rows tr").count() == 0

        await post_report(system)  # while the page is open: no reload follows
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
            await post_report(system, category)
        token = system.token("d-1", "district_staff")
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = watch_errors(page)
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
        home = await view_box(page, "#map svg")
        frame = await page.locator("#map svg").bounding_box()
        per_px = max(home[2] / frame["width"], home[3] / frame["height"])  # map units a pixel
        await drag(page, "#map svg", 200, 100)
        panned = await view_box(page, "#map svg")
        assert panned[2:] == pytest.approx(home[2:])
        assert panned[:2] == pytest.approx([home[0] - 200 * per_px, home[1] - 100 * per_px], rel=0.02)
        # Two fingers moving apart to twice their spread: twice the zoom, the map point between
        # them staying put.
        cx, cy = frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2
        await touches(page, "#map svg", [[(cx - 50, cy), (cx + 50, cy)], [(cx - 100, cy), (cx + 100, cy)]])
        pinched = await view_box(page, "#map svg")
        assert pinched[2:] == pytest.approx([panned[2] / 2, panned[3] / 2], rel=0.01)
        centre = (panned[0] + panned[2] / 2, panned[1] + panned[3] / 2)
        assert (pinched[0] + pinched[2] / 2, pinched[1] + pinched[3] / 2) == pytest.approx(centre, rel=0.01)
        # The keyboard: an arrow pans a fifth of the view, 0 goes home.
        await page.focus("#map svg")
        await page.keyboard.press("ArrowRight")
        assert (await view_box(page, "#map svg"))[0] == pytest.approx(pinched[0] + pinched[2] / 5, rel=0.01)
        await page.keyboard.press("0")
        assert await view_box(page, "#map svg") == pytest.approx(home, abs=0.01)

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


async def test_an_officer_decides_wishes_and_volunteers_from_the_to_do_tab(settings, browser, screenshot_dir):
    async with run_system(settings, ["routing", "notify", "wishes", "volunteers"]) as system:
        first = await post_wish(system, "w-9", "冬季骑行手套")
        async with system.client(system.token("w-9", "worker")) as phone:
            r = await phone.post("/volunteers/me", json={
                "community_code": HOME.code, "roles": ["hazard_inspector", "elderly_carer"]})
            assert r.status_code == 201, r.text
        token = system.token("c-officer", "community_staff", community=HOME.code)
        page = await browser.new_page(viewport={"width": 1400, "height": 900})
        errors = watch_errors(page)
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
        second = await post_wish(system, "w-10", "电动车头盔")
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
