"""A recipient's preferences: which kinds, which channels, quiet hours (urgent alerts ignore them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
CHANNELS = ("webhook", "sms", "app_push")


@dataclass(frozen=True)
class Preferences:
    """Defaults: every kind, no external channel, no quiet hours."""

    kinds: frozenset[str] = field(default_factory=frozenset)  # empty: all kinds
    channels: frozenset[str] = field(default_factory=frozenset)
    quiet_start: time | None = None
    quiet_end: time | None = None

    def wants(self, event_kind: str) -> bool:
        """Whether this kind of event reaches the inbox at all (urgent ones always do)."""
        return not self.kinds or event_kind in self.kinds

    def deliver_at(self, now: datetime, *, urgent: bool) -> datetime:
        """When an external channel may deliver: now, or the end of quiet hours."""
        if urgent or self.quiet_start is None or self.quiet_end is None:
            return now
        local = now.astimezone(LOCAL)
        start = local.replace(hour=self.quiet_start.hour, minute=self.quiet_start.minute, second=0,
                              microsecond=0)
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute, second=0, microsecond=0)
        if self.quiet_start <= self.quiet_end:  # e.g. 12:00-14:00
            quiet = start <= local < end
        else:  # over midnight, e.g. 22:00-07:00
            quiet = local >= start or local < end
            if local >= start:
                end += timedelta(days=1)
        return end.astimezone(now.tzinfo) if quiet else now
