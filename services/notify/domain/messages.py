"""What a notification says, in Chinese first and English after, short enough for a phone."""

from __future__ import annotations

_CATEGORY_WORDS = {
    "blocked_fire_exit": "消防通道堵塞", "broken_manhole_cover": "井盖破损", "dangling_wires": "电线垂落",
    "ebike_charging_stairwell": "楼道电动车充电", "kitchen_hygiene": "后厨卫生", "no_answer": "敲门无应答",
    "needs_help": "老人需要帮助", "missed_checkin": "未按时探访",
}

_ACTIONS = {
    "acknowledge": ("已受理", "acknowledged"), "start": ("处理中", "being handled"),
    "request_info": ("需要补充信息", "more information needed"),
    "provide_info": ("已补充信息", "information provided"), "resolve": ("已办结", "resolved"),
    "close": ("已关闭", "closed"), "reopen": ("已重新打开", "reopened"),
    "return_not_ours": ("退回街道重新分派", "returned for reassignment"),
    "reassign": ("已重新分派", "reassigned"), "dismiss": ("经核实不属实", "dismissed as not real"),
}


def what(category: str) -> str:
    """A category in words."""
    return _CATEGORY_WORDS.get(category, category.replace("_", " "))


def title_for(event_kind: str, *, category: str = "", action: str | None = None,
              level: int | None = None, deadline: str | None = None, to_unit: str | None = None) -> str:
    """One line for a notification list."""
    if event_kind == "case.opened":
        return f"新案件：{what(category)} / New case: {category}"
    if event_kind == "case.transitioned" and action:
        zh, en = _ACTIONS.get(action, (action, action))
        return f"案件{zh} / Case {en}"
    if event_kind == "case.joined":
        return "同类问题又有人上报 / Another report joined the case"
    if event_kind == "case.sla_breached":
        which = ("受理", "acknowledge") if deadline == "acknowledge" else ("办结", "resolve")
        return f"超时未{which[0]} / Missed the {which[1]} deadline"
    if event_kind == "case.escalated":
        return f"案件已上报至{to_unit or ''}（第{level}级）/ Escalated to {to_unit} (level {level})"
    return event_kind


def is_urgent(event_kind: str, *, kind: str = "", severity: str = "", category: str = "") -> bool:
    """Urgent elderly alerts and any urgent case go out even in quiet hours."""
    return severity == "urgent" or (kind == "elderly_checkin" and category != "visited_fine") or (
        event_kind in ("case.escalated",) and category in ("no_answer", "needs_help", "missed_checkin")
    )
