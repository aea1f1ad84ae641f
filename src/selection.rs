//! "The next URL for this caller": eligibility and order (SPEC 3).
//!
//! In `live` mode (the default) selection walks the write-maintained `annotate.queue`
//! (`sql/queue.sql`) in index order: the caller's followed batches first, then everything else,
//! skipping the URLs the caller already annotated. Each walk is O(log N) plus the URLs it
//! skips; skipping costs a few index probes per URL, or for prolific annotators one hash of
//! their done set per query. In `snapshot` mode the counts come from the materialized
//! views, as the upstream change did, through `sql/queries/select_snapshot.sql`.

use pgrx::datum::{DatumWithOid, Interval, Uuid};
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiHeapTupleData, SpiResult};

use crate::claims;
use crate::guc::{self, Selection};
use crate::payload::compose_url;
use crate::plans;

const SELECT_SNAPSHOT: &str = include_str!("../sql/queries/select_snapshot.sql");

/// The live-mode statements.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Walk {
    FollowedBatches,
    DoneCount,
    Rest,
    Followed,
    Batch,
    Batches,
    Url,
}

/// How a walk leaves out the URLs the caller already annotated: a few index probes per
/// candidate (cheap while the caller has done little), or one hash of everything the caller
/// did, built once per query (for prolific annotators, whose done URLs crowd the head).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Exclusion {
    Probe,
    Hash,
}

/// A walk first probes at most this many URLs beyond the ones it needs; if the caller's own
/// URLs fill that window, it starts over with the hash.
const PROBE_WINDOW: i64 = 64;

/// For the per-batch merge (which cannot bound its probes): above this many annotations,
/// hash the caller's done set rather than probe.
const HASH_ABOVE: i64 = 64;

/// Up to this many followed batches, walk each one; beyond, one filtered walk of the global
/// order finds the followed URLs faster.
const PER_BATCH_WALK_MAX: usize = 4;

const DONE: &str = include_str!("../sql/queries/queue_done.sql");

/// A query's `/*not_done*/` placeholder as per-row probes of the caller's annotations, and its
/// `/*done*/` placeholder as the list of them.
pub fn expand_done(text: &str) -> String {
    Walk::expand(text, Exclusion::Probe)
}

impl Walk {
    fn text(self, exclusion: Exclusion) -> String {
        Walk::expand(
            match self {
                Walk::FollowedBatches => include_str!("../sql/queries/queue_followed_batches.sql"),
                Walk::DoneCount => include_str!("../sql/queries/queue_done_count.sql"),
                Walk::Rest => include_str!("../sql/queries/queue_rest.sql"),
                Walk::Followed => include_str!("../sql/queries/queue_followed.sql"),
                Walk::Batch => include_str!("../sql/queries/queue_batch.sql"),
                Walk::Batches => include_str!("../sql/queries/queue_batches.sql"),
                Walk::Url => include_str!("../sql/queries/queue_url.sql"),
            },
            exclusion,
        )
    }

    fn expand(text: &str, exclusion: Exclusion) -> String {
        let done = strip_comments(DONE);
        let not_done = match exclusion {
            // A scalar subquery stays a per-row probe; NOT EXISTS would be planned as a hash
            // anti join over the whole done set.
            Exclusion::Probe => {
                format!("(SELECT 1 FROM ({done}) d(url_id) WHERE d.url_id = q.url_id LIMIT 1) IS NULL")
            }
            Exclusion::Hash => format!("q.url_id NOT IN ({done})"),
        };
        strip_comments(text).replace("/*not_done*/", &not_done).replace("/*done*/", &done)
    }

    fn arg_types(self) -> Vec<PgOid> {
        use pgrx::pg_sys::BuiltinOid::{INT4ARRAYOID, INT4OID, INT8OID, UUIDOID};
        let oid = PgOid::BuiltIn;
        match self {
            Walk::FollowedBatches => vec![oid(INT4OID)],
            Walk::DoneCount => vec![oid(INT4OID), oid(INT8OID)],
            Walk::Url => vec![oid(INT4OID), oid(UUIDOID), oid(INT4OID)],
            _ => vec![oid(INT4OID), oid(UUIDOID), oid(INT4ARRAYOID), oid(INT8OID), oid(INT8OID)],
        }
    }
}

/// Drops `--` comment lines, so that a query can be pasted inside another.
fn strip_comments(sql: &str) -> String {
    sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n")
}

