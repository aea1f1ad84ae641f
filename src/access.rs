//! Whose rights each statement runs with.
//!
//! The public functions are SECURITY INVOKER: what the caller may do is what its own grants on
//! the app's tables allow. The extension's internal tables (schema annotate_internal) are
//! readable by no app role, so a statement that reads them runs as their owner, and only after
//! the caller's rights on every app table that statement reads from were checked
//! (`check_tables`). That switch (`as_owner`) is the one place the extension acts with rights
//! the caller lacks; it is a SECURITY DEFINER for one fixed statement, with search_path already
//! pinned by the calling function and SECURITY_RESTRICTED_OPERATION set.

use std::cell::Cell;
use std::ffi::CString;

use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiResult};

use crate::errors::raise;

/// What the caller needs on an app table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Privilege {
    Select,
    Insert,
}

/// The app tables the queue is derived from, and the eligibility rules read: the answer of
/// any selection is a function of these, so a caller must be able to read them all.
pub const QUEUE_SOURCES: &[&str] = &[
    "urls",
    "link_batches__urls",
    "link_batches__locations",
    "link__locations__user_follows",
    "flag_url_validated",
    "flag_url_suspended",
    "annotation__url_type__user",
    "annotation__url_type__anon",
    "annotation__url_type__auto",
    "annotation__agency__user",
    "annotation__record_type__user",
    "annotation__location__user",
    "annotation__agency__anon",
    "annotation__record_type__anon",
    "annotation__location__anon",
];

/// What a lease writes on behalf of a user: leasing needs the rights to annotate.
pub const USER_ANNOTATIONS: &[&str] = &[
    "annotation__url_type__user",
    "annotation__record_type__user",
    "annotation__agency__user",
    "annotation__location__user",
];
pub const ANON_ANNOTATIONS: &[&str] = &[
    "annotation__url_type__anon",
    "annotation__record_type__anon",
    "annotation__agency__anon",
    "annotation__location__anon",
];

/// batch_info's counts come from these.
pub const BATCH_SOURCES: &[&str] = &["link_batches__urls", "annotation__agency__user"];

pub fn namespace(name: &str) -> pg_sys::Oid {
    let name = CString::new(name).expect("no NUL in a schema name");
    // SAFETY: a syscache lookup by name; missing_ok returns InvalidOid instead of raising.
    unsafe { pg_sys::get_namespace_oid(name.as_ptr(), true) }
}

pub fn relation(schema: pg_sys::Oid, name: &str) -> pg_sys::Oid {
    let name = CString::new(name).expect("no NUL in a table name");
    // SAFETY: a syscache lookup by name; InvalidOid when missing.
    unsafe { pg_sys::get_relname_relid(name.as_ptr(), schema) }
}

/// Raises `42501` naming the function and the table unless the current user has `privilege` on
/// every one of `tables` (in schema public), and, for reading, unless no row-level security
/// policy applies to it there: the answers come from the whole tables (read as the owner, and
/// kept in the queue for every caller), so a policy would not be applied but ignored.
pub fn check_tables(function: &str, privilege: Privilege, tables: &[&str]) {
    // SAFETY: reading the current user id.
    let user = unsafe { pg_sys::GetUserId() };
    let public = namespace("public");
    let mode = match privilege {
        Privilege::Select => pg_sys::ACL_SELECT,
        Privilege::Insert => pg_sys::ACL_INSERT,
    } as pg_sys::AclMode;
    for table in tables {
        let oid = relation(public, table);
        if oid == pg_sys::InvalidOid {
            not_attached(function);
        }
        // SAFETY: an ACL check of an existing relation for an existing role.
        let ok = unsafe { pg_sys::pg_class_aclcheck(oid, user, mode) } == pg_sys::AclResult::ACLCHECK_OK;
        if !ok {
            let what = match privilege {
                Privilege::Select => "SELECT",
                Privilege::Insert => "INSERT",
            };
            raise(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("annotate.{function}: permission denied for table public.{table}"),
                Some(&format!(
                    "annotate.{function} works from the application's tables; its caller needs {what} on each of them."
                )),
                Some("See the README, Privileges."),
            );
        }
        // SAFETY: as above; with noError, PostgreSQL's answer without raising its own error.
        let rls = privilege == Privilege::Select
            && unsafe { pg_sys::check_enable_rls(oid, pg_sys::InvalidOid, true) }
                == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32;
        if rls {
            raise(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!("annotate.{function}: row-level security applies to public.{table} for this role"),
                Some(&format!(
                    "annotate.{function} answers from the whole of the application's tables and cannot apply their row-level security policies."
                )),
                Some("Call it as a role the policies do not apply to (the table's owner, or one with BYPASSRLS), or disable row-level security on the table. See the README, Privileges."),
            );
        }
    }
}

