"""A station on the warm map: what kind it is, where, when it is open and what it offers."""

from __future__ import annotations

from dataclasses import dataclass

from services.stations.domain.hours import OpeningHours

# kind -> (Chinese label, other names an import file may use)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "rest_station": ("暖新驿站", ("驿站", "暖新驿站", "户外劳动者服务站", "rest station")),
    "workers_harbour": ("职工港湾", ("职工港湾", "workers harbour", "workers_harbor")),
    "community_canteen": ("社区食堂", ("社区食堂", "食堂", "canteen")),
    "job_service_station": ("就业服务站", ("就业服务站", "job service station", "job_station")),
    "health_centre": ("社区卫生服务中心", ("社区卫生服务中心", "卫生院", "health centre", "health_center")),
    "women_children_home": ("妇女儿童之家", ("妇女儿童之家", "women and children home")),
    "union_post": ("工会驿站", ("工会驿站", "union post")),
    "friendly_merchant": ("爱心商家", ("爱心商家", "friendly merchant", "merchant")),
}

# amenity -> (Chinese label, other names an import file may use)
AMENITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "water": ("饮水", ("饮水", "热水", "drinking water")),
    "phone_charging": ("手机充电", ("手机充电", "充电")),
    "battery_charging": ("电瓶充电", ("电瓶充电", "换电", "battery")),
    "microwave": ("微波炉", ("微波炉", "热饭")),
    "toilet": ("卫生间", ("卫生间", "厕所", "toilets")),
    "parking": ("停车", ("停车", "电动车停放")),
    "scan_to_enter": ("扫码进门", ("扫码进门", "扫码通行")),
    "rest_area": ("休息区", ("休息区", "休息", "rest")),
    "wifi": ("无线网络", ("无线网络", "wi-fi")),
    "first_aid": ("急救药箱", ("急救药箱", "急救", "医药箱")),
}
AMENITY_BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(AMENITIES)}


def _alias_table(table: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, str]:
    out = {name: name for name in table}
    for name, (label, aliases) in table.items():
        for alias in (label, *aliases):
            out[alias.lower().replace(" ", "_")] = name
    return out


_KIND_ALIASES = _alias_table(KINDS)
_AMENITY_ALIASES = _alias_table(AMENITIES)


def kind_named(text: str) -> str | None:
    """The kind a name or Chinese label stands for, None if unknown."""
    return _KIND_ALIASES.get(text.strip().lower().replace(" ", "_"))


def amenity_named(text: str) -> str | None:
    """The amenity a name or Chinese label stands for, None if unknown."""
    return _AMENITY_ALIASES.get(text.strip().lower().replace(" ", "_"))


def amenity_mask(amenities: frozenset[str] | set[str] | list[str]) -> int:
    """The amenities as a bit mask (for vectorised filtering)."""
    mask = 0
    for name in amenities:
        mask |= AMENITY_BITS[name]
    return mask


@dataclass(frozen=True)
class Station:
    """One point on the warm map; coordinates are WGS84."""

    station_id: str
    name: str
    kind: str
    lon: float
    lat: float
    address: str
    community_code: str | None
    hours: OpeningHours
    amenities: frozenset[str]
    synthetic: bool

    @property
    def kind_label(self) -> str:
        """The kind's Chinese name."""
        return KINDS[self.kind][0]
