//! The SQL interface (SPEC 5): every function of schema annotate written in Rust, its argument
//! checks, the rights it checks before it reads or writes anything, and the planner settings it
//! runs under (src/guc.rs). Each call goes down from here: to leases or selection, then to the
//! statements (src/statements.rs).

use pgrx::datum::{Interval, Uuid};
use pgrx::prelude::*;
use pgrx::JsonB;

use crate::access::{self, Privilege};
use crate::errors::bad_argument;
use crate::guc;
use crate::caller::Caller;
use crate::selection::Candidate;
use crate::{leases, ops, response, selection, timing};

fn required<T>(function: &str, argument: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| bad_argument(function, format!("{argument} must not be NULL")))
}

/// A lease length: any positive interval up to annotate.max_lease.
fn lease_length(function: &str, claim_for: Option<Interval>) -> Option<Interval> {
    let lease = claim_for?;
    // Months count 30 days, as PostgreSQL compares intervals, for the sign. The length checked
    // is the lease's: from now() to now() plus the interval, where a month is a calendar month
    // (an interval of months and days that nearly cancel out, '3000000 mons -89999999 days',
    // about a day at 30 days a month, leased for some 3,600 years). It is computed only for an
    // interval whose parts are within a thousand years together; one beyond is too long.
    let day = 86_400_000_000i128;
    let micros = i128::from(lease.months()) * 30 * day + i128::from(lease.days()) * day + i128::from(lease.micros());
    if micros <= 0 {
        bad_argument(function, "claim_for must be a positive interval, such as '10 minutes'");
    }
    let parts = i128::from(lease.months()).abs() * 31 * day
        + i128::from(lease.days()).abs() * day
        + i128::from(lease.micros()).abs();
    let max = i128::from(guc::MAX_LEASE.get()) * 1_000_000;
    let length = if parts > 1000 * 366 * day { i128::MAX } else { calendar_length(lease) };
    if length <= 0 {
        bad_argument(function, "claim_for must be a positive interval, such as '10 minutes'");
    }
    if length > max {
        bad_argument(
            function,
            format!("claim_for must be at most annotate.max_lease ({} seconds)", guc::MAX_LEASE.get()),
        );
    }
    Some(lease)
}

/// How long `lease` runs from now(), in microseconds: now() + lease - now(), in calendar terms,
/// in UTC: a day is 24 hours, also across a change of the session's time zone to or from
/// daylight saving time ('1 day' was 25 hours on such a day, over a max_lease of a day).
fn calendar_length(lease: Interval) -> i128 {
    // SAFETY: timestamp + interval as PostgreSQL's operator computes it (no time zone), on the
    // transaction's start and an interval whose parts are within a thousand years (no overflow).
    unsafe {
        let now = pg_sys::GetCurrentTransactionStartTimestamp();
        let end = pg_sys::OidFunctionCall2Coll(
            pg_sys::Oid::from(pg_sys::F_TIMESTAMP_PL_INTERVAL),
            pg_sys::InvalidOid,
            pg_sys::Datum::from(now),
            lease.into_datum().expect("an interval datum"),
        );
        i128::from(end.value() as i64) - i128::from(now)
    }
}

/// max_urls and skip, checked against their bounds (lower for a lease).
fn paging(function: &str, max_urls: Option<i32>, skip: Option<i32>, leasing: bool) -> (i64, i64) {
    let max_urls = required(function, "max_urls", max_urls);
    let skip = required(function, "skip", skip);
    let (bound, name) = if leasing {
        (guc::MAX_CLAIM_URLS.get(), "annotate.max_claim_urls")
    } else {
        (guc::MAX_URLS.get(), "annotate.max_urls")
    };
    if max_urls < 1 {
        bad_argument(function, format!("max_urls must be >= 1 (got {max_urls})"));
    }
    if max_urls > bound {
        bad_argument(function, format!("max_urls must be at most {name} ({bound}; got {max_urls})"));
    }
    if skip < 0 {
        bad_argument(function, format!("skip must be >= 0 (got {skip})"));
    }
    if skip > guc::MAX_SKIP.get() {
        bad_argument(
            function,
            format!("skip must be at most annotate.max_skip ({}; got {skip})", guc::MAX_SKIP.get()),
        );
    }
    (i64::from(max_urls), i64::from(skip))
}

