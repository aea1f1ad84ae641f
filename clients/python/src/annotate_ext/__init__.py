"""Typed Python client for annotate_ext, the PostgreSQL extension that serves the next URL to
annotate.

Blocking functions live here (psycopg `Connection`, SQLAlchemy `Session` or `Connection`),
coroutines of the same names in `annotate_ext.aio` (psycopg `AsyncConnection`, SQLAlchemy
`AsyncSession` or `AsyncConnection`); each takes the connection first:

    body = annotate_ext.next_annotation(conn, user_id=7, batch_id=1)
    body.next_annotation.url_info.url_id

Leases: with `claim_for` (a `timedelta`), each URL returned is leased to the caller, and other
callers skip it until the lease runs out, the caller annotates the URL, or `release_claim`
ends it. A lease is a write: it exists only once the caller's transaction commits. With
psycopg, use an autocommit connection or call `conn.commit()`; with SQLAlchemy, call
`session.commit()` (or run inside `engine.begin()` / `session.begin()`), since a session
closed without commit rolls back and the lease with it. Leasing in a read-only transaction or
on a standby raises `ReadOnly`.

Errors reported by the server are raised as `AnnotateError` subclasses chosen by SQLSTATE
(`annotate_ext.errors`). The Alembic filter is `annotate_ext.alembic.include_object_for`.
"""

from .errors import (
    AnnotateError,
    FeatureNotSupported,
    ForeignKeyViolation,
    IntegrityViolation,
    InvalidArgument,
    InvalidInput,
    NotAttached,
    PermissionDenied,
    QueryCanceled,
    ReadOnly,
    TransactionRollback,
    UniqueViolation,
    translated_errors,
)
from .models import (
    Annotation,
    AnonymousNextAnnotation,
    NextAnnotation,
    NextUrl,
    RecordType,
    UrlType,
)
from .sync import (
    annotation_for_url,
    attach,
    call_stats,
    detach,
    last_timings,
    next_annotation,
    next_anonymous_annotation,
    next_url_for_annotation,
    next_url_for_anonymous_annotation,
    reconcile,
    refresh,
    release_claim,
    reset_timings,
    schedule_refresh,
    status,
    timing_histogram,
    timing_stats,
    unschedule_refresh,
    verify,
)

__all__ = [
    "AnnotateError",
    "Annotation",
    "AnonymousNextAnnotation",
    "FeatureNotSupported",
    "ForeignKeyViolation",
    "IntegrityViolation",
    "InvalidArgument",
    "InvalidInput",
    "NextAnnotation",
    "NextUrl",
    "NotAttached",
    "PermissionDenied",
    "QueryCanceled",
    "ReadOnly",
    "RecordType",
    "TransactionRollback",
    "UniqueViolation",
    "UrlType",
    "annotation_for_url",
    "attach",
    "call_stats",
    "detach",
    "last_timings",
    "next_annotation",
    "next_anonymous_annotation",
    "next_url_for_annotation",
    "next_url_for_anonymous_annotation",
    "reconcile",
    "refresh",
    "release_claim",
    "reset_timings",
    "schedule_refresh",
    "status",
    "timing_histogram",
    "timing_stats",
    "translated_errors",
    "unschedule_refresh",
    "verify",
]
