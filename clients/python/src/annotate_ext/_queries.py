"""Every public function of schema `annotate`, as a query to run on any connection.

Each builder here is exposed twice, with the connection as first argument: in
`annotate_ext` (psycopg `Connection`, SQLAlchemy `Session` or `Connection`) and in
`annotate_ext.aio` (psycopg `AsyncConnection`, SQLAlchemy `AsyncSession` or
`AsyncConnection`). Its docstring is theirs.
"""

import json
from datetime import timedelta
from typing import Any
from uuid import UUID

from ._statement import Query, Row, Statement, value
from .models import Annotation, AnonymousNextAnnotation, NextAnnotation, NextUrl

_NEXT_URL = Statement(
    "next_url_for_annotation",
    {
        "user_id": "integer",
        "batch_id": "integer",
        "url_id": "integer",
        "max_urls": "integer",
        "skip": "integer",
        "claim_for": "interval",
    },
    "rows",
)
_NEXT_URL_ANON = Statement(
    "next_url_for_anonymous_annotation",
    {"session_id": "uuid", "max_urls": "integer", "skip": "integer", "claim_for": "interval"},
    "rows",
)
_NEXT = Statement(
    "next_annotation",
    {
        "user_id": "integer",
        "batch_id": "integer",
        "url_id": "integer",
        "skip": "integer",
        "claim_for": "interval",
    },
    "json",
)
_NEXT_ANON = Statement(
    "next_anonymous_annotation", {"session_id": "uuid", "skip": "integer", "claim_for": "interval"}, "json"
)
_FOR_URL = Statement("annotation_for_url", {"url_id": "integer", "batch_id": "integer"}, "json")
_RELEASE = Statement("release_claim", {"url_id": "integer", "user_id": "integer", "session_id": "uuid"})
_REFRESH = Statement("refresh", {"concurrently": "boolean"}, "rows")
_VERIFY = Statement("verify", returns="rows")
_RECONCILE = Statement("reconcile")
_STATUS = Statement("status", returns="json")
_TIMING_STATS = Statement("timing_stats", returns="rows")
_LAST_TIMINGS = Statement("last_timings", returns="rows")
_TIMING_HISTOGRAM = Statement("timing_histogram", returns="rows")
_CALL_STATS = Statement("call_stats", returns="rows")
_RESET_TIMINGS = Statement("reset_timings")
_ATTACH = Statement("attach", returns="rows")
_DETACH = Statement("detach")
_SCHEDULE = Statement("schedule_refresh", {"schedule": "text"})
_UNSCHEDULE = Statement("unschedule_refresh")


def _next_urls(rows: list[Row]) -> list[NextUrl]:
    return [NextUrl.model_validate(row) for row in rows]


def _rows(rows: list[Row]) -> list[Row]:
    return rows


def _json(rows: list[Row]) -> Any:
    return json.loads(value(rows))


def _nothing(rows: list[Row]) -> None:
    return None


def next_url_for_annotation(
    user_id: int,
    *,
    batch_id: int | None = None,
    url_id: int | None = None,
    max_urls: int = 1,
    skip: int = 0,
    claim_for: timedelta | None = None,
) -> Query[list[NextUrl]]:
    """The URLs `user_id` may annotate next, in selection order: at most `max_urls` after
    skipping `skip`, only from `batch_id` or only `url_id` when given.

    With `claim_for`, each URL returned is leased to the user for that long; the lease exists
    only once the transaction commits.
    """
    params = dict(
        user_id=user_id, batch_id=batch_id, url_id=url_id, max_urls=max_urls, skip=skip, claim_for=claim_for
    )
    return Query(_NEXT_URL, params, _next_urls)


def next_url_for_anonymous_annotation(
    session_id: UUID, *, max_urls: int = 1, skip: int = 0, claim_for: timedelta | None = None
) -> Query[list[NextUrl]]:
    """The URLs anonymous session `session_id` may annotate next, in selection order.

    With `claim_for`, each URL returned is leased to the session; the lease exists only once
    the transaction commits.
    """
    params = dict(session_id=session_id, max_urls=max_urls, skip=skip, claim_for=claim_for)
    return Query(_NEXT_URL_ANON, params, _next_urls)