/// leases::claim(), whose serialization failures under REPEATABLE READ or SERIALIZABLE say what
/// happened and what to do. There a lease fails whenever the row it takes changed after the
/// transaction's snapshot (a racing caller leased it, a fold rewrote it): at 8 clients leasing
/// and releasing, 29% of calls failed under REPEATABLE READ and 68% under SERIALIZABLE, none
/// under READ COMMITTED, where callers pass over each other's rows. The error keeps SQLSTATE
/// 40001, which clients retry on. The subtransaction that catches it is taken only at those
/// levels.
fn claim(
    function: &str,
    caller: &Caller,
    max_urls: i64,
    skip: i64,
    lease: Interval,
) -> (Vec<Candidate>, usize) {
    if !access::transaction_snapshot() {
        return leases::claim(caller, max_urls, skip, lease);
    }
    match crate::errors::in_subtransaction(|| leases::claim(caller, max_urls, skip, lease)) {
        Ok(claimed) => claimed,
        Err(e) if e.code == PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE => crate::errors::raise(
            e.code,
            format!(
                "annotate.{function}: a URL this lease would take changed after this transaction's snapshot \
                 (another caller leased it, or pending writes were folded into it)"
            ),
            Some(&e.message),
            Some(
                "Lease in READ COMMITTED transactions (SET TRANSACTION ISOLATION LEVEL READ COMMITTED), where \
                 callers pass over each other's rows instead of failing, or retry the transaction.",
            ),
        ),
        Err(e) => e.raise_as(e.message.clone()),
    }
}

/// Selection for `caller`, leased when `lease` is given, after the caller's rights are checked.
fn select(
    function: &str,
    caller: Caller,
    max_urls: i64,
    skip: i64,
    lease: Option<Interval>,
) -> Vec<Candidate> {
    access::require_attached(function);
    access::check_tables(function, Privilege::Select, access::QUEUE_SOURCES);
    match lease {
        None => {
            let found = selection::candidates(&caller, max_urls, skip);
            timing::count_call(found.len(), false, 0);
            found
        }
        Some(lease) => {
            access::require_primary(function, access::Work::Lease);
            let annotations = match caller {
                Caller::User { .. } => access::USER_ANNOTATIONS,
                Caller::Anonymous { .. } => access::ANON_ANNOTATIONS,
            };
            access::check_tables(function, Privilege::Insert, annotations);
            let (leased, conflicts) = claim(function, &caller, max_urls, skip, lease);
            timing::count_call(leased.len(), true, conflicts);
            leased
        }
    }
}

type CandidateRow = (i32, String, bool, bool, bool, i64, i64, i64);

fn rows(list: Vec<Candidate>) -> TableIterator<'static, CandidateRow> {
    TableIterator::new(list.into_iter().map(|c| {
        (
            c.url_id,
            c.url,
            c.followed_by_user,
            c.followed_by_any_user,
            c.is_manual,
            c.user_url_type_count,
            c.anon_url_type_count,
            c.auto_url_type_count,
        )
    }))
}

/// The eligible URLs for a user, in selection order (SPEC 3.1, 3.2).
#[allow(clippy::type_complexity)] // pgrx reads the column names from the signature itself
#[pg_extern]
fn next_url_for_annotation(
    user_id: Option<i32>,
    batch_id: default!(Option<i32>, "NULL"),
    url_id: default!(Option<i32>, "NULL"),
    max_urls: default!(Option<i32>, 1),
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(url_id, i32),
        name!(url, String),
        name!(followed_by_user, bool),
        name!(followed_by_any_user, bool),
        name!(is_manual, bool),
        name!(user_url_type_count, i64),
        name!(anon_url_type_count, i64),
        name!(auto_url_type_count, i64),
    ),