/// The owner of the extension's internal tables.
fn owner() -> pg_sys::Oid {
    let internal = namespace("annotate_internal");
    let queue = relation(internal, "queue");
    if queue == pg_sys::InvalidOid {
        error!("annotate_ext: its internal tables are missing; reinstall the extension");
    }
    // SAFETY: the relation exists (checked above); it is opened and closed with a lock that
    // every reader of it takes anyway.
    unsafe {
        let rel = pg_sys::relation_open(queue, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let owner = (*(*rel).rd_rel).relowner;
        pg_sys::relation_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        owner
    }
}

/// Runs `f` with the rights of the internal tables' owner. An error inside ends the
/// transaction or subtransaction, which restores the caller's identity by itself.
pub fn as_owner<R>(f: impl FnOnce() -> R) -> R {
    let owner = owner();
    let (mut user, mut context) = (pg_sys::InvalidOid, 0);
    // SAFETY: the same calls fmgr makes for a SECURITY DEFINER function.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        pg_sys::SetUserIdAndSecContext(
            owner,
            context
                | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32
                | pg_sys::SECURITY_RESTRICTED_OPERATION as i32,
        );
    }
    let result = f();
    // SAFETY: restoring what was saved above.
    unsafe { pg_sys::SetUserIdAndSecContext(user, context) };
    result
}

thread_local! {
    /// Whether the extension was attached when last looked at; cleared whenever any relation's
    /// cache entry is invalidated (attach and detach create or drop triggers on app tables).
    static ATTACHED: Cell<Option<bool>> = const { Cell::new(None) };
    /// What planner_hazards() found when last looked at (None: not looked at since), cleared
    /// when the cache entry of one of the app's tables (APP_TABLES) is invalidated, or all are.
    static HAZARDS: std::cell::RefCell<Option<Option<String>>> = const { std::cell::RefCell::new(None) };
    static APP_TABLES: std::cell::RefCell<Vec<pg_sys::Oid>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Invalidations that cleared HAZARDS: one that comes while planner_hazards() reads the
    /// catalogs keeps it from keeping what it read.
    static HAZARDS_CLEARED: Cell<u64> = const { Cell::new(0) };
    static CALLBACK: Cell<bool> = const { Cell::new(false) };
}

#[pg_guard]
unsafe extern "C-unwind" fn forget(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    ATTACHED.with(|a| a.set(None));
    // Any invalidation while a look is under way keeps it from keeping its answer: before its
    // first answer this backend does not know which tables are the app's.
    HAZARDS_CLEARED.with(|c| c.set(c.get() + 1));
    if relid == pg_sys::InvalidOid || APP_TABLES.with(|t| t.borrow().contains(&relid)) {
        HAZARDS.with(|h| h.borrow_mut().take());
    }
}

fn not_attached(function: &str) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
        format!("annotate.{function}: annotate_ext is not attached to the application's tables"),
        Some("It was installed before the application's tables existed, or detached for a migration."),
        Some("Run SELECT annotate.attach() once the application's tables are in place."),
    )
}

/// A role's rights or a function's owner changed: what planner_hazards() found may be wrong.
#[pg_guard]
unsafe extern "C-unwind" fn forget_hazards(_arg: pg_sys::Datum, _cache: std::ffi::c_int, _hash: u32) {
    HAZARDS.with(|h| h.borrow_mut().take());
    HAZARDS_CLEARED.with(|c| c.set(c.get() + 1));
}

fn watch_relcache() {
    if !CALLBACK.with(|c| c.replace(true)) {
        // SAFETY: registering callbacks that only clear cached values.
        unsafe {
            pg_sys::CacheRegisterRelcacheCallback(Some(forget), pg_sys::Datum::from(0));
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::AUTHOID as _,
                Some(forget_hazards),
                pg_sys::Datum::from(0),
            );
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::PROCOID as _,
                Some(forget_hazards),
                pg_sys::Datum::from(0),
            );
        }
    }
}

thread_local! {
    /// planner_hazards.sql, prepared once per backend for SPI_execute_snapshot.
    static HAZARDS_PLAN: Cell<pg_sys::SPIPlanPtr> = const { Cell::new(std::ptr::null_mut()) };
}

