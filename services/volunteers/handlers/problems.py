"""Turn use-case refusals into the project's error body, naming the offending field."""

import contextlib
from collections.abc import Iterator

from services.volunteers.app.errors import Refusal
from shared.http.errors import ProblemError


@contextlib.contextmanager
def as_problem() -> Iterator[None]:
    """Re-raise a Refusal as a ProblemError with its status, code and field."""
    try:
        yield
    except Refusal as exc:
        fields = [{"field": exc.field, "problem": str(exc)}] if exc.field else []
        raise ProblemError(exc.status, exc.code, str(exc), fields=fields) from exc