> {
    const F: &str = "next_url_for_annotation";
    let user_id = required(F, "user_id", user_id);
    let lease = lease_length(F, claim_for);
    let (max_urls, skip) = paging(F, max_urls, skip, lease.is_some());
    rows(guc::request_planning(|| {
        select(F, Caller::User { user_id, batch_id, url_id }, max_urls, skip, lease)
    }))
}

/// The eligible URLs for an anonymous session, in selection order (SPEC 3.3).
#[allow(clippy::type_complexity)] // pgrx reads the column names from the signature itself
#[pg_extern]
fn next_url_for_anonymous_annotation(
    session_id: Option<Uuid>,
    max_urls: default!(Option<i32>, 1),
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(url_id, i32),
        name!(url, String),
        name!(followed_by_user, bool),
        name!(followed_by_any_user, bool),
        name!(is_manual, bool),
        name!(user_url_type_count, i64),
        name!(anon_url_type_count, i64),
        name!(auto_url_type_count, i64),
    ),
> {
    const F: &str = "next_url_for_anonymous_annotation";
    let session_id = required(F, "session_id", session_id);
    let lease = lease_length(F, claim_for);
    let (max_urls, skip) = paging(F, max_urls, skip, lease.is_some());
    rows(guc::request_planning(|| select(F, Caller::Anonymous { session_id }, max_urls, skip, lease)))
}

