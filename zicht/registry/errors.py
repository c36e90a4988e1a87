"""The registry's refusals, one class per HTTP status they map to (as :mod:`zicht.mse.errors`).

Kept apart from :mod:`.service` so that the lower modules (:mod:`.db`, :mod:`.imports`) can
raise them without importing the service.
"""

from __future__ import annotations

from .validation import FieldError


class RegistryError(Exception):
    status = 400


class AccessDenied(RegistryError):
    status = 403


class NotFound(RegistryError):
    status = 404


class Conflict(RegistryError):
    status = 409


class Unauthenticated(RegistryError):
    status = 401


class KeyMismatch(RegistryError):
    """The configured pseudonymisation key is not the one the registry's tokens were made
    with: new tokens would never link to the old ones (a configuration error, so 503)."""

    status = 503


class TooLarge(RegistryError):
    """A request or file beyond a configured limit (the message names the limit)."""

    status = 413


class _RowErrors:
    """Errors of rows: ``errors`` is a list of (row number or None, FieldError); ``total``
    counts every error found, of which ``errors`` may hold only the first (an import lists at
    most :data:`MAX_LISTED` and counts the rest)."""

    def __init__(self, errors: list[tuple[int | None, FieldError]], message: str,
                 total: int | None = None):
        self.total = max(total or 0, len(errors))
        super().__init__(message)
        self.errors = errors

    @property
    def unlisted(self) -> int:
        return self.total - len(self.errors)

    def as_list(self) -> list[dict]:
        return [{"row": row, "field": e.field, "code": e.code, "message": e.message}
                for row, e in self.errors]


class ValidationFailed(_RowErrors, RegistryError):
    """Input refused (422), each error with its row and field."""

    status = 422

    def __init__(self, errors: list[tuple[int | None, FieldError]], message: str = "",
                 total: int | None = None):
        total = max(total or 0, len(errors))
        more = total - len(errors)
        super().__init__(errors, message or f"{total} error(s) / fout(en)"
                         + (f" ({len(errors)} listed / getoond)" if more else ""), total)


class RowConflicts(_RowErrors, Conflict):
    """Reports refused (409) because their source references are taken by other content."""

    def __init__(self, errors: list[tuple[int | None, FieldError]], total: int | None = None):
        total = max(total or 0, len(errors))
        super().__init__(errors, "; ".join(e.message for _, e in errors[:5])
                         + (f" (+{total - 5} more)" if total > 5 else ""), total)


MAX_LISTED = 100  # errors listed for one request; the rest are counted
