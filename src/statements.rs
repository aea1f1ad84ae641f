//! Every statement the extension runs from Rust, by name: the whole text of one file under
//! `sql/queries/`, prepared once per backend and kept, so that a call plans nothing.
//! PostgreSQL's plan cache re-plans a kept statement by itself after a schema change, under the
//! settings pinned on the calling function (sql/finalize.sql).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::BuiltinOid::{BOOLOID, INT4ARRAYOID, INT4OID, INT8OID, INTERVALOID, TEXTOID, UUIDOID};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiHeapTupleData, SpiResult};

thread_local! {
    /// How many of the extension's own statements are running in this backend (nested ones
    /// included).
    static OURS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Marks one of the extension's own statements as running, until dropped.
struct Ours(());

fn ours() -> Ours {
    OURS.with(|o| o.set(o.get() + 1));
    Ours(())
}

impl Drop for Ours {
    fn drop(&mut self) {
        OURS.with(|o| o.set(o.get().saturating_sub(1)));
    }
}

/// Whether one of the extension's own statements is running in this backend: the executor
/// start hook (src/head.rs) and the queue's statement trigger (src/triggers.rs) tell the
/// extension's writes to the queue from anyone else's.
pub fn ours_running() -> bool {
    OURS.with(|o| o.get()) > 0
}

/// A statement: its name (the file under sql/queries/), text, argument types, and whether it
/// writes (a writing statement takes a new snapshot; a reading one sees the caller's).
pub struct Statement {
    pub name: &'static str,
    pub text: &'static str,
    pub args: &'static [pg_sys::BuiltinOid],
    pub writes: bool,
}

macro_rules! statement {
    ($ident:ident, $file:literal, [$($arg:expr),*], $writes:expr) => {
        pub const $ident: Statement = Statement {
            name: $file,
            text: include_str!(concat!("../sql/queries/", $file, ".sql")),
            args: &[$($arg),*],
            writes: $writes,
        };
    };
}

/// The twin of statement `$user` for an anonymous session: file `$file`, the same arguments.
macro_rules! anon_twin {
    ($ident:ident, $user:ident, $file:literal) => {
        pub const $ident: Statement = Statement {
            name: $file,
            text: include_str!(concat!("../sql/queries/", $file, ".sql")),
            args: $user.args,
            writes: $user.writes,
        };
    };
}

// The request path (src/selection.rs, src/leases.rs).
statement!(STATE, "state", [], false);
statement!(CONTEXT_START, "context_start", [INT4OID], false);
statement!(CURRENT_SNAPSHOT, "current_snapshot", [], false);
statement!(CONTEXT, "context", [], false);
statement!(CONTEXT_BATCHES, "context_batches", [], false);
statement!(PENDING_DETAIL, "pending_detail", [INT4OID, UUIDOID, INT4ARRAYOID], false);
statement!(WALK_ORDER, "walk_order", [INT4OID, UUIDOID, INT4ARRAYOID, INT4ARRAYOID, INT8OID, BOOLOID], false);
statement!(
    WALK_RESUME,
    "walk_resume",
    [INT4OID, UUIDOID, INT4ARRAYOID, INT8OID, BOOLOID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID, TEXTOID, INT4ARRAYOID],
    false
);
statement!(
    WALK_RESUME_MORE,
    "walk_resume_more",
    [INT4OID, UUIDOID, INT4ARRAYOID, INT8OID, BOOLOID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID, TEXTOID, INT4ARRAYOID],
    false
);
statement!(
    WALK_BATCH_RESUME,
    "walk_batch_resume",
    [INT4OID, UUIDOID, INT4ARRAYOID, INT8OID, INT4OID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID, TEXTOID],
    false
);
statement!(
    WALK_BATCH_RESUME_MORE,
    "walk_batch_resume_more",
    [INT4OID, UUIDOID, INT4ARRAYOID, INT8OID, INT4OID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID, TEXTOID],
    false
);
statement!(
    WALK_BATCHES,
    "walk_batches",
    [INT4OID, UUIDOID, INT4ARRAYOID, INT4ARRAYOID, INT8OID, BOOLOID],
    false
);
statement!(WALK_IN, "walk_in", [INT4OID, UUIDOID, INT4ARRAYOID, INT4ARRAYOID, INT8OID, BOOLOID], false);
statement!(WALK_URL, "walk_url", [INT4OID, UUIDOID, INT4OID], false);
statement!(OWN_LEASES, "own_leases", [INT4OID, UUIDOID], false);
statement!(LEASE_CHECK, "lease_check", [INT4OID, UUIDOID], false);
statement!(LEASE_EXPIRE, "lease_expire", [], true);
statement!(LEASE, "lease", [INT4OID, UUIDOID, INT4ARRAYOID, INTERVALOID, INT8OID], true);
statement!(
    WALK_LEASE,
    "walk_lease",
    [INT4OID, UUIDOID, INTERVALOID, INT8OID, BOOLOID, BOOLOID, INT4OID, INT4OID, INT4OID, INT4OID],
    true
);
statement!(LEASE_UNDO, "lease_undo", [INT4ARRAYOID], true);
// The walks for an anonymous session: each probes the caller's annotations, and a plan sets up
// every probe it holds on every execution, run or not; each kind's statement holds only its
// own kind's four (sql/helpers.sql: is_done_user, is_done_session).
anon_twin!(WALK_ORDER_ANON, WALK_ORDER, "walk_order_anon");
anon_twin!(WALK_RESUME_ANON, WALK_RESUME, "walk_resume_anon");
anon_twin!(WALK_RESUME_MORE_ANON, WALK_RESUME_MORE, "walk_resume_more_anon");
anon_twin!(WALK_BATCH_RESUME_ANON, WALK_BATCH_RESUME, "walk_batch_resume_anon");
anon_twin!(WALK_BATCH_RESUME_MORE_ANON, WALK_BATCH_RESUME_MORE, "walk_batch_resume_more_anon");
anon_twin!(WALK_BATCHES_ANON, WALK_BATCHES, "walk_batches_anon");
anon_twin!(WALK_IN_ANON, WALK_IN, "walk_in_anon");
anon_twin!(WALK_LEASE_ANON, WALK_LEASE, "walk_lease_anon");

/// Each statement written for a user, with its twin for an anonymous session.
pub const TWINS: &[(&Statement, &Statement)] = &[
    (&WALK_ORDER, &WALK_ORDER_ANON),
    (&WALK_RESUME, &WALK_RESUME_ANON),
    (&WALK_RESUME_MORE, &WALK_RESUME_MORE_ANON),
    (&WALK_BATCH_RESUME, &WALK_BATCH_RESUME_ANON),
    (&WALK_BATCH_RESUME_MORE, &WALK_BATCH_RESUME_MORE_ANON),
    (&WALK_BATCHES, &WALK_BATCHES_ANON),
    (&WALK_IN, &WALK_IN_ANON),
    (&WALK_LEASE, &WALK_LEASE_ANON),
];

/// `stmt` as the caller's kind runs it: its twin for an anonymous session (`session`), if it
/// has one.
pub fn for_caller(stmt: &Statement, session: bool) -> &Statement {
    if !session {
        return stmt;
    }
    TWINS.iter().find(|(user, _)| user.name == stmt.name).map_or(stmt, |(_, anon)| anon)
}
statement!(RELEASE, "release", [INT4OID, INT4OID, UUIDOID], true);
// The response body (src/response.rs).
statement!(URL, "url", [INT4OID], false);
statement!(HTML, "html_content", [INT4OID], false);
statement!(URL_TYPE_VOTES, "url_type_votes", [INT4OID], false);
statement!(RECORD_TYPE_VOTES, "record_type_votes", [INT4OID], false);
statement!(AGENCY_VOTES, "agency_votes", [INT4OID], false);
statement!(LOCATION_VOTES, "location_votes", [INT4OID], false);
statement!(AGENCY_NOT_FOUND, "agency_not_found", [INT4OID], false);
statement!(LOCATION_NOT_FOUND, "location_not_found", [INT4OID], false);
statement!(NAME_VOTES, "name_votes", [INT4OID], false);
statement!(BATCH_INFO, "batch_info", [INT4OID], false);
statement!(BATCH_INFO_FOLDED, "batch_info_folded", [INT4OID], false);
statement!(SNAPSHOT, "snapshot", [INT4OID, UUIDOID, INT4OID, INT4OID, INT8OID, INT8OID], false);
// The write path (src/triggers.rs) and folding (src/fold.rs).
statement!(
    CAPTURE,
    "capture",
    [
        INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID, INT4OID,
        INT4OID, UUIDOID
    ],
    true
);
statement!(CAPTURE_BATCH, "capture_batch", [INT4OID, INT4OID], true);
statement!(TRUNCATED, "truncated", [TEXTOID], true);
statement!(QUEUE_WRITTEN, "queue_written", [], true);
statement!(FOLD_BEGIN, "fold_begin", [], true);
statement!(FOLD_BATCHES, "fold_batches", [], true);
statement!(FOLD_URLS, "fold_urls", [], true);
statement!(FOLD_END, "fold_end", [TEXTOID, BOOLOID, INT8OID], true);
// Operations (src/ops.rs).
statement!(ATTACH, "attach", [], true);
statement!(REFRESH_COUNT_CONCURRENTLY, "refresh_count_concurrently", [], true);
statement!(REFRESH_COUNT, "refresh_count", [], true);
statement!(REFRESH_FLAGS_CONCURRENTLY, "refresh_flags_concurrently", [], true);
statement!(REFRESH_FLAGS, "refresh_flags", [], true);
statement!(COUNT_COUNTS, "count_counts", [], false);
statement!(COUNT_FLAGS, "count_flags", [], false);
statement!(REFRESH_BEGIN, "refresh_begin", [], true);
statement!(REFRESH_RUNNING, "refresh_running", [], false);
statement!(REFRESH_RECORD, "refresh_record", [pg_sys::BuiltinOid::JSONBOID], true);
statement!(REFRESH_PRUNE, "refresh_prune", [pg_sys::BuiltinOid::FLOAT8OID], true);
statement!(STATUS, "status", [], false);
statement!(FOLDER_RUNNING, "folder_running", [], false);
// Marked as writing only to read with a new snapshot each time.
statement!(FOLDS_DONE, "folds_done", [INT4ARRAYOID], true);
statement!(LEASES_DUE, "leases_due", [], true);
statement!(OWN_NEW_URLS, "own_new_urls", [INT4ARRAYOID], true);
statement!(FOLDER_START, "folder_start", [], true);
statement!(FOLDER_ROUND, "folder_round", [], true);
statement!(RECONCILE_OWED, "reconcile_owed", [], true);
statement!(ATTACH_RESTORED, "attach_restored", [], true);
statement!(PLANNER_HAZARDS, "planner_hazards", [], false);

thread_local! {
    static KEPT: RefCell<HashMap<&'static str, Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
}

impl Statement {
    fn prepared(&self, client: &SpiClient<'_>) -> SpiResult<Rc<OwnedPreparedStatement>> {
        if let Some(kept) = KEPT.with(|k| k.borrow().get(self.name).cloned()) {
            return Ok(kept);
        }
        let types: Vec<PgOid> = self.args.iter().map(|&t| PgOid::BuiltIn(t)).collect();
        let prepared = if self.writes {
            client.prepare_mut(self.text, &types)?
        } else {
            client.prepare(self.text, &types)?
        };
        let kept = Rc::new(prepared.keep());
        KEPT.with(|k| k.borrow_mut().insert(self.name, kept.clone()));
        Ok(kept)
    }

    /// Prepares the statement now if this backend has not yet (so that timing a run times
    /// only the run).
    pub fn ready(&self, client: &SpiClient<'_>) -> SpiResult<()> {
        self.prepared(client).map(|_| ())
    }

    /// Runs the statement and maps every row with `each`.
    pub fn rows<T>(
        &self,
        client: &mut SpiClient<'_>,
        args: &[DatumWithOid<'_>],
        each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
    ) -> SpiResult<Vec<T>> {
        let prepared = self.prepared(client)?;
        let _ours = ours();
        let table = if self.writes {
            client.update(&*prepared, None, args)?
        } else {
            client.select(&*prepared, None, args)?
        };
        table.map(each).collect()
    }

    /// Runs the statement for its first row's first column.
    pub fn one<T: FromDatum + IntoDatum>(
        &self,
        client: &mut SpiClient<'_>,
        args: &[DatumWithOid<'_>],
    ) -> SpiResult<Option<T>> {
        Ok(self.rows(client, args, |r| r.get::<T>(1))?.into_iter().next().flatten())
    }

    /// Runs the statement for its effect.
    pub fn run(&self, client: &mut SpiClient<'_>, args: &[DatumWithOid<'_>]) -> SpiResult<()> {
        self.rows(client, args, |_| Ok(())).map(|_| ())
    }
}

/// Runs `f` inside an SPI connection, turning an SPI failure into an error that names `what`.
pub fn with_spi<R>(what: &str, f: impl FnOnce(&mut SpiClient<'_>) -> SpiResult<R>) -> R {
    Spi::connect_mut(|client| f(client)).unwrap_or_else(|e| error!("annotate: {what} failed: {e}"))
}

/// Every statement, for tests that inspect them (plan shapes, qualification).
#[cfg(test)]
pub const ALL: &[&Statement] = &[
    &STATE,
    &CONTEXT_START,
    &CURRENT_SNAPSHOT,
    &CONTEXT,
    &CONTEXT_BATCHES,
    &PENDING_DETAIL,
    &WALK_ORDER,
    &WALK_RESUME,
    &WALK_RESUME_MORE,
    &WALK_BATCH_RESUME,
    &WALK_BATCH_RESUME_MORE,
    &WALK_BATCHES,
    &WALK_IN,
    &WALK_URL,
    &OWN_LEASES,
    &LEASE_CHECK,
    &LEASE_EXPIRE,
    &LEASE,
    &WALK_LEASE,
    &WALK_LEASE_ANON,
    &WALK_ORDER_ANON,
    &WALK_RESUME_ANON,
    &WALK_RESUME_MORE_ANON,
    &WALK_BATCH_RESUME_ANON,
    &WALK_BATCH_RESUME_MORE_ANON,
    &WALK_BATCHES_ANON,
    &WALK_IN_ANON,
    &LEASE_UNDO,
    &RELEASE,
    &URL,
    &HTML,
    &URL_TYPE_VOTES,
    &RECORD_TYPE_VOTES,
    &AGENCY_VOTES,
    &LOCATION_VOTES,
    &AGENCY_NOT_FOUND,
    &LOCATION_NOT_FOUND,
    &NAME_VOTES,
    &BATCH_INFO,
    &BATCH_INFO_FOLDED,
    &SNAPSHOT,
    &CAPTURE,
    &CAPTURE_BATCH,
    &TRUNCATED,
    &QUEUE_WRITTEN,
    &FOLD_BEGIN,
    &FOLD_BATCHES,
    &FOLD_URLS,
    &FOLD_END,
    &FOLDER_RUNNING,
    &FOLDS_DONE,
    &LEASES_DUE,
    &OWN_NEW_URLS,
    &FOLDER_START,
    &FOLDER_ROUND,
    &RECONCILE_OWED,
    &ATTACH_RESTORED,
    &PLANNER_HAZARDS,
    &ATTACH,
    &REFRESH_COUNT_CONCURRENTLY,
    &REFRESH_COUNT,
    &REFRESH_FLAGS_CONCURRENTLY,
    &REFRESH_FLAGS,
    &COUNT_COUNTS,
    &COUNT_FLAGS,
    &REFRESH_BEGIN,
    &REFRESH_RUNNING,
    &REFRESH_RECORD,
    &REFRESH_PRUNE,
    &STATUS,
];

#[cfg(test)]
mod unit {
    use super::*;

    /// A statement's text without its comments.
    fn code(text: &str) -> String {
        text.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn each_anonymous_twin_is_the_users_statement_but_for_whose_annotations_it_probes() {
        let (u_probe, a_probe) = ("annotate_internal.is_done_user(", "annotate_internal.is_done_session(");
        for (user, anon) in TWINS {
            let (u, a) = (code(user.text), code(anon.text));
            let n = a.matches(a_probe).count();
            assert!(n > 0, "{} probes no session's annotations", anon.name);
            assert_eq!(u.matches(u_probe).count(), n, "{}: as many probes as its twin", user.name);
            assert!(!u.contains("is_done(") && !a.contains("is_done("), "{}: neither sets up all eight probes", user.name);
            assert!(!u.contains(a_probe) && !a.contains(u_probe), "{}: each probes one kind", user.name);
            assert_eq!(a.replace(a_probe, u_probe), u, "{} differs from {} elsewhere", anon.name, user.name);
            assert_eq!(user.args, anon.args);
            assert_eq!(format!("{}_anon", user.name), anon.name);
            assert_eq!(for_caller(user, true).name, anon.name);
            assert_eq!(for_caller(user, false).name, user.name);
        }
        assert_eq!(for_caller(&URL, true).name, URL.name, "a statement without a twin is its own");
    }

    #[test]
    fn every_file_under_sql_queries_is_one_statement_and_every_statement_a_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/queries");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("sql/queries")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .filter_map(|f| f.strip_suffix(".sql").map(str::to_owned))
            .collect();
        files.sort();
        let mut names: Vec<String> = ALL.iter().map(|s| s.name.to_owned()).collect();
        names.sort();
        let listed = names.len();
        names.dedup();
        assert_eq!(names.len(), listed, "a statement is listed twice in ALL");
        assert_eq!(names, files, "ALL and the files under sql/queries/ differ");
        for s in ALL {
            assert!(!code(s.text).trim().is_empty(), "{} has no statement", s.name);
        }
    }
}