/// The complete response body of `GET /annotate/all` for a user (SPEC 4).
#[pg_extern]
fn next_annotation(
    user_id: Option<i32>,
    batch_id: default!(Option<i32>, "NULL"),
    url_id: default!(Option<i32>, "NULL"),
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> JsonB {
    const F: &str = "next_annotation";
    let user_id = required(F, "user_id", user_id);
    let lease = lease_length(F, claim_for);
    let (_, skip) = paging(F, Some(1), skip, lease.is_some());
    guc::request_planning(|| {
        if batch_id.is_some() {
            access::check_tables(F, Privilege::Select, access::BATCH_SOURCES);
        }
        let caller = Caller::User { user_id, batch_id, url_id };
        response::respond(|| select(F, caller, 1, skip, lease), batch_id, None)
    })
}

/// The complete response body for an anonymous session, with its `session_id` (SPEC 3.3, 4).
#[pg_extern]
fn next_anonymous_annotation(
    session_id: Option<Uuid>,
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> JsonB {
    const F: &str = "next_anonymous_annotation";
    let session_id = required(F, "session_id", session_id);
    let lease = lease_length(F, claim_for);
    let (_, skip) = paging(F, Some(1), skip, lease.is_some());
    let caller = Caller::Anonymous { session_id };
    guc::request_planning(|| {
        response::respond(|| select(F, caller, 1, skip, lease), None, Some(session_id.to_string()))
    })
}

/// The inner `next_annotation` object for one URL, ignoring eligibility (for review screens).
/// NULL when the URL does not exist.
#[pg_extern]
fn annotation_for_url(url_id: Option<i32>, batch_id: default!(Option<i32>, "NULL")) -> Option<JsonB> {
    const F: &str = "annotation_for_url";
    let url_id = required(F, "url_id", url_id);
    guc::request_planning(|| {
        if batch_id.is_some() {
            access::require_attached(F);
            access::check_tables(F, Privilege::Select, access::BATCH_SOURCES);
        } else {
            access::refuse_planner_hazards(F);
        }
        response::for_url(url_id, batch_id)
    })
}

/// Ends the caller's own lease on a URL early: the caller is the user or the anonymous session
/// given (exactly one). True when a running lease held by the caller was ended.
#[pg_extern]
fn release_claim(
    url_id: Option<i32>,
    user_id: default!(Option<i32>, "NULL"),
    session_id: default!(Option<Uuid>, "NULL"),
) -> bool {
    const F: &str = "release_claim";
    let url_id = required(F, "url_id", url_id);
    let annotations = match (user_id, session_id) {
        (Some(_), None) => access::USER_ANNOTATIONS,
        (None, Some(_)) => access::ANON_ANNOTATIONS,
        _ => bad_argument(F, "give exactly one of user_id and session_id: the holder of the lease"),
    };
    guc::request_planning(|| {
        access::require_attached(F);
        access::require_primary(F, access::Work::Lease);
        access::check_tables(F, Privilege::Insert, annotations);
        release(url_id, user_id, session_id)
    })
}

/// leases::release(), whose serialization failure under REPEATABLE READ or SERIALIZABLE says
/// what happened and what to do, as claim()'s does: there the release fails when the URL's
/// queue row changed after the transaction's snapshot (pending writes were folded into it, its
/// lease ran out and was ended). The error keeps SQLSTATE 40001, which clients retry on. The
/// subtransaction that catches it is taken only at those levels.
fn release(url_id: i32, user_id: Option<i32>, session_id: Option<Uuid>) -> bool {
    if !access::transaction_snapshot() {
        return leases::release(url_id, user_id, session_id);
    }
    match crate::errors::in_subtransaction(|| leases::release(url_id, user_id, session_id)) {
        Ok(released) => released,
        Err(e) if e.code == PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE => crate::errors::raise(
            e.code,
            format!(
                "annotate.release_claim: URL {url_id} changed after this transaction's snapshot (pending writes \
                 were folded into it, or its lease was ended)"
            ),
            Some(&e.message),
            Some(
                "Release in a READ COMMITTED transaction (SET TRANSACTION ISOLATION LEVEL READ COMMITTED), or \
                 retry the transaction.",
            ),
        ),
        Err(e) => e.raise_as(e.message.clone()),
    }
}

/// Refreshes the upstream PR's materialized views (CONCURRENTLY by default, so readers are never
/// blocked), folds pending writes into the queue, repairs a damaged attachment and ends leases
/// that ran out. One row per step: seconds, and rows (in the view; folded; repaired; ended).
#[pg_extern]
fn refresh(
    concurrently: default!(bool, true),
) -> TableIterator<'static, (name!(step, String), name!(seconds, f64), name!(rows, i64))> {
    TableIterator::new(ops::refresh(concurrently))
}

/// Selection mode, attachment, queue health, last refresh and timing scope, as one object.
#[pg_extern]
fn status() -> JsonB {
    JsonB(ops::status())
}

/// The phases of this session's last `next_annotation` call, in seconds.
#[pg_extern]
fn last_timings() -> TableIterator<'static, (name!(phase, String), name!(seconds, f64))> {
    TableIterator::new(timing::last())
}

/// Cumulative per-phase statistics (this database's when preloaded, else this session's).
#[allow(clippy::type_complexity)] // pgrx reads the column names from the signature itself
#[pg_extern]
fn timing_stats() -> TableIterator<
    'static,
    (
        name!(phase, String),
        name!(calls, i64),
        name!(total_ms, f64),
        name!(mean_ms, f64),
        name!(min_ms, f64),
        name!(max_ms, f64),
        name!(p50_ms, f64),
        name!(p95_ms, f64),
        name!(p99_ms, f64),
    ),
> {
    TableIterator::new(timing::stats())
}

/// Cumulative counts of calls at or under each bound, per phase, for histograms (Prometheus'
/// `le`, in seconds; the last bound is infinity).
#[pg_extern]
fn timing_histogram(
) -> TableIterator<'static, (name!(phase, String), name!(le_seconds, f64), name!(calls, i64))> {
    TableIterator::new(timing::histogram())
}

/// Counters of selection calls since the statistics were last reset.
#[allow(clippy::type_complexity)] // pgrx reads the column names from the signature itself
#[pg_extern]
fn call_stats() -> TableIterator<
    'static,
    (
        name!(calls, i64),
        name!(empty_answers, i64),
        name!(lease_calls, i64),
        name!(urls_leased, i64),
        name!(lease_conflicts, i64),
        name!(stats_reset, pgrx::datum::TimestampWithTimeZone),
        name!(scope, String),
    ),
