"""Report kinds for the six volunteer roles, their categories and default severities."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

Severity = Literal["low", "medium", "high", "urgent"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high", "urgent")


@dataclass(frozen=True)
class Category:
    """One thing a worker can report, with the severity it gets when the worker gives none."""

    code: str
    name_zh: str
    name_en: str
    default_severity: Severity
    opens_case: bool = True  # False: a log entry for the record (a leaflet run, a fine visit)


@dataclass(frozen=True)
class Kind:
    """A report kind: its role, categories, and whether the reporter is hidden by default."""

    code: str
    role_zh: str
    name_en: str
    categories: tuple[Category, ...]
    reporter_hidden: bool = False
    description_required: bool = False
    photo_required: bool = False  # evidence is the point of the report

    def category(self, code: str) -> Category | None:
        """The category with that code, or None."""
        return self._by_code.get(code)

    @cached_property
    def _by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("hazard", "安全隐患排查员", "Safety hazard", (
            Category("blocked_fire_exit", "消防通道堵塞", "Blocked fire exit", "high"),
            Category("broken_manhole_cover", "井盖破损", "Broken manhole cover", "high"),
            Category("dangling_wires", "电线垂落", "Dangling wires", "high"),
            Category("ebike_charging_stairwell", "楼道电动车充电", "E-bike charging in a stairwell", "high"),
            Category("road_damage", "道路破损", "Damaged road", "medium"),
            Category("other_hazard", "其他隐患", "Other hazard", "medium"),
        )),
        Kind("civility", "文明城市劝导员", "Civility", (
            Category("illegal_parking", "乱停乱放", "Illegal parking", "low"),
            Category("littering", "乱扔垃圾", "Littering", "low"),
            Category("street_vending", "占道经营", "Street vending", "low"),
            Category("other_civility", "其他不文明行为", "Other uncivil behaviour", "low"),
        ), reporter_hidden=True),
        Kind("food_safety", "食品安全监督员", "Food safety", (
            Category("kitchen_hygiene", "后厨卫生", "Kitchen hygiene", "high"),
            Category("expired_food", "过期食品", "Expired food", "high"),
            Category("no_licence", "无证经营", "No licence displayed", "medium"),
            Category("pests", "虫鼠害", "Pests", "high"),
        ), reporter_hidden=True, photo_required=True),
        Kind("residents_voice", "民情民意收集员", "Residents' voice", (
            Category("grievance", "小牢骚", "Grievance", "low"),
            Category("suggestion", "建议", "Suggestion", "low"),
        ), description_required=True),
        Kind("policy_promotion", "政策法规宣传员", "Policy promotion", (
            Category("leaflets", "发放宣传单", "Leaflets handed out", "low", opens_case=False),
            Category("talk", "政策宣讲", "Talk given", "low", opens_case=False),
        )),
        Kind("elderly_checkin", "独居老人关爱员", "Elderly check-in", (
            Category("visited_fine", "探访正常", "Visited, fine", "low", opens_case=False),
            Category("no_answer", "敲门无应答", "No answer at the door", "urgent"),
            Category("needs_help", "需要帮助", "Needs help", "urgent"),
        )),
    )
}