/// Runs planner_hazards.sql in a snapshot taken now, not the transaction's: the planner reads
/// the catalogs as they are now, and under REPEATABLE READ an index made valid after the
/// transaction's snapshot was not seen in it (found by a review). Call inside an SPI
/// connection.
fn hazards_now() -> (Option<String>, Vec<i64>) {
    // SAFETY: SPI calls inside the caller's SPI connection; the plan is kept (SPI_keepplan) for
    // the backend's life, the snapshot registered for the statement and released after it, and
    // the row's values copied out before the next SPI call.
    unsafe {
        let mut plan = HAZARDS_PLAN.with(|p| p.get());
        if plan.is_null() {
            let text = CString::new(crate::statements::PLANNER_HAZARDS.text).expect("no NUL in a statement");
            plan = pg_sys::SPI_prepare(text.as_ptr(), 0, std::ptr::null_mut());
            if plan.is_null() || pg_sys::SPI_keepplan(plan) != 0 {
                error!("annotate: preparing planner_hazards.sql failed (SPI code {})", pg_sys::SPI_result);
            }
            HAZARDS_PLAN.with(|p| p.set(plan));
        }
        let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetLatestSnapshot());
        let rc = pg_sys::SPI_execute_snapshot(
            plan,
            std::ptr::null_mut(),
            std::ptr::null(),
            snapshot,
            std::ptr::null_mut(),
            true,
            false,
            1,
        );
        pg_sys::UnregisterSnapshot(snapshot);
        if rc != pg_sys::SPI_OK_SELECT as i32 || pg_sys::SPI_processed != 1 || pg_sys::SPI_tuptable.is_null() {
            error!("annotate: looking for code the planner would run failed (SPI code {rc})");
        }
        let table = pg_sys::SPI_tuptable;
        let row = *(*table).vals;
        let desc = (*table).tupdesc;
        let mut null = false;
        let found = pg_sys::SPI_getbinval(row, desc, 1, &mut null);
        let found = if null { None } else { String::from_datum(found, false) };
        let tables = pg_sys::SPI_getbinval(row, desc, 2, &mut null);
        let tables = Vec::<i64>::from_datum(tables, null).unwrap_or_default();
        (found, tables)
    }
}

/// Code of a role that is not a superuser which planning a query on the app's tables would
/// run with the rights of the role planning (sql/requirements.sql, planner_hazards()), as
/// text; None when there is none. Looked at again after the cache entry of one of those tables
/// is invalidated (an autovacuum of another table costs nothing): an index made CONCURRENTLY
/// outlives the DDL watch's refusal, invalid, and REINDEX, which no event trigger sees, makes
/// it valid, invalidating its table's entry, as creating an index, a constraint or statistics
/// does.
/// Asked before anything plans a query on those tables: require_attached() for the SQL
/// functions, the folder for each round.
pub fn planner_hazards(client: &mut SpiClient<'_>) -> SpiResult<Option<String>> {
    watch_relcache();
    // SAFETY: what every lock taken does first: changes others committed reach the caches (and
    // the callbacks above) now, not at the next lock, which the walk would take after this.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    if let Some(known) = HAZARDS.with(|h| h.borrow().clone()) {
        return Ok(known);
    }
    let cleared = HAZARDS_CLEARED.with(|c| c.get());
    let _ = client; // hazards_now() runs raw SPI calls inside this open connection
    let (found, tables) = hazards_now();
    let tables = tables.into_iter().map(|t| pg_sys::Oid::from(t as u32)).collect();
    APP_TABLES.with(|t| *t.borrow_mut() = tables);
    if HAZARDS_CLEARED.with(|c| c.get()) == cleared {
        HAZARDS.with(|h| *h.borrow_mut() = Some(found.clone()));
    }
    Ok(found)
}

/// Raises a clear error unless the extension is attached to the app's tables, and none of
/// them carries code the planner would run with the extension owner's rights.
pub fn require_attached(function: &str) {
    watch_relcache();
    let attached = match ATTACHED.with(|a| a.get()) {
        Some(known) => known,
        None => {
            let known = as_owner(|| {
                crate::statements::with_spi("reading the attachment state", |c| {
                    crate::statements::STATE.one::<bool>(c, &[])
                })
            })
            .unwrap_or(false);
            ATTACHED.with(|a| a.set(Some(known)));
            known
        }
    };
    if !attached {
        not_attached(function);
    }
    refuse_planner_hazards(function);
}

