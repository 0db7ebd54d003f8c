"""Generate the synthetic warm-map stations (deterministic): `python -m services.stations.data.generate`."""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from pathlib import Path

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

HERE = Path(__file__).resolve().parent
# Read by path, not imported: the routing service's synthetic polygons are shipped data.
POLYGONS_PATH = HERE.parents[1] / "routing" / "geodata" / "yubei_jurisdictions_synthetic.geojson"
OUTPUT_PATH = HERE / "stations_synthetic.csv"
SEED = 500112
COLUMNS = ("id", "name", "kind", "lon", "lat", "crs", "address", "community_code", "hours",
           "amenities", "synthetic")
MERCHANTS_IN_BUSIEST = 30
WOMEN_CHILDREN_HOMES = 12

HOURS = {
    "rest_station": ["24h", "Mo-Su 08:00-22:00", "Mo-Su 07:00-21:00",
                     "Mo-Fr 08:30-20:30; Sa-Su 09:00-18:00", "Mo-Su 07:00-12:00,13:30-21:00"],
    "workers_harbour": ["Mo-Su 09:00-21:00", "Mo-Su 08:00-20:00"],
    "union_post": ["Mo-Fr 09:00-18:00; Sa-Su 10:00-16:00"],
    "community_canteen": ["Mo-Su 06:30-09:00,11:00-13:30,17:00-19:30",
                          "Mo-Sa 10:30-13:30,16:30-19:30; Su off"],
    "job_service_station": ["Mo-Fr 09:00-12:00,14:00-17:30; Sa-Su off"],
    "women_children_home": ["Mo off; Tu-Su 09:00-17:00"],
}
BASE = {
    "rest_station": ("water", "phone_charging", "rest_area", "microwave", "toilet", "wifi"),
    "workers_harbour": ("water", "phone_charging", "rest_area", "microwave", "toilet", "wifi", "first_aid"),
    "union_post": ("water", "phone_charging", "rest_area", "toilet"),
    "community_canteen": ("water", "toilet", "rest_area", "microwave"),
    "health_centre": ("water", "toilet", "first_aid", "parking"),
    "job_service_station": ("water", "wifi", "toilet", "phone_charging"),
    "women_children_home": ("water", "toilet", "rest_area", "first_aid"),
    "friendly_merchant": ("water", "phone_charging"),
}
EXTRA = {  # amenity -> chance, per kind
    "rest_station": {"battery_charging": 0.5, "first_aid": 0.6, "parking": 0.7, "scan_to_enter": 0.2},
    "workers_harbour": {"battery_charging": 0.4, "parking": 0.5},
    "union_post": {"microwave": 0.5, "first_aid": 0.5, "wifi": 0.5},
    "community_canteen": {"phone_charging": 0.5, "wifi": 0.3},
    "friendly_merchant": {"toilet": 0.4, "microwave": 0.3, "parking": 0.5, "battery_charging": 0.2},
}
SHOPS = [("爱心便利店", "24h"), ("重庆小面", "Mo-Su 06:30-14:00,17:00-02:00"),
         ("老麻抄手", "Mo-Su 10:00-22:00"), ("社区药房", "Mo-Su 08:00-22:00"),
         ("鲜果屋", "Mo-Su 08:00-23:00"), ("快修手机店", "Mo-Su 09:30-21:30")]


def short_name(name: str) -> str:
    """'滨港路社区居民委员会' → '滨港路社区', '石岗村民委员会' → '石岗村'."""
    return name.replace("居民委员会", "").replace("村民委员会", "村")


