//! "The next URL for this caller": eligibility and order (SPEC 3). The query itself is
//! `sql/queries/select_candidates.sql`; this module checks arguments, picks the count source
//! from `annotate.selection`, and exposes the set-returning SQL functions.

use pgrx::datum::{DatumWithOid, Interval, Uuid};
use pgrx::prelude::*;

use crate::guc::{self, Selection};
use crate::payload::compose_url;

const SELECT_CANDIDATES: &str = include_str!("../sql/queries/select_candidates.sql");

/// Who is asking, with the filters each kind of caller may use.
#[derive(Clone, Copy)]
pub enum Caller {
    User { user_id: i32, batch_id: Option<i32>, url_id: Option<i32> },
    Anonymous { session_id: Uuid },
}

/// One eligible URL with the keys it was ordered by.
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

/// Claims arrive with a later change; until then a lease request is refused, not ignored.
pub fn check_claim(function: &str, claim_for: Option<Interval>) {
    if claim_for.is_some() {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("annotate.{function}: claim_for is not supported yet; call without it")
        );
    }
}

/// The eligible URLs for `caller`, in order, after `skip`, at most `max_urls`.
pub fn candidates(caller: Caller, max_urls: i64, skip: i64) -> Vec<Candidate> {
    let (user_id, session_id, batch_id, url_id) = match caller {
        Caller::User { user_id, batch_id, url_id } => (Some(user_id), None, batch_id, url_id),
        Caller::Anonymous { session_id } => (None, Some(session_id), None, None),
    };
    let snapshot = guc::SELECTION.get() == Selection::Snapshot;
    let args: [DatumWithOid; 7] = [
        user_id.into(),
        session_id.into(),
        batch_id.into(),
        url_id.into(),
        snapshot.into(),
        max_urls.into(),
        skip.into(),
    ];
    Spi::connect(|client| {
        let rows = client.select(SELECT_CANDIDATES, None, &args)?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let scheme: Option<String> = row.get(2)?;
            let url: String = row.get(3)?.unwrap_or_default();
            let trailing_slash: bool = row.get(4)?.unwrap_or(false);
            out.push(Candidate {
                url_id: row.get(1)?.unwrap_or_default(),
                url: compose_url(scheme.as_deref(), &url, trailing_slash),
                followed_by_user: row.get(5)?.unwrap_or(false),
                followed_by_any_user: row.get(6)?.unwrap_or(false),
                is_manual: row.get(7)?.unwrap_or(false),
                user_url_type_count: row.get(8)?.unwrap_or(0),
                anon_url_type_count: row.get(9)?.unwrap_or(0),
                auto_url_type_count: row.get(10)?.unwrap_or(0),
            });
        }
        Ok::<_, pgrx::spi::Error>(out)
    })
    .unwrap_or_else(|e| error!("annotate: selection query failed: {e}"))
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
    check_claim(F, claim_for);
    rows(candidates(Caller::User { user_id, batch_id, url_id }, max_urls, skip))
}

/// The eligible URLs for an anonymous session, in selection order (SPEC 3.3).
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
    check_claim(F, claim_for);
    rows(candidates(Caller::Anonymous { session_id }, max_urls, skip))
}
