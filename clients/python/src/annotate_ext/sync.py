"""annotate_ext's SQL functions on a blocking connection: a psycopg `Connection`, or a
SQLAlchemy `Session` or `Connection` (any dialect). Leases: see `annotate_ext`."""

from . import _queries as q
from ._run import blocking

next_url_for_annotation = blocking(q.next_url_for_annotation)
next_url_for_anonymous_annotation = blocking(q.next_url_for_anonymous_annotation)
next_annotation = blocking(q.next_annotation)
next_anonymous_annotation = blocking(q.next_anonymous_annotation)
annotation_for_url = blocking(q.annotation_for_url)
release_claim = blocking(q.release_claim)
refresh = blocking(q.refresh)
verify = blocking(q.verify)
reconcile = blocking(q.reconcile)
status = blocking(q.status)
timing_stats = blocking(q.timing_stats)
last_timings = blocking(q.last_timings)
timing_histogram = blocking(q.timing_histogram)
call_stats = blocking(q.call_stats)
reset_timings = blocking(q.reset_timings)
attach = blocking(q.attach)
detach = blocking(q.detach)
schedule_refresh = blocking(q.schedule_refresh)
unschedule_refresh = blocking(q.unschedule_refresh)
