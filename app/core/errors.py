"""Domain errors. Each says what is wrong and what to do; the API maps them to 4xx answers and the UI
shows `message` next to `field`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    field: str | None
    message: str
    code: str = "invalid"


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems = problems or [Problem(field, message, self.code)]


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Unavailable(DomainError):
    """A part the request needs (media storage) did not answer: the same request may work later."""

    status_code = 503
    code = "unavailable"


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field)
        self.retry_after = retry_after


@dataclass
class ErrorBody:
    """The JSON shape of every 4xx answer (and of 503 Unavailable)."""

    code: str
    message: str
    problems: list[Problem] = field(default_factory=list)
