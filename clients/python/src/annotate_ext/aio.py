"""annotate_ext's SQL functions as coroutines on an async connection: a psycopg
`AsyncConnection`, or a SQLAlchemy `AsyncSession` or `AsyncConnection` (asyncpg or psycopg
dialect). Leases: see `annotate_ext`."""

from . import _queries as q
from ._run import asynchronous

next_url_for_annotation = asynchronous(q.next_url_for_annotation)
next_url_for_anonymous_annotation = asynchronous(q.next_url_for_anonymous_annotation)
next_annotation = asynchronous(q.next_annotation)
next_anonymous_annotation = asynchronous(q.next_anonymous_annotation)
annotation_for_url = asynchronous(q.annotation_for_url)
release_claim = asynchronous(q.release_claim)
refresh = asynchronous(q.refresh)
verify = asynchronous(q.verify)
reconcile = asynchronous(q.reconcile)
status = asynchronous(q.status)
timing_stats = asynchronous(q.timing_stats)
last_timings = asynchronous(q.last_timings)
timing_histogram = asynchronous(q.timing_histogram)
call_stats = asynchronous(q.call_stats)
reset_timings = asynchronous(q.reset_timings)
attach = asynchronous(q.attach)
detach = asynchronous(q.detach)
schedule_refresh = asynchronous(q.schedule_refresh)
unschedule_refresh = asynchronous(q.unschedule_refresh)
