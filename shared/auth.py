"""Access tokens: HS256 JWTs with required ``aud``, ``iss`` and ``exp``, and the roles they carry."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

Role = Literal["worker", "community_staff", "street_staff", "district_staff", "ops"]
ROLES: tuple[Role, ...] = ("worker", "community_staff", "street_staff", "district_staff", "ops")
VERIFIED_CACHE_SIZE = 10_000
ALGORITHMS = ["HS256"]  # fixed: a token naming any other algorithm, "none" included, is refused


class AuthError(Exception):
    """The token is missing, malformed, forged, expired or not for us."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, and the jurisdiction their role covers."""

    subject: str
    role: Role
    community: str | None = None
    street: str | None = None
    volunteer_roles: frozenset[str] = field(default_factory=frozenset)

    def sees_community(self, community_code: str | None, street_code: str | None) -> bool:
        """Whether this principal's jurisdiction includes a case owned as given."""
        if self.role in ("district_staff", "ops"):
            return True
        if self.role == "street_staff":
            return street_code is not None and street_code == self.street
        if self.role == "community_staff":
            return community_code is not None and community_code == self.community
        return False


@dataclass(frozen=True)
class TokenCodec:
    """Signs and verifies tokens with one secret, issuer and audience."""

    secret: str
    issuer: str
    audience: str
    # Tokens already verified, with their expiry: a phone sends the same token with every request,
    # and checking an HMAC signature and the claims again would cost more than the request itself.
    _verified: dict[str, tuple[Principal, float]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def issue(
        self,
        principal: Principal,
        *,
        ttl: timedelta = timedelta(hours=12),
        now: datetime | None = None,
    ) -> str:
        """A signed token for a principal."""
        now = now or datetime.now(UTC)
        claims: dict[str, object] = {
            "sub": principal.subject,
            "role": principal.role,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        if principal.community:
            claims["community"] = principal.community
        if principal.street:
            claims["street"] = principal.street
        if principal.volunteer_roles:
            claims["volunteer_roles"] = sorted(principal.volunteer_roles)
        return jwt.encode(claims, self.secret, algorithm=ALGORITHMS[0])

    def verify(self, token: str) -> Principal:
        """The principal a token names, or AuthError saying what is wrong with it."""
        hit = self._verified.get(token)
        if hit is not None:
            if time.time() < hit[1]:
                return hit[0]
            del self._verified[token]
        principal, expires = self._decode(token)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (principal, expires)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise AuthError("token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("token is from another issuer") from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        role = claims.get("role")
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}")
        if role == "community_staff" and not claims.get("community"):
            raise AuthError("community staff token names no community")
        if role == "street_staff" and not claims.get("street"):
            raise AuthError("street staff token names no street")
        principal = Principal(
            subject=str(claims["sub"]),
            role=role,
            community=claims.get("community"),
            street=claims.get("street"),
            volunteer_roles=frozenset(claims.get("volunteer_roles", ())),
        )
        return principal, float(claims["exp"])