> {
    let (c, reset) = timing::counters();
    let n = |v: u64| v as i64;
    TableIterator::once((
        n(c.calls),
        n(c.empty_answers),
        n(c.lease_calls),
        n(c.urls_leased),
        n(c.lease_conflicts),
        reset,
        timing::scope().to_string(),
    ))
}

/// Clears the statistics (and this session's last call).
#[pg_extern]
fn reset_timings() {
    timing::reset();
}

#[pg_schema]
mod annotate_internal {
    use pgrx::prelude::*;

    /// Whether the DDL watch's own DDL is under way in this transaction (src/access.rs).
    #[pg_extern]
    fn in_watch() -> bool {
        crate::access::in_watch()
    }

    /// Marks the DDL watch's own DDL as under way (sql/watch.sql, attach(), detach()); whether
    /// it was already, for watch_end().
    #[pg_extern]
    fn watch_begin() -> bool {
        crate::access::watch_begin()
    }

    /// Ends what watch_begin() began, unless it was under way before (`was`).
    #[pg_extern]
    fn watch_end(was: bool) {
        crate::access::watch_end(was)
    }

    /// Raises, naming `caller` (an annotate function), when one of the app's tables carries code
    /// the planner would run with the extension owner's rights (src/access.rs): verify() and
    /// reconcile() ask before they plan, in the catalogs as they are now, not in the caller's
    /// snapshot (a REPEATABLE READ caller's missed an index made valid after it).
    #[pg_extern]
    fn refuse_planner_hazards(caller: &str) {
        crate::access::refuse_planner_hazards(caller.strip_prefix("annotate.").unwrap_or(caller))
    }

    /// Takes one of the extension's locks (src/locks.rs: 1 attach, 2 fold, 4 refresh) until the
    /// transaction ends, without waiting; whether it was granted.
    #[pg_extern]
    fn try_lock(key: i32, shared: bool) -> bool {
        crate::locks::try_take(lock_key(key), shared, false)
    }

    /// Takes one of the extension's locks until the transaction ends, waiting for it.
    #[pg_extern]
    fn take_lock(key: i32, shared: bool) {
        crate::locks::take(lock_key(key), shared)
    }

    fn lock_key(key: i32) -> crate::locks::Key {
        crate::locks::Key::from_i32(key).unwrap_or_else(|| {
            crate::errors::raise(
                PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                format!("annotate_internal: no lock has the key {key}"),
                None,
                None,
            )
        })
    }

    /// Starts this database's folder if it is not running (sql/attach.sql calls it).
    #[pg_extern]
    fn wake_folder() {
        crate::fold::wake();
    }

    /// Wakes or starts this database's folder as the transaction commits (sql/attach.sql,
    /// build_queue(): a rebuild that owes a reconcile()).
    #[pg_extern]
    fn wake_folder_at_commit() {
        crate::fold::wake_at_this_commit();
    }

    /// The planner settings every call of the request path runs under, as `name=value`
    /// (src/guc.rs REQUEST_PLANNING; tests/scripts/plans.sh checks the plans under them).
    #[pg_extern]
    fn request_planning() -> Vec<String> {
        crate::guc::REQUEST_PLANNING
            .iter()
            .map(|(name, value)| format!("{}={}", name.to_string_lossy(), value.to_string_lossy()))
            .collect()
    }

    /// Folds the pending writes now, in this transaction, waiting (at most 5 s) for a fold the
    /// folder is running; the URLs whose writes it folded (for tests).
    #[pg_extern]
    fn fold_now() -> i64 {
        let max = std::time::Duration::from_secs(5);
        crate::statements::with_spi("folding", |c| Ok(crate::fold::fold_waiting(c, max)?.urls))
    }
}