def point_in(geom: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    """A random point inside a polygon (rejection sampling; the representative point if unlucky)."""
    x0, y0, x1, y1 = geom.bounds
    for _ in range(200):
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if geom.contains(shapely.Point(x, y)):
            return round(x, 6), round(y, 6)
    p = geom.representative_point()
    return round(p.x, 6), round(p.y, 6)


def row(sid, name, kind, geom, rng, code, street, place, hours=None) -> dict:
    """One CSV row with hours and amenities drawn for its kind."""
    lon, lat = point_in(geom, rng)
    amenities = list(BASE[kind]) + [a for a, p in EXTRA.get(kind, {}).items() if rng.random() < p]
    return {
        "id": sid, "name": name, "kind": kind, "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", "crs": "WGS84",
        "address": f"重庆市渝北区{street}{place}{rng.randint(1, 240)}号（合成地址）",
        "community_code": code, "hours": hours or rng.choice(HOURS[kind]),
        "amenities": ";".join(dict.fromkeys(amenities)), "synthetic": "true",
    }


def generate(polygons_path: Path = POLYGONS_PATH) -> list[dict]:
    """Every synthetic station, in a fixed order."""
    rng = random.Random(SEED)
    features = json.loads(polygons_path.read_text(encoding="utf-8"))["features"]
    streets = {f["properties"]["code"]: f["properties"] for f in features
               if f["properties"]["level"] == "street"}
    communities = sorted((f for f in features if f["properties"]["level"] == "community"),
                         key=lambda f: f["properties"]["code"])
    rows, first_of_street = [], {}
    for f in communities:
        p, geom = f["properties"], shape(f["geometry"])
        street = streets[p["street_code"]]["name"]
        first_of_street.setdefault(p["street_code"], (p, geom))
        if p["kind"] != "社区":
            continue
        # Every urban community has somewhere to rest or eat.
        kind = rng.choices(list(HOURS)[:4], weights=(50, 12, 13, 25))[0]
        suffix = {"rest_station": "暖新驿站", "workers_harbour": "职工港湾", "union_post": "工会驿站",
                  "community_canteen": "食堂"}[kind]
        rows.append(row(f"syn-{p['code']}-01", f"{short_name(p['name'])}{suffix}", kind, geom, rng,
                        p["code"], street, short_name(p["name"])))
    for scode, (p, geom) in sorted(first_of_street.items()):
        s = streets[scode]
        town = s["kind"] == "镇"
        place = short_name(p["name"])
        if town:  # villages share one rest station at the town seat
            rows.append(row(f"syn-{scode}-rs", f"{s['name']}暖新驿站", "rest_station", geom, rng, p["code"],
                            s["name"], place))
        rows.append(row(f"syn-{scode}-hc", f"{s['name']}{'中心卫生院' if town else '社区卫生服务中心'}",
                        "health_centre", geom, rng, p["code"], s["name"], place,
                        "24h" if town else "Mo-Su 08:00-12:00,14:00-17:30"))
        if not town:
            rows.append(row(f"syn-{scode}-js", f"{s['name']}就业服务站", "job_service_station", geom, rng,
                            p["code"], s["name"], place))
    urban = sorted(first_of_street.items())[:WOMEN_CHILDREN_HOMES]
    for scode, (p, geom) in urban:
        rows.append(row(f"syn-{scode}-wc", f"{streets[scode]['name']}妇女儿童之家", "women_children_home",
                        geom, rng, p["code"], streets[scode]["name"], short_name(p["name"])))
    # Smaller urban polygons are the denser, busier places: merchants cluster there.
    urban_all = [f for f in communities if f["properties"]["kind"] == "社区"]
    busiest = sorted(urban_all, key=lambda f: (shape(f["geometry"]).area, f["properties"]["code"]))
    busiest = busiest[:MERCHANTS_IN_BUSIEST]
    for f in sorted(busiest, key=lambda f: f["properties"]["code"]):
        p = f["properties"]
        shop, hours = rng.choice(SHOPS)
        rows.append(row(f"syn-{p['code']}-m1", f"{short_name(p['name']).removesuffix('社区')}{shop}",
                        "friendly_merchant", shape(f["geometry"]), rng, p["code"],
                        streets[p["street_code"]]["name"], short_name(p["name"]), hours))
    return rows


def to_csv(rows: list[dict]) -> str:
    """The rows as CSV text (LF line ends, so the file is byte-identical on every machine)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main() -> None:
    """Write the CSV next to this script."""
    rows = generate()
    OUTPUT_PATH.write_text(to_csv(rows), encoding="utf-8")
    print(f"wrote {len(rows)} synthetic stations to {OUTPUT_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()
