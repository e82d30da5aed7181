"""The domain's errors, as services raise them. They live in `app.core.errors` so that infrastructure
(rate limits) can raise them too without importing services; this name stays for everything above."""

from app.core.errors import (
    Conflict,
    DomainError,
    ErrorBody,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
    RateLimited,
    Unavailable,
    ValidationFailed,
)

__all__ = ["Conflict", "DomainError", "ErrorBody", "NotAuthenticated", "NotFound", "PermissionDenied",
           "Problem", "RateLimited", "Unavailable", "ValidationFailed"]
