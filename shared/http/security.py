"""The bearer-token dependency that turns a request into a Principal."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth import AuthError, Principal, Role, TokenCodec
from shared.http.errors import ProblemError

_bearer = HTTPBearer(auto_error=False)


def principal_dependency(
    codec: TokenCodec, *roles: Role, allow_query_token: bool = False
) -> Callable[..., Principal]:
    """A FastAPI dependency accepting only valid tokens of the given roles (any role if none).

    ``allow_query_token`` accepts ``?access_token=`` too, for the browser's EventSource, which
    cannot send headers; elsewhere tokens in URLs would end up in access logs.
    """

    async def _dependency(request: Request) -> Principal:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        token = credentials.credentials if credentials else None
        if token is None and allow_query_token:
            token = request.query_params.get("access_token")
        if not token:
            raise ProblemError(401, "unauthenticated", "an access token is required")
        try:
            principal = codec.verify(token)
        except AuthError as exc:
            raise ProblemError(401, "unauthenticated", str(exc)) from exc
        if roles and principal.role not in roles:
            raise ProblemError(
                403, "forbidden", f"this needs one of the roles: {', '.join(roles)}"
            )
        return principal

    return _dependency
