"""Database errors as exception classes keyed by SQLSTATE.

Every function of this package raises `AnnotateError` (or a subclass) for an error that the
server reported, whatever the driver: psycopg, asyncpg, or either through SQLAlchemy. The
driver's exception stays attached as `__cause__`. `translated_errors()` does the same for the
application's own statements (its label writes raise `UniqueViolation`, `ForeignKeyViolation`).
Errors without a SQLSTATE (a lost connection, a driver bug) pass through unchanged.
"""

from collections.abc import Iterator
from contextlib import contextmanager


class AnnotateError(Exception):
    """An error reported by PostgreSQL; `sqlstate` is its five-character code."""

    def __init__(self, message: str, *, sqlstate: str, detail: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint


class InvalidArgument(AnnotateError):
    """22023: an argument out of range (NULL user, max_urls < 1, skip < 0, a bad claim_for)."""


class InvalidInput(AnnotateError):
    """22P02: a value the column's type refuses, such as an unknown enum label."""


class IntegrityViolation(AnnotateError):
    """Class 23: an app constraint refused a write."""


class ForeignKeyViolation(IntegrityViolation):
    """23503: a write names a URL, agency, location or session that does not exist."""


class UniqueViolation(IntegrityViolation):
    """23505: the same label was already stored."""


class TransactionRollback(AnnotateError):
    """Class 40: the transaction was rolled back (a deadlock, a serialization failure); retry it."""


class ReadOnly(AnnotateError):
    """25006: a lease asked for in a read-only transaction or on a standby."""


class PermissionDenied(AnnotateError):
    """42501: the role lacks USAGE on schema annotate, or a right the call needs."""


class NotAttached(AnnotateError):
    """55000: annotate_ext is not attached to the app's tables; run `annotate.attach()`."""


class QueryCanceled(AnnotateError):
    """57014: statement timeout or a cancel request."""


class FeatureNotSupported(AnnotateError):
    """0A000: something the call needs is missing, such as pg_cron for schedule_refresh()."""


_BY_SQLSTATE: dict[str, type[AnnotateError]] = {
    "0A000": FeatureNotSupported,
    "22023": InvalidArgument,
    "22P02": InvalidInput,
    "23000": IntegrityViolation,
    "23503": ForeignKeyViolation,
    "23505": UniqueViolation,
    "25006": ReadOnly,
    "40000": TransactionRollback,
    "42501": PermissionDenied,
    "55000": NotAttached,
    "57014": QueryCanceled,
}


def error_class(sqlstate: str) -> type[AnnotateError]:
    """The class for a SQLSTATE: exact code first, then its class ("23xxx"), else the base."""
    return _BY_SQLSTATE.get(sqlstate) or _BY_SQLSTATE.get(sqlstate[:2] + "000") or AnnotateError


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, SQLAlchemy's wrapped DBAPI error, and their causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [getattr(e, "orig", None), e.__cause__]


def from_exception(exc: BaseException) -> AnnotateError | None:
    """The `AnnotateError` for a driver's exception, or None when it carries no SQLSTATE."""
    reported = [(e, code) for e in _chain(exc) if isinstance(code := getattr(e, "sqlstate", None), str)]
    if not reported:
        return None
    for e, sqlstate in reported:
        diag = getattr(e, "diag", None)
        if diag is not None:  # psycopg
            message, detail, hint = diag.message_primary, diag.message_detail, diag.message_hint
        elif hasattr(e, "hint"):  # asyncpg (SQLAlchemy's wrapper of it copies only the code)
            message, detail, hint = getattr(e, "message", None), getattr(e, "detail", None), e.hint
        else:
            continue
        return error_class(sqlstate)(message or str(e), sqlstate=sqlstate, detail=detail, hint=hint)
    first, sqlstate = reported[0]
    return error_class(sqlstate)(str(first), sqlstate=sqlstate)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Raise `AnnotateError` subclasses for database errors inside the block (sync or async code)."""
    try:
        yield
    except AnnotateError:
        raise
    except Exception as exc:
        error = from_exception(exc)
        if error is None:
            raise
        raise error from exc