/// Raises a clear error when one of the app's tables carries code the planner would run with
/// the extension owner's rights (planner_hazards()): before anything plans a query on them.
pub fn refuse_planner_hazards(function: &str) {
    watch_relcache();
    // SAFETY: as in planner_hazards(): a cached answer is checked against the changes committed
    // since this transaction last took a lock (a REINDEX that made an index valid, say).
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let hazards = match HAZARDS.with(|h| h.borrow().clone()) {
        Some(known) => known,
        None => as_owner(|| crate::statements::with_spi("looking for code the planner would run", planner_hazards)),
    };
    if let Some(problem) = hazards {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("annotate.{function}: the application's tables are not as annotate_ext needs them: {problem}"),
            None,
            Some("Drop that object, or have a superuser own the function it calls. See the README, Security."),
        );
    }
}

/// Work that writes, and so must run on the primary, outside a read-only transaction.
#[derive(Clone, Copy)]
pub enum Work {
    Lease,
    Refresh,
}

/// Whether this transaction's statements read its first snapshot, not one of their own
/// (REPEATABLE READ or SERIALIZABLE: PostgreSQL's IsolationUsesXactSnapshot()). Rows changed
/// since that snapshot can be neither seen nor locked there.
pub fn transaction_snapshot() -> bool {
    // SAFETY: reading the transaction's isolation level.
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}

/// Raises a clear error when the server is a standby, or the transaction read-only.
pub fn require_primary(function: &str, work: Work) {
    let (what, detail, hint) = match work {
        Work::Lease => (
            "take or end a lease",
            "Leases are written on the primary; reads without claim_for work on a standby.",
            "Send calls with claim_for, and release_claim, to the primary.",
        ),
        Work::Refresh => (
            "refresh",
            "refresh() writes the views and the queue; a standby follows the primary's.",
            "Run refresh() (and its schedule) on the primary.",
        ),
    };
    // SAFETY: reading recovery state.
    if unsafe { pg_sys::RecoveryInProgress() } {
        raise(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            format!("annotate.{function}: cannot {what} on a standby"),
            Some(detail),
            Some(hint),
        );
    }
    // SAFETY: reading the transaction's read-only flag.
    if unsafe { pg_sys::XactReadOnly } {
        raise(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            format!("annotate.{function}: cannot {what} in a read-only transaction"),
            Some(detail),
            None,
        );
    }
}

thread_local! {
    /// The DDL watch's own DDL under way (sql/watch.sql, attach() and detach()): the (local)
    /// transaction and the subtransaction that began it. A flag of this backend's, not a setting:
    /// a setting under a prefix nothing registered is a placeholder any role may set, and
    /// `SET annotate_ext.in_watch = on` turned the watch off for whoever ran it (a table owner
    /// then turned a table the extension reads into a view that ran code with the owner's rights).
    static WATCH: Cell<Option<(u32, pg_sys::SubTransactionId)>> = const { Cell::new(None) };
    static WATCH_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn local_transaction() -> u32 {
    // SAFETY: this backend's PGPROC, set for a backend's lifetime.
    unsafe { (*pg_sys::MyProc).lxid }
}

/// Whether the DDL watch's own DDL is under way in this transaction.
pub fn in_watch() -> bool {
    WATCH.with(|w| w.get()).is_some_and(|(xact, _)| xact == local_transaction())
}

/// Marks the DDL watch's own DDL as under way, until watch_end(), the end of the transaction,
/// or the rollback of the subtransaction that began it; whether it was already.
pub fn watch_begin() -> bool {
    if in_watch() {
        return true;
    }
    if !WATCH_CALLBACK.with(|c| c.replace(true)) {
        // SAFETY: registered once per backend; the callback only clears this flag.
        unsafe { pg_sys::RegisterSubXactCallback(Some(watch_rolled_back), std::ptr::null_mut()) };
    }
    // SAFETY: this backend's transaction state.
    let sub = unsafe { pg_sys::GetCurrentSubTransactionId() };
    WATCH.with(|w| w.set(Some((local_transaction(), sub))));
    false
}

/// Ends what watch_begin() began, unless it was under way before (`was`).
pub fn watch_end(was: bool) {
    if !was {
        WATCH.with(|w| w.set(None));
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn watch_rolled_back(
    event: pg_sys::SubXactEvent::Type,
    sub: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        WATCH.with(|w| {
            if w.get().is_some_and(|(_, began)| began >= sub) {
                w.set(None);
            }
        });
    }
}