def next_annotation(
    user_id: int,
    *,
    batch_id: int | None = None,
    url_id: int | None = None,
    skip: int = 0,
    claim_for: timedelta | None = None,
) -> Query[NextAnnotation]:
    """The whole response body for `user_id`'s next URL (`next_annotation` is None when
    nothing is left); `batch_info` is filled when `batch_id` is given.

    With `claim_for`, the URL is leased to the user; the lease exists only once the
    transaction commits.
    """
    params = dict(user_id=user_id, batch_id=batch_id, url_id=url_id, skip=skip, claim_for=claim_for)
    return Query(_NEXT, params, lambda rows: NextAnnotation.model_validate_json(value(rows)))


def next_anonymous_annotation(
    session_id: UUID, *, skip: int = 0, claim_for: timedelta | None = None
) -> Query[AnonymousNextAnnotation]:
    """The whole response body for anonymous session `session_id`'s next URL.

    With `claim_for`, the URL is leased to the session; the lease exists only once the
    transaction commits.
    """
    params = dict(session_id=session_id, skip=skip, claim_for=claim_for)
    return Query(_NEXT_ANON, params, lambda rows: AnonymousNextAnnotation.model_validate_json(value(rows)))


def annotation_for_url(url_id: int, *, batch_id: int | None = None) -> Query[Annotation | None]:
    """What `next_annotation` would show for `url_id`, without eligibility rules (review
    screens); None when there is no such URL."""

    def read(rows: list[Row]) -> Annotation | None:
        body = value(rows)
        return None if body is None else Annotation.model_validate_json(body)

    return Query(_FOR_URL, dict(url_id=url_id, batch_id=batch_id), read)


def release_claim(url_id: int, *, user_id: int | None = None, session_id: UUID | None = None) -> Query[bool]:
    """Ends the caller's own lease on `url_id` early (give exactly one of `user_id` and
    `session_id`); True when a running lease was ended. Commit for others to see it."""
    return Query(_RELEASE, dict(url_id=url_id, user_id=user_id, session_id=session_id), value)


def refresh(*, concurrently: bool = True) -> Query[list[Row]]:
    """Refreshes the materialized views, folds pending writes into the queue and ends expired
    leases; one dict per step (`step`, `seconds`, `rows`, ...). For the extension's owner or a
    role granted EXECUTE."""
    return Query(_REFRESH, dict(concurrently=concurrently), _rows)


def verify() -> Query[list[Row]]:
    """Differences between the queue and a fresh computation (`url_id`, `problem`); empty
    when healthy."""
    return Query(_VERIFY, {}, _rows)


def reconcile() -> Query[int]:
    """Makes the queue equal to a fresh computation; the number of rows corrected."""
    return Query(_RECONCILE, {}, value)


def status() -> Query[dict[str, Any]]:
    """Selection mode, attachment, queue health, last refresh and timing scope."""
    return Query(_STATUS, {}, _json)


def timing_stats() -> Query[list[Row]]:
    """Per-phase statistics of `next_annotation` calls (`phase`, `calls`, `p50_ms`, ...)."""
    return Query(_TIMING_STATS, {}, _rows)


def last_timings() -> Query[list[Row]]:
    """Phases of this session's last `next_annotation` call (`phase`, `seconds`)."""
    return Query(_LAST_TIMINGS, {}, _rows)


def timing_histogram() -> Query[list[Row]]:
    """Per-phase call counts by duration bucket (`phase`, `le_seconds`, `calls`)."""
    return Query(_TIMING_HISTOGRAM, {}, _rows)


def call_stats() -> Query[Row]:
    """Counters of selection calls and leases (`calls`, `empty_answers`, `lease_calls`, ...)."""
    return Query(_CALL_STATS, {}, lambda rows: rows[0])


def reset_timings() -> Query[None]:
    """Clears the timing statistics."""
    return Query(_RESET_TIMINGS, {}, _nothing)


def attach() -> Query[list[Row]]:
    """Attaches annotate_ext to the app's tables (after a migration or an install before the
    tables existed); one dict per step."""
    return Query(_ATTACH, {}, _rows)


def detach() -> Query[bool]:
    """Removes annotate_ext's objects from the app's tables before a migration; `attach()`
    undoes it. Until then, selection raises `NotAttached`."""
    return Query(_DETACH, {}, value)


def schedule_refresh(schedule: str = "17 3 * * *") -> Query[int]:
    """Registers the pg_cron job that runs `annotate.refresh()` on `schedule`; its job id.
    Raises `FeatureNotSupported` when pg_cron is not installed in this database."""
    return Query(_SCHEDULE, dict(schedule=schedule), value)


def unschedule_refresh() -> Query[bool]:
    """Removes the pg_cron job of `schedule_refresh()`; True when there was one."""
    return Query(_UNSCHEDULE, {}, value)
