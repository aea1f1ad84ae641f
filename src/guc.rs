//! Configuration (README "Configuration").

use std::ffi::CStr;

use pgrx::{pg_sys, GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};

/// Where selection takes its vote counts from (SPEC 3.4).
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Selection {
    /// The base tables at the moment of the call.
    #[name = c"live"]
    Live,
    /// The materialized views as of the last `annotate.refresh()` (the upstream PR's behaviour).
    #[name = c"snapshot"]
    Snapshot,
}

impl Selection {
    pub fn as_str(self) -> &'static str {
        match self {
            Selection::Live => "live",
            Selection::Snapshot => "snapshot",
        }
    }
}

pub static SELECTION: GucSetting<Selection> = GucSetting::<Selection>::new(Selection::Live);
pub static TRACK_TIMING: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static MAX_URLS: GucSetting<i32> = GucSetting::<i32>::new(1000);
pub static MAX_CLAIM_URLS: GucSetting<i32> = GucSetting::<i32>::new(100);
pub static MAX_SKIP: GucSetting<i32> = GucSetting::<i32>::new(10_000);
pub static MAX_LEASE: GucSetting<i32> = GucSetting::<i32>::new(86_400);
pub static FOLD_WORKER: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static FOLD_NAPTIME: GucSetting<i32> = GucSetting::<i32>::new(50);
pub static RESUME_AFTER: GucSetting<i32> = GucSetting::<i32>::new(150);
pub static REFRESH_HISTORY_RETENTION: GucSetting<i32> = GucSetting::<i32>::new(30 * 86_400);

/// The planner settings of the request path (README "Performance"). Every statement it runs
/// was prepared once per backend (src/statements.rs) with a generic plan that is an ordered
/// index walk stopping after the rows it needs; these hold whatever the server, database or role
/// says, so that no host setting can turn a walk into a sort of the whole queue or JIT-compile
/// it: sorts, hash and merge joins, bitmap and sequential scans are off (the walks need none of
/// them), and so is JIT. Snapshot mode, which sorts by design, runs in
/// annotate_internal.snapshot_candidates(), which pins the planner's stock settings instead.
pub const REQUEST_PLANNING: &[(&CStr, &CStr)] = &[
    (c"jit", c"off"),
    (c"plan_cache_mode", c"force_generic_plan"),
    (c"enable_sort", c"off"),
    (c"enable_incremental_sort", c"off"),
    (c"enable_hashjoin", c"off"),
    (c"enable_mergejoin", c"off"),
    (c"enable_seqscan", c"off"),
    (c"enable_bitmapscan", c"off"),
    (c"enable_indexscan", c"on"),
    (c"enable_indexonlyscan", c"on"),
    (c"enable_nestloop", c"on"),
    (c"enable_hashagg", c"on"),
];

/// Runs `call` under REQUEST_PLANNING, then restores the settings it found, as a function's
/// SET clauses do. Applied here rather than pinned on the functions: PostgreSQL applies a
/// function's SET clauses on every call of it, and a set-returning function is called once per
/// row it returns (a list of 50 URLs paid for 51 rounds of 13 settings, an eighth of the call).
/// An error inside `call` leaves the settings to the end of the (sub)transaction, which
/// restores them as it does those of a SET clause.
pub fn request_planning<T>(call: impl FnOnce() -> T) -> T {
    planning(REQUEST_PLANNING, call)
}

/// What a fold runs under (src/fold.rs), whoever folds (the folder, refresh(), a leasing call,
/// a plain selection that read many pending writes, fold_now()): never JIT-compiled, whatever the database's jit_*_cost (its statements' costs
/// grow with the backlog, past any threshold), and a round's pending writes aggregated in
/// memory (at the stock 4MB a round of the write mix, ~50,000 writes, sorted on disk).
pub const FOLD_PLANNING: &[(&CStr, &CStr)] = &[(c"jit", c"off"), (c"work_mem", c"64MB")];

/// Runs `call` under `settings`, then restores the settings it found (as request_planning()).
pub fn planning<T>(settings: &[(&CStr, &CStr)], call: impl FnOnce() -> T) -> T {
    // SAFETY: the GUC calls a function's SET clauses make (fmgr_security_definer); every name
    // and value is a valid C string, and an invalid setting raises an ERROR.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
        // SAFETY: as above.
        unsafe {
            pg_sys::set_config_option(
                name.as_ptr(),
                value.as_ptr(),
                pg_sys::GucContext::PGC_USERSET,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                0,
                false,
            );
        }
    }
    let result = call();
    // SAFETY: closes the nest level opened above.
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    result
}

