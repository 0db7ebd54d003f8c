"""SLA policy as data: deadlines per (kind, category, severity), pauses and the escalation ladder."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from services.routing.domain.calendar import WorkCalendar
from services.routing.domain.case import Deadlines

Basis = Literal["working", "calendar"]
BASES: tuple[Basis, ...] = ("working", "calendar")
WILDCARD = "*"
LADDER = ("community", "street", "district")
# Combinations remembered by SlaPolicy.rule_for; intake validates categories, so a few dozen occur.
_MAX_CHOSEN = 4096

# ISO-8601 durations limited to days, hours and minutes: months and years have no fixed length.
_DURATION = re.compile(r"P(?:(?P<d>\d+)D)?(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?)?")


def parse_duration(text: str, *, basis: Basis, day_length: timedelta) -> timedelta:
    """An ISO-8601 duration ("PT10M", "PT2H", "P1D", "P1DT4H") as time in the given basis.

    On the working basis a day ("D") is one working day of the calendar (7 h 30 min by default),
    so "P1D" from 09:00 Monday ends 18:00 Monday; on the calendar basis it is 24 hours.
    """
    match = _DURATION.fullmatch(text)
    if not match or text in ("P", "PT"):
        raise ValueError(f"not an ISO-8601 duration of days/hours/minutes: {text!r}")
    days, hours, minutes = (int(match[g] or 0) for g in "dhm")
    one_day = day_length if basis == "working" else timedelta(days=1)
    return days * one_day + timedelta(hours=hours, minutes=minutes)


@dataclass(frozen=True)
class SlaRule:
    """Deadlines for the reports a (kind, category, severity) pattern matches; "*" matches any."""

    kind: str
    category: str
    severity: str
    acknowledge_within: timedelta
    resolve_within: timedelta
    basis: Basis

    def matches(self, kind: str, category: str, severity: str) -> bool:
        """Whether this rule's pattern covers the report."""
        return all(
            mine in (WILDCARD, theirs)
            for mine, theirs in ((self.kind, kind), (self.category, category), (self.severity, severity))
        )

    @property
    def specificity(self) -> int:
        """Rank among matching rules: kind beats category beats severity (weights 4, 2, 1)."""
        # With a category always naming its kind, this equals "more named fields wins", and it
        # breaks the ties that count leaves open: hazard/*/* beats */*/high, and
        # elderly_checkin/no_answer/* beats elderly_checkin/*/urgent.
        weighted = ((4, self.kind), (2, self.category), (1, self.severity))
        return sum(weight for weight, field in weighted if field != WILDCARD)


@dataclass(frozen=True)
class SlaTimer:
    """A check due at `due_at` if the case is still open then (rows of the `deadlines` table)."""

    kind: Literal["acknowledge", "escalate"]
    level: int  # LADDER index to escalate to; 0 for the acknowledge breach, which only alerts
    due_at: datetime