fn run<T>(
    client: &SpiClient<'_>,
    walk: Walk,
    exclusion: Exclusion,
    args: &[DatumWithOid<'_>],
    each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
) -> SpiResult<Vec<T>> {
    let key = match (walk, exclusion) {
        (Walk::FollowedBatches, _) => "queue_followed_batches",
        (Walk::DoneCount, _) => "queue_done_count",
        (Walk::Url, _) => "queue_url",
        (Walk::Rest, Exclusion::Probe) => "queue_rest/probe",
        (Walk::Rest, Exclusion::Hash) => "queue_rest/hash",
        (Walk::Followed, Exclusion::Probe) => "queue_followed/probe",
        (Walk::Followed, Exclusion::Hash) => "queue_followed/hash",
        (Walk::Batch, Exclusion::Probe) => "queue_batch/probe",
        (Walk::Batch, Exclusion::Hash) => "queue_batch/hash",
        (Walk::Batches, Exclusion::Probe) => "queue_batches/probe",
        (Walk::Batches, Exclusion::Hash) => "queue_batches/hash",
    };
    plans::query(client, key, || walk.text(exclusion), &walk.arg_types(), args, each)
}

/// Who is asking, with the filters each kind of caller may use.
#[derive(Clone, Copy)]
pub enum Caller {
    User { user_id: i32, batch_id: Option<i32>, url_id: Option<i32> },
    Anonymous { session_id: Uuid },
}

/// One eligible URL with the keys it was ordered by.
#[derive(Clone)]
pub struct Candidate {
    pub url_id: i32,
    pub url: String,
    pub followed_by_user: bool,
    pub followed_by_any_user: bool,
    pub is_manual: bool,
    pub user_url_type_count: i64,
    pub anon_url_type_count: i64,
    pub auto_url_type_count: i64,
}

/// Raises `ERROR:  annotate.<function>: <message>` with an SQLSTATE a client can act on.
pub fn bad_argument(function: &str, message: impl AsRef<str>) -> ! {
    ereport!(
        ERROR,
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("annotate.{function}: {}", message.as_ref())
    );
}

pub fn required<T>(function: &str, argument: &str, value: Option<T>) -> T {
    match value {
        Some(v) => v,
        None => bad_argument(function, format!("{argument} must not be NULL")),
    }
}

pub fn check_paging(function: &str, max_urls: Option<i32>, skip: Option<i32>) -> (i64, i64) {
    let max_urls = required(function, "max_urls", max_urls);
    let skip = required(function, "skip", skip);
    if max_urls < 1 {
        bad_argument(function, format!("max_urls must be >= 1 (got {max_urls})"));
    }
    if skip < 0 {
        bad_argument(function, format!("skip must be >= 0 (got {skip})"));
    }
    (i64::from(max_urls), i64::from(skip))
}

/// The eligible URLs for `caller`, in order, after `skip`, at most `max_urls`.
pub fn candidates(caller: Caller, max_urls: i64, skip: i64) -> Vec<Candidate> {
    let result = match guc::SELECTION.get() {
        // The walks must be planned as ordered index scans that stop early: a generic plan
        // costs a LIMIT parameter as 10% of the table and could prefer to read and sort it all.
        Selection::Live => plans::with_settings(&[(c"enable_sort", c"off")], || {
            Spi::connect(|client| live_candidates(client, caller, max_urls, skip))
        }),
        Selection::Snapshot => snapshot_candidates(caller, max_urls, skip),
    };
    result.unwrap_or_else(|e| error!("annotate: selection query failed: {e}"))
}

/// A candidate row, laid out alike by every selection query: url_id, scheme, url,
/// trailing_slash, followed_any, is_manual, the three counts (then, per query, one more
/// column). `followed_by_user` is the caller's, known to the walk that produced the row.
pub fn candidate_row(row: SpiHeapTupleData<'_>, followed_by_user: bool) -> SpiResult<Candidate> {
    let scheme: Option<String> = row.get(2)?;
    let url: String = row.get(3)?.unwrap_or_default();
    Ok(Candidate {
        url_id: row.get(1)?.unwrap_or_default(),
        url: compose_url(scheme.as_deref(), &url, row.get(4)?.unwrap_or(false)),
        followed_by_user,
        followed_by_any_user: row.get(5)?.unwrap_or(false),
        is_manual: row.get(6)?.unwrap_or(false),
        user_url_type_count: row.get(7)?.unwrap_or(0),
        anon_url_type_count: row.get(8)?.unwrap_or(0),
        auto_url_type_count: row.get(9)?.unwrap_or(0),
    })
}

/// The batches linked to a location the user follows, sorted (none for anonymous callers).
pub fn followed_batches(client: &SpiClient<'_>, user_id: Option<i32>) -> SpiResult<Vec<i32>> {
    let Some(u) = user_id else {
        return Ok(Vec::new());
    };
    Ok(run(client, Walk::FollowedBatches, Exclusion::Probe, &[u.into()], |r| {
        Ok(r.get::<Vec<i32>>(1)?.unwrap_or_default())
    })?
    .pop()
    .unwrap_or_default())
}

/// The selection order (SPEC 3.2) as a key to sort by descending, url id aside.
pub fn order_key(c: &Candidate) -> (bool, bool, bool, i64, i64, i64) {
    (
        c.followed_by_user,
        c.followed_by_any_user,
        c.is_manual,
        c.user_url_type_count,
        c.anon_url_type_count,
        c.auto_url_type_count,
    )
}

fn live_candidates(
    client: &SpiClient<'_>,
    caller: Caller,
    max_urls: i64,
    skip: i64,
) -> SpiResult<Vec<Candidate>> {
    let want = skip.saturating_add(max_urls);
    let (user_id, session_id, batch_id, url_id) = match caller {
        Caller::User { user_id, batch_id, url_id } => (Some(user_id), None, batch_id, url_id),
        Caller::Anonymous { session_id } => (None, Some(session_id), None, None),
    };
    let followed = followed_batches(client, user_id)?;
    let follows = |batch: Option<i32>| batch.is_some_and(|b| followed.binary_search(&b).is_ok());

    // One ordered stream: probe a bounded window first, fall back to the hash.
    let stream = |walk: Walk, batches: &[i32], n: i64, followed_by_user: bool| -> SpiResult<Vec<Candidate>> {
        let args = |bound: Option<i64>| -> [DatumWithOid<'static>; 5] {
            [user_id.into(), session_id.into(), batches.to_vec().into(), n.into(), bound.into()]
        };
        let found = run(client, walk, Exclusion::Probe, &args(Some(n + PROBE_WINDOW)), |r| {
            candidate_row(r, followed_by_user)
        })?;
        if found.len() as i64 >= n {
            return Ok(found);
        }
        run(client, walk, Exclusion::Hash, &args(None), |r| candidate_row(r, followed_by_user))
    };

    let mut out = if let Some(url_id) = url_id {
        run(client, Walk::Url, Exclusion::Probe, &[user_id.into(), session_id.into(), url_id.into()], |r| {
            let batch: Option<i32> = r.get(10)?;
            Ok((batch, candidate_row(r, follows(batch))?))
        })?
        .into_iter()
        .filter(|(batch, _)| batch_id.is_none() || *batch == batch_id)
        .map(|(_, c)| c)
        .collect()
    } else if let Some(batch) = batch_id {
        stream(Walk::Batch, &[batch], want, follows(Some(batch)))?
    } else {
        let mut head = if followed.is_empty() {
            Vec::new()
        } else if followed.len() <= PER_BATCH_WALK_MAX {
            let exclusion = match user_id {
                Some(u) => {
                    let done = run(
                        client,
                        Walk::DoneCount,
                        Exclusion::Probe,
                        &[u.into(), (HASH_ABOVE + 1).into()],
                        |r| Ok(r.get::<i64>(1)?.unwrap_or(0)),
                    )?;
                    if done.first().copied().unwrap_or(0) > HASH_ABOVE {
                        Exclusion::Hash
                    } else {
                        Exclusion::Probe
                    }
                }
                None => Exclusion::Probe,
            };
            let args: [DatumWithOid; 5] =
                [user_id.into(), session_id.into(), followed.clone().into(), want.into(), None::<i64>.into()];
            run(client, Walk::Batches, exclusion, &args, |r| candidate_row(r, true))?
        } else {
            stream(Walk::Followed, &followed, want, true)?
        };
        let rest = want - head.len() as i64;
        if rest > 0 {
            head.extend(stream(Walk::Rest, &followed, rest, false)?);
        }
        head
    };
    out.drain(..(skip as usize).min(out.len()));
    Ok(out)
}

fn snapshot_candidates(caller: Caller, max_urls: i64, skip: i64) -> SpiResult<Vec<Candidate>> {
    let (user_id, session_id, batch_id, url_id) = match caller {
        Caller::User { user_id, batch_id, url_id } => (Some(user_id), None, batch_id, url_id),
        Caller::Anonymous { session_id } => (None, Some(session_id), None, None),
    };
    let args: [DatumWithOid; 6] =
        [user_id.into(), session_id.into(), batch_id.into(), url_id.into(), max_urls.into(), skip.into()];
    use pgrx::pg_sys::BuiltinOid::{INT4OID, INT8OID, UUIDOID};
    let types = [INT4OID, UUIDOID, INT4OID, INT4OID, INT8OID, INT8OID].map(PgOid::BuiltIn);
    Spi::connect(|client| {
        plans::query(
            client,
            "select_snapshot",
            || SELECT_SNAPSHOT.to_string(),
            &types,
            &args,
            |row| {
                let followed_by_user = row.get(10)?.unwrap_or(false);
                candidate_row(row, followed_by_user)
            },
        )
    })
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
    let (max_urls, skip) = check_paging(F, max_urls, skip);
    rows(claims::serve(F, Caller::User { user_id, batch_id, url_id }, max_urls, skip, claim_for))
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
    let (max_urls, skip) = check_paging(F, max_urls, skip);
    rows(claims::serve(F, Caller::Anonymous { session_id }, max_urls, skip, claim_for))
}