/// The settings a background worker of the extension (the folder, the recorder) runs under,
/// whatever the database's or the connecting role's defaults say (as autovacuum does):
/// - READ COMMITTED: under SERIALIZABLE a fold's reads of the pending writes would take
///   predicate locks that every writer's append then runs into (the write mix failed 2.3 times
///   as often as the app's own writes did under a database default of serializable), and under
///   REPEATABLE READ it could meet rows a newer fold changed;
/// - not read-only (the recorder's row was lost, silently, under a role's read-only default);
/// - no statement_timeout (a reconcile the folder owes reads every URL: cancelled each round,
///   it would never end);
/// - session_replication_role origin (the queue's own triggers fire for its writes).
pub fn worker_defaults() {
    // SAFETY: setting this process's GUCs by name to valid values, outside a transaction, as
    // PostgreSQL does for options given at connection.
    unsafe {
        for (name, value) in [
            (c"default_transaction_isolation", c"read committed"),
            (c"default_transaction_read_only", c"off"),
            (c"statement_timeout", c"0"),
            (c"session_replication_role", c"origin"),
        ] {
            pg_sys::SetConfigOption(
                name.as_ptr(),
                value.as_ptr(),
                pg_sys::GucContext::PGC_SUSET,
                pg_sys::GucSource::PGC_S_OVERRIDE,
            );
        }
    }
}

pub fn init() {
    GucRegistry::define_enum_guc(
        c"annotate.selection",
        c"Where annotate_ext's selection reads vote counts: live tables or the materialized views.",
        c"live (default) reads the base tables at call time; snapshot reads the views as of the last annotate.refresh(). Eligibility filters are always live.",
        &SELECTION,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"annotate.track_timing",
        c"Record per-phase timings of annotate.next_annotation calls.",
        c"When off, no clock is read and no statistics are kept.",
        &TRACK_TIMING,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.max_urls",
        c"The largest max_urls a selection call accepts.",
        c"Larger values are refused with an error naming max_urls. Only a superuser can raise it.",
        &MAX_URLS,
        1,
        100_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.max_claim_urls",
        c"The largest max_urls a call with claim_for accepts.",
        c"A lease is a write per URL: the bound is lower than annotate.max_urls. Only a superuser can raise it.",
        &MAX_CLAIM_URLS,
        1,
        100_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.max_skip",
        c"The largest skip a selection call accepts.",
        c"Skipping n URLs walks past n URLs; larger values are refused. Only a superuser can raise it.",
        &MAX_SKIP,
        0,
        1_000_000,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.max_lease",
        c"The longest claim_for accepted.",
        c"Longer leases are refused with an error naming claim_for. Only a superuser can raise it.",
        &MAX_LEASE,
        1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_bool_guc(
        c"annotate.fold_worker",
        c"Run a background worker per database that folds captured writes into the queue.",
        c"Without it, readers add every write made since the last refresh() on top of the queue.",
        &FOLD_WORKER,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.fold_naptime",
        c"How long the folder sleeps between folds.",
        c"Readers add the writes of this window on top of the queue.",
        &FOLD_NAPTIME,
        1,
        60_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"annotate.resume_after",
        c"Keep a caller's resume point when a walk of the global order or of a batch passes over this many buffers' worth of URLs.",
        c"The buffers a walk touched beyond those of the rows it returned: two or three for each URL of the caller's own passed over. The caller's next walk starts at the first URL this one found instead of passing over them again. 0 keeps one after every walk; -1 neither keeps nor uses them.",
        &RESUME_AFTER,
        -1,
        i32::MAX,
        // The points are kept in shared memory for every database of the server (a fixed
        // number of them): a caller that kept one after every walk would push out everyone's.
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"annotate.refresh_history_retention",
        c"How long refresh() runs stay in annotate.refresh_history.",
        c"refresh() removes older runs; -1 keeps every run.",
        &REFRESH_HISTORY_RETENTION,
        -1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
}
