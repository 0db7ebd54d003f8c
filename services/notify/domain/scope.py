"""Which part of the feed a principal may see: a community, a street, or the whole district."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeedScope:
    """A filter on the feed; both None means everything."""

    community_code: str | None = None
    street_code: str | None = None


class ScopeRefused(Exception):
    """The principal's role has no dashboard stream."""


def scope_for(role: str, community: str | None, street: str | None) -> FeedScope:
    """The feed scope a token's role and jurisdiction give."""
    if role == "community_staff" and community:
        return FeedScope(community_code=community)
    if role == "street_staff" and street:
        return FeedScope(street_code=street)
    if role in ("district_staff", "ops"):
        return FeedScope()
    raise ScopeRefused(f"role {role} has no dashboard stream")
