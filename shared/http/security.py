"""Bearer tokens to a Principal: a FastAPI dependency, and the same check for lean routes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from shared.auth import AuthError, Principal, Role, TokenCodec
from shared.http.errors import ProblemError


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for any other header."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if token and scheme.lower() == "bearer" else None


def check_principal(codec: TokenCodec, token: str | None, roles: tuple[Role, ...]) -> Principal:
    """The token's principal if it is valid and of one of ``roles`` (any if empty); 401/403 otherwise."""
    if not token:
        raise ProblemError(401, "unauthenticated", "an access token is required")
    try:
        principal = codec.verify(token)
    except AuthError as exc:
        raise ProblemError(401, "unauthenticated", str(exc)) from exc
    if roles and principal.role not in roles:
        raise ProblemError(403, "forbidden", f"this needs one of the roles: {', '.join(roles)}")
    return principal


def principal_dependency(
    codec: TokenCodec, *roles: Role, allow_query_token: bool = False
) -> Callable[..., Principal]:
    """A FastAPI dependency accepting only valid tokens of the given roles (any role if none).

    ``allow_query_token`` accepts ``?access_token=`` too, for the browser's EventSource, which
    cannot send headers; elsewhere tokens in URLs would end up in access logs.
    """

    async def _dependency(request: Request) -> Principal:
        token = bearer_token(request.headers.get("authorization"))
        if token is None and allow_query_token:
            token = request.query_params.get("access_token")
        return check_principal(codec, token, roles)

    return _dependency
