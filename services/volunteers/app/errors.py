"""Refusals of the use cases, each with the HTTP status it means and the field it is about."""

from __future__ import annotations


class Refusal(Exception):
    """A request the service will not carry out; ``field`` names the offending input, if any."""

    status = 400
    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(Refusal):
    """Nothing by that id, or nothing the caller may see."""

    status = 404
    code = "not_found"


class Forbidden(Refusal):
    """The caller may see it but not do this."""

    status = 403
    code = "forbidden"


class Conflict(Refusal):
    """The request clashes with the current state."""

    status = 409
    code = "conflict"


class Invalid(Refusal):
    """An input is well-formed but not acceptable."""

    status = 422
    code = "invalid_request"
