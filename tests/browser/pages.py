"""What the browser tests share: the place they report from, a phone's screen, the page errors
they collect, pointer gestures, and reports and wishes posted through the API."""

from __future__ import annotations

from datetime import date, timedelta

from services.routing.geodata.loader import load_geojson_jurisdictions

STREETS, COMMUNITIES = load_geojson_jurisdictions()
HOME = COMMUNITIES[17]
POINT = HOME.geometry.representative_point()
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def watch_errors(page) -> list[str]:
    """The page's uncaught errors, as they come (a list to assert empty at the end)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


async def view_box(page, selector: str) -> list[float]:
    """An SVG's viewBox: what part of the map it shows."""
    return [float(v) for v in (await page.get_attribute(selector, "viewBox")).split()]


async def drag(page, selector: str, dx: float, dy: float) -> None:
    """A mouse drag from the element's middle by (dx, dy) pixels."""
    box = await page.locator(selector).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x + dx, y + dy, steps=8)
    await page.mouse.up()


async def touches(page, selector: str, frames: list[list[tuple[float, float]]]) -> None:
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


async def post_report(system, category: str = "blocked_fire_exit") -> str:
    async with system.client(system.token("w-7", "worker")) as phone:
        r = await phone.post("/reports", json={
            "kind": "hazard", "category": category, "description": "电动车堵住消防通道",
            "location": {"lon": POINT.x, "lat": POINT.y}, "address": "宝圣湖街道 3 号楼",
        })
    assert r.status_code == 201, r.text
    return r.json()["report_id"]


async def post_wish(system, worker: str, title: str) -> str:
    async with system.client(system.token(worker, "worker")) as phone:
        r = await phone.post("/wishes", json={
            "title": title, "category": "clothing", "why": "冬天骑车太冷", "community_code": HOME.code,
            "wanted_by": (date.today() + timedelta(days=20)).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["wish_id"]