class SlaPolicy:
    """The rule set plus the calendar that working-basis rules count on."""

    def __init__(self, rules: Iterable[SlaRule], calendar: WorkCalendar) -> None:
        self._rules = tuple(sorted(rules, key=lambda r: -r.specificity))
        self._calendar = calendar
        patterns = [(r.kind, r.category, r.severity) for r in self._rules]
        if dupes := {p for p in patterns if patterns.count(p) > 1}:
            raise ValueError(f"duplicate SLA rule patterns: {sorted(dupes)}")
        if (WILDCARD,) * 3 not in patterns:
            raise ValueError("the SLA policy needs a default rule */*/*")
        if loose := [p for p in patterns if p[0] == WILDCARD and p[1] != WILDCARD]:
            raise ValueError(f"a rule naming a category must name its kind: {loose}")
        # The rules never change, and reports come in a few dozen (kind, category, severity):
        # the scan through every rule is done once per combination, not once per report.
        self._chosen: dict[tuple[str, str, str], SlaRule] = {}

    @classmethod
    def from_json(cls, path: str | Path, calendar: WorkCalendar) -> SlaPolicy:
        """A policy from a JSON file shaped like services/routing/policy/sla_policy.json."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls((_rule(raw, calendar) for raw in data["rules"]), calendar)

    def rule_for(self, kind: str, category: str, severity: str) -> SlaRule:
        """The most specific rule matching the report; the default rule always matches."""
        key = (kind, category, severity)
        rule = self._chosen.get(key)
        if rule is None:
            rule = next(r for r in self._rules if r.matches(kind, category, severity))
            if len(self._chosen) < _MAX_CHOSEN:
                self._chosen[key] = rule
        return rule

    def deadlines(self, kind: str, category: str, severity: str, opened_at: datetime) -> Deadlines:
        """Acknowledge-by and resolve-by (UTC) for a case opened at `opened_at`."""
        rule = self.rule_for(kind, category, severity)
        return Deadlines(
            acknowledge_by=self.add(rule.basis, opened_at, rule.acknowledge_within),
            resolve_by=self.add(rule.basis, opened_at, rule.resolve_within),
            basis=rule.basis,
        )

    def add(self, basis: Basis, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` counted on the basis, in UTC."""
        if basis == "working":
            return self._calendar.add(start, duration)
        return start.astimezone(UTC) + duration

    def extend_for_pause(
        self, rule_or_basis: SlaRule | Basis, deadline: datetime, paused_at: datetime, resumed_at: datetime
    ) -> datetime:
        """The deadline pushed back by the paused span, measured and re-added on the same basis."""
        basis = rule_or_basis.basis if isinstance(rule_or_basis, SlaRule) else rule_or_basis
        if resumed_at < paused_at:
            raise ValueError("a pause cannot end before it starts")
        if basis == "working":
            return self._calendar.add(deadline, self._calendar.between(paused_at, resumed_at))
        return deadline.astimezone(UTC) + (resumed_at - paused_at)

    def escalation_due(self, rule: SlaRule, resolve_by: datetime, level_index: int) -> datetime:
        """When an open case goes to LADDER[level_index]: street at resolve_by, district a window later."""
        # Each further level gets one more resolve window on the rule's basis: the street has
        # as long to fix it as the community had, and an urgent elderly case reaches the
        # district within minutes while a grievance takes working days.
        if not 1 <= level_index < len(LADDER):
            raise ValueError(f"escalation levels are 1..{len(LADDER) - 1} ({', '.join(LADDER[1:])})")
        return self.add(rule.basis, resolve_by, rule.resolve_within * (level_index - 1))

    def timers(self, rule: SlaRule, deadlines: Deadlines) -> list[SlaTimer]:
        """Every check a case needs: the acknowledge breach (alert only), then each escalation."""
        return [
            SlaTimer("acknowledge", 0, deadlines.acknowledge_by),
            *(
                SlaTimer("escalate", level, self.escalation_due(rule, deadlines.resolve_by, level))
                for level in range(1, len(LADDER))
            ),
        ]


def _rule(raw: Mapping[str, Any], calendar: WorkCalendar) -> SlaRule:
    """One rule from its JSON object; durations are parsed on the rule's own basis."""
    basis = raw["basis"]
    if basis not in BASES:
        raise ValueError(f"rule basis must be one of {BASES}, got {basis!r}")
    ack, resolve = (
        parse_duration(raw[key], basis=basis, day_length=calendar.day_length)
        for key in ("acknowledge_within", "resolve_within")
    )
    if not timedelta(0) < ack <= resolve:
        pattern = f"{raw['kind']}/{raw['category']}/{raw['severity']}"
        raise ValueError(f"rule {pattern}: need 0 < acknowledge_within <= resolve_within")
    return SlaRule(raw["kind"], raw["category"], raw["severity"], ack, resolve, basis)
