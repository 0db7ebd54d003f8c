"""Who hears about a micro-wish: the poster, the donor of a claim, or the reviewing community."""

from __future__ import annotations

from services.notify.domain.recipients import Recipient, community, worker

# event kind → (who, Chinese and English title)
_RULES: dict[str, tuple[str, str]] = {
    "wish.posted": ("staff", "新微心愿待审核 / A wish awaits review"),
    "wish.approved": ("poster", "您的心愿已公开 / Your wish is public"),
    "wish.rejected": ("poster", "您的心愿未通过审核 / Your wish was not approved"),
    "wish.claimed": ("poster", "有人认领了您的心愿 / Someone claimed your wish"),
    "wish.claim_released": ("donor", "您的认领已释放 / Your claim was released"),
    "wish.handed_over": ("poster", "请确认是否收到 / Please confirm you received it"),
    "wish.fulfilled": ("donor", "对方已确认收到 / Receipt confirmed, thank you"),
    "wish.thanked": ("donor", "收到一份感谢 / You were thanked"),
    "wish.expired": ("poster", "您的心愿已过期 / Your wish expired"),
}


def wish_title(kind: str) -> str | None:
    """The notification title for a wish event kind, or None when nobody is told."""
    rule = _RULES.get(kind)
    return rule[1] if rule else None


def wish_recipients(kind: str, *, community_code: str, poster_id: str | None,
                    donor_id: str | None) -> list[Recipient]:
    """The inbox(es) for one wish event."""
    rule = _RULES.get(kind)
    if rule is None:
        return []
    who = rule[0]
    if who == "staff":
        return [Recipient(community(community_code), "review")]
    if who == "poster" and poster_id:
        return [Recipient(worker(poster_id), "poster")]
    if who == "donor" and donor_id:
        return [Recipient(worker(donor_id), "donor")]
    return []
