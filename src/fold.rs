//! Folding: moving the writes appended by the triggers (src/triggers.rs) into the ordered queue,
//! so that readers have little to add on top of it.
//!
//! A fold runs in a transaction of its own, one at a time per database (src/locks.rs), and
//! never waits for a lease being taken (sql/queries/fold_urls.sql passes over rows held right
//! now). It is done by a background worker per database, the folder, started when the extension
//! attaches, whenever a reader finds writes piling up without one, and by a writer that finds
//! none running (src/triggers.rs; at most once per WRITER_CHECK per session, and again as a
//! transaction that wrote commits, so that writes made while nobody reads do not pile up until
//! the next reader pays for them); by refresh(); by a plain selection that read many when no
//! folder can run (FOLD_ALONE_AT); and by nobody else: the app's writers only append. Answers
//! never depend on when a fold happens.
//!
//! The folder exits after IDLE without work, so that it never keeps the database busy for long:
//! DROP DATABASE, and CREATE DATABASE with the database as template, wait for a few seconds
//! for other sessions to leave, then fail.

use std::time::Duration;

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiResult};
use pgrx::PgXactCallbackEvent;

use crate::guc;
use crate::statements as st;

/// What one fold did.
#[derive(Default, Debug, Clone, Copy)]
pub struct Folded {
    pub ran: bool,
    pub delta_rows: i64,
    pub urls: i64,
    pub urls_left: i64,
    pub moved_by_follows: i64,
    /// Batches some of whose URLs' rows a lease held: their follow change stays pending.
    pub batches_left: i64,
}

/// Folds what is pending, if no other fold or attach is under way, under guc::FOLD_PLANNING.
/// Call inside a transaction.
pub fn fold(client: &mut SpiClient<'_>) -> SpiResult<Folded> {
    guc::planning(guc::FOLD_PLANNING, || fold_planned(client))
}

fn fold_planned(client: &mut SpiClient<'_>) -> SpiResult<Folded> {
    let (may, below) = st::FOLD_BEGIN
        .rows(client, &[], |r| Ok((r.get::<bool>(1)?.unwrap_or(false), r.get::<String>(2)?)))?
        .into_iter()
        .next()
        .unwrap_or((false, None));
    if !may {
        return Ok(Folded::default());
    }
    let mut out = Folded { ran: true, ..Folded::default() };
    for (moved, left) in st::FOLD_BATCHES.rows(client, &[], |r| {
        Ok((r.get::<i64>(2)?.unwrap_or(0), r.get::<i64>(3)?.unwrap_or(0)))
    })? {
        out.moved_by_follows = moved;
        out.batches_left = left;
    }
    for (rows, urls, left) in st::FOLD_URLS.rows(client, &[], |r| {
        Ok((r.get::<i64>(1)?.unwrap_or(0), r.get::<i64>(2)?.unwrap_or(0), r.get::<i64>(3)?.unwrap_or(0)))
    })? {
        out.delta_rows = rows;
        out.urls = urls;
        out.urls_left = left;
    }
    if out.delta_rows > 0 || out.moved_by_follows > 0 {
        // Keys changed, leases ended, URLs came back: entries may have re-entered the unleased
        // range ahead of the head leasing walks start from.
        crate::head::moving();
    }
    let args: [DatumWithOid; 3] = [below.into(), (out.urls_left == 0).into(), out.delta_rows.into()];
    st::FOLD_END.run(client, &args)?;
    Ok(out)
}

/// Folds what is pending in this transaction as fold() does, but while another fold (the
/// folder's) holds the fold lock, waits for it, at most `max`, and folds what it left: afterwards
/// nothing committed before the call is pending. For annotate_internal.fold_now() (tests), under
/// READ COMMITTED (under REPEATABLE READ a newer fold's rows could not be locked).
pub fn fold_waiting(client: &mut SpiClient<'_>, max: Duration) -> SpiResult<Folded> {
    let started = std::time::Instant::now();
    loop {
        let folded = fold(client)?;
        if folded.ran || started.elapsed() >= max {
            return Ok(folded);
        }
        std::thread::sleep(Duration::from_millis(5));
        pgrx::check_for_interrupts!();
    }
}

/// The name the folder of a database runs under (pg_stat_activity.backend_type).
const FOLDER: &str = "annotate_ext folder";

/// The folder exits after this long without anything to fold.
const IDLE: Duration = Duration::from_secs(2);

/// The longest wait between the folder's rounds while the work left is rows it cannot lock, and
/// the shortest time between two such rounds however often it is woken (the folder's loop).
const STALLED_MAX: Duration = Duration::from_secs(1);
const STALLED_GAP: Duration = Duration::from_millis(100);

/// Readers wake the folder when they find at least this many URLs with unfolded writes.
pub const WAKE_AT: usize = 32;

/// A plain selection that read at least this many URLs with unfolded writes, and found no folder
/// running that could fold them (none could be started, or annotate.fold_worker is off), folds
/// them itself once it has its answer (fold_after_reading()): otherwise every call reads all of
/// them again, and all writes since, until refresh().
pub const FOLD_ALONE_AT: usize = 256;

/// Folds after a plain selection read what is pending, when the call's transaction is its own:
/// an implicit one (not a transaction block, whose end this call cannot see: the fold's row and
/// fold locks would be held until then), READ COMMITTED, not read-only, on a primary. The
/// call's answer was read in its snapshot, from before the fold: the fold only spares the calls
/// after it.
pub fn fold_after_reading(client: &mut SpiClient<'_>) -> SpiResult<Folded> {
    // SAFETY: reading this backend's transaction state.
    let own_transaction =
        unsafe { !pg_sys::RecoveryInProgress() && !pg_sys::IsTransactionBlock() && !pg_sys::XactReadOnly }
            && !crate::access::transaction_snapshot();
    if !own_transaction {
        return Ok(Folded::default());
    }
    // The answer is read: a fold that fails (a full disk, a trigger someone put on the
    // extension's tables) or that the statement's timeout cuts short must not take it with it,
    // nor fail every call after it. It runs in a subtransaction, undone when it fails, and the
    // writes stay pending. A cancel (pg_cancel_backend) still ends the call.
    // An SPI failure is raised inside the subtransaction, so that it too is rolled back.
    let folded = crate::errors::in_subtransaction(|| {
        fold(client).unwrap_or_else(|e| error!("annotate_ext: folding after answering: {e}"))
    });
    match folded {
        Ok(folded) => Ok(folded),
        // The caller's statement_timeout (the database's, say) running out during the fold is
        // not a reason to fail a call whose answer is read: every call would then fail until
        // someone else folds. A cancel that came sooner is the caller's (pg_cancel_backend).
        Err(e) if e.code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED && !statement_timed_out() => {
            e.raise_as(e.message.clone())
        }
        Err(e) => {
            log!(
                "annotate_ext: a selection could not fold the writes it read after answering; they stay pending: {} (SQLSTATE {})",
                e.message,
                e.sqlstate()
            );
            Ok(Folded::default())
        }
    }
}

/// Whether this statement has run for statement_timeout or longer (when it is set): a cancel
/// raised now is the timeout's.
fn statement_timed_out() -> bool {
    // SAFETY: reading a GUC's value, the statement's start and the clock.
    let (timeout_ms, started, now) = unsafe {
        (pg_sys::StatementTimeout, pg_sys::GetCurrentStatementStartTimestamp(), pg_sys::GetCurrentTimestamp())
    };
    timeout_ms > 0 && now - started >= i64::from(timeout_ms) * 1000
}

/// How long a folder found running is taken to be running (wake()).
const FOLDER_SEEN_FOR: Duration = Duration::from_secs(1);

/// After a failed start (no worker slot free), how long wake() answers "no folder" without
/// asking again: every reader meeting pending writes and every writing session would otherwise
/// look the folder up and try to register a worker on every call.
const START_RETRY: Duration = Duration::from_secs(1);

/// How often a session logs that it cannot start the folder, while it keeps failing.
const START_FAILURE_LOG: Duration = Duration::from_secs(60);

/// What a session remembers of its failed folder starts (wake()): kept apart from the clock so
/// that the policy is tested without a server.
#[derive(Default, Clone, Copy, Debug)]
struct Starts {
    failed_at: Option<std::time::Instant>,
    logged_at: Option<std::time::Instant>,
    /// Failures since the last line logged.
    failures: u64,
}

impl Starts {
    /// Whether to look for the folder and start it now: not within START_RETRY of a failure.
    fn may_try(&self, now: std::time::Instant) -> bool {
        self.failed_at.is_none_or(|at| now.duration_since(at) >= START_RETRY)
    }

    /// Records a failed start; the count of failures to log now, if a line is due.
    fn failed(&mut self, now: std::time::Instant) -> Option<u64> {
        self.failed_at = Some(now);
        self.failures += 1;
        let due = self.logged_at.is_none_or(|at| now.duration_since(at) >= START_FAILURE_LOG);
        due.then(|| {
            self.logged_at = Some(now);
            std::mem::take(&mut self.failures)
        })
    }

    /// A folder runs or was started: the next failure is logged at once.
    fn ran(&mut self) {
        *self = Starts::default();
    }
}

thread_local! {
    /// Whether this folder has logged why it does not fold (planner_hazards()).
    static HAZARD_LOGGED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The folder's rounds given up for a lock (logged once a minute, as failed starts are).
    static WAITED: std::cell::Cell<Starts> = std::cell::Cell::new(Starts::default());
    static FOLDER_SEEN: std::cell::Cell<Option<(std::time::Instant, i32)>> = const { std::cell::Cell::new(None) };
    static STARTS: std::cell::Cell<Starts> = std::cell::Cell::new(Starts::default());
}

/// Ends the leases that ran out (sql/queries/lease_expire.sql); how many. Each round of the
/// folder does, and so do a leasing call that finds one due and refresh(): the write that
/// returns their URLs to the unleased range, below the request path that leases.
pub fn expire_leases(client: &mut SpiClient<'_>) -> SpiResult<i64> {
    let ended = st::LEASE_EXPIRE.one::<i64>(client, &[])?.unwrap_or(0);
    if ended > 0 {
        crate::head::moving(); // their URLs are back in the unleased range
    }
    Ok(ended)
}

/// For a leasing call inside a transaction block (src/leases.rs), when leases ran out: has the
/// folder end them, in a transaction of its own, and waits for that (at most `max`), instead of
/// ending them in the caller's transaction, where the rows stay locked until it ends and every
/// other leasing caller passes over them meanwhile. False when no folder runs, the transaction
/// reads one snapshot (its later statements would not see them ended), or they were not ended
/// in time: the caller ends them itself then. Also false, without waiting out `max`, once a
/// round of the folder that began after the wake is done and some are left: rows another
/// transaction holds, which the folder passes over (it waited all of `max` for them).
pub fn expire_leases_by_folder(client: &mut SpiClient<'_>, max: Duration) -> SpiResult<bool> {
    if crate::access::transaction_snapshot() || !wake() {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let mut first_folds = None;
    let mut woken_again = false;
    loop {
        let (due, folds) = st::LEASES_DUE
            .rows(client, &[], |r| Ok((r.get::<bool>(1)?.unwrap_or(true), r.get::<i64>(2)?.unwrap_or(0))))?
            .into_iter()
            .next()
            .unwrap_or((true, 0));
        if !due {
            return Ok(true);
        }
        // A round ends leases, then folds (and counts the fold) in one transaction: the round
        // under way when the folder was woken is the first count, and the one after it began
        // after the wake.
        let first = *first_folds.get_or_insert(folds);
        if folds >= first + 2 || started.elapsed() >= max {
            return Ok(false);
        }
        if folds == first + 1 && !woken_again {
            // The round under way at the wake is done: wake the folder again for the next one,
            // which a folder backing off (src/fold.rs, `stalled`) would otherwise make only up
            // to a second later.
            woken_again = true;
            wake();
        }
        std::thread::sleep(Duration::from_micros(500));
        pgrx::check_for_interrupts!();
    }
}

/// Starts this database's folder unless one runs, or wakes it (sets its latch) when it sleeps.
/// Quietly does nothing on a standby. When no worker slot is free, logs it (once a minute per
/// session, with how many starts failed) and tries again no sooner than START_RETRY (readers
/// then add more pending writes; refresh() still folds, and so does a plain selection that read
/// many: FOLD_ALONE_AT). Whether a folder runs or was started.
pub fn wake() -> bool {
    // SAFETY: reading recovery state.
    if unsafe { pg_sys::RecoveryInProgress() } || !guc::FOLD_WORKER.get() {
        return false;
    }
    // The folder seen less than FOLDER_SEEN_FOR ago, if its process is still there, is taken
    // to be running without asking pg_locks again (a reader meeting pending writes would
    // otherwise ask on every call).
    let now = std::time::Instant::now();
    let seen = seen_folder(now);
    if seen.is_none() && !STARTS.with(|s| s.get()).may_try(now) {
        return false;
    }
    let pid = seen.or_else(|| {
        let pid =
            crate::statements::with_spi("looking for the folder", |c| st::FOLDER_RUNNING.one::<i32>(c, &[]));
        FOLDER_SEEN.with(|c| c.set(pid.map(|p| (now, p))));
        pid
    });
    match pid {
        Some(pid) => {
            set_latch(pid);
            STARTS.with(|s| s.set(Starts::default()));
            true
        }
        None => start_folder(now),
    }
}

/// The folder seen running less than FOLDER_SEEN_FOR ago, if its process is still there.
fn seen_folder(now: std::time::Instant) -> Option<i32> {
    FOLDER_SEEN.with(|c| c.get()).and_then(|(at, pid)| {
        // SAFETY: looking a process id up in ProcArray.
        let alive = unsafe { !pg_sys::BackendPidGetProc(pid).is_null() };
        (now.duration_since(at) < FOLDER_SEEN_FOR && alive).then_some(pid)
    })
}

/// Wakes process `pid` (sets its latch) if it is still there; whether it was.
fn set_latch(pid: i32) -> bool {
    // SAFETY: the PGPROC of a live process is valid while ProcArray holds it; setting its latch
    // is what PostgreSQL itself does to wake a process.
    unsafe {
        let proc_ = pg_sys::BackendPidGetProc(pid);
        if proc_.is_null() {
            return false;
        }
        pg_sys::SetLatch(&mut (*proc_).procLatch);
        true
    }
}

/// Registers this database's folder as a new background worker, unless a start failed within
/// START_RETRY; logs a failure (once a minute per session). Whether it was registered. Raises
/// no error (pre-commit: wake_at_commit()).
fn start_folder(now: std::time::Instant) -> bool {
    let mut starts = STARTS.with(|s| s.get());
    if !starts.may_try(now) {
        return false;
    }
    // SAFETY: reading this backend's database id.
    let database = unsafe { pg_sys::MyDatabaseId };
    let started = BackgroundWorkerBuilder::new(FOLDER)
        .set_type(FOLDER)
        .set_library("annotate_ext")
        .set_function("annotate_folder_main")
        .set_argument(Some(pg_sys::Datum::from(u32::from(database))))
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(None)
        .load_dynamic()
        .is_ok();
    if started {
        starts.ran();
    } else if let Some(failures) = starts.failed(now) {
        log!(
            "annotate_ext: cannot start the folder: no background worker slot free (max_worker_processes); \
             {failures} start(s) failed in this session since the last such line; readers add the writes \
             not folded, and a plain selection that reads {FOLD_ALONE_AT} or more folds them; refresh() folds"
        );
    }
    STARTS.with(|s| s.set(starts));
    started
}

/// How often a session that writes looks whether the folder runs (pg_locks, some 20 µs), and
/// starts it when not: within IDLE, so that a steady writer finds it running.
const WRITER_CHECK: Duration = Duration::from_secs(1);

thread_local! {
    static WRITER_CHECKED: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
    /// The (local) transaction that wrote and looks again at its commit (wake_at_commit()).
    static CHECK_AT_COMMIT: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
    /// Whether wake_at_commit() looks for the folder whenever this session last did
    /// (wake_at_this_commit()).
    static WAKE_AT_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// For the capture triggers, after a write was appended: wake() at most once per WRITER_CHECK,
/// and again as the transaction commits if it was the last look a WRITER_CHECK before (a
/// transaction longer than the folder's IDLE outlives the folder its first write woke: its
/// writes, visible once it commits, would wait for the next reader or writer).
pub fn wake_for_writer() {
    if !guc::FOLD_WORKER.get() {
        return;
    }
    // SAFETY: this backend's PGPROC, set for a backend's lifetime.
    let transaction = unsafe { (*pg_sys::MyProc).lxid };
    if CHECK_AT_COMMIT.with(|c| c.replace(Some(transaction))) != Some(transaction) {
        crate::locks::learn();
        pgrx::register_xact_callback(PgXactCallbackEvent::PreCommit, wake_at_commit);
    }
    if writer_check_due() {
        // As the owner, as readers do: the writing role may not read pg_locks (a database can
        // revoke it from PUBLIC), and the app's write must not fail for that.
        crate::access::as_owner(wake);
    }
}

/// For a queue rebuilt from a snapshot older than its locks, which owes a reconcile() the folder
/// makes once this transaction has committed (sql/attach.sql, build_queue()): wakes or starts
/// the folder as the transaction commits, however recently this session looked for it.
pub fn wake_at_this_commit() {
    if !guc::FOLD_WORKER.get() {
        return;
    }
    crate::locks::learn();
    WAKE_AT_COMMIT.with(|c| c.set(true));
    pgrx::register_xact_callback(PgXactCallbackEvent::PreCommit, wake_at_commit);
}

/// Whether WRITER_CHECK passed since this session last looked for the folder as a writer; if
/// so, it is taken to look now.
fn writer_check_due() -> bool {
    let now = std::time::Instant::now();
    WRITER_CHECKED.with(|c| match c.get() {
        Some(t) if now.duration_since(t) < WRITER_CHECK => false,
        _ => {
            c.set(Some(now));
            true
        }
    })
}

/// At the commit of a transaction that wrote (before it, its writes not yet visible: a folder
/// woken now folds them in its next round, within IDLE): wake() as wake_for_writer() does, if
/// due, without a statement, since anything that fails here fails the app's COMMIT. The
/// folder is the holder of its lock (src/locks.rs), tried without waiting.
fn wake_at_commit() {
    let owed = WAKE_AT_COMMIT.with(|c| c.replace(false));
    // SAFETY: reading recovery state.
    if unsafe { pg_sys::RecoveryInProgress() } || !guc::FOLD_WORKER.get() || !(writer_check_due() || owed) {
        return;
    }
    let now = std::time::Instant::now();
    if seen_folder(now).is_some_and(set_latch) {
        return;
    }
    if !folder_lock_free() {
        return; // a folder runs: it folds these writes in its next round
    }
    start_folder(now);
}

/// Whether no process holds the folder's lock (src/locks.rs) in this database. False when the
/// lock's key is not known yet in this session.
fn folder_lock_free() -> bool {
    crate::locks::free(crate::locks::Key::Folder)
}

/// Wakes the folder and waits, at most `max`, until the URLs `ids` have queue rows: for a
/// caller that leases URLs created since the last fold. When no folder can run (no worker slot
/// free, or annotate.fold_worker off), folds in this transaction instead. True when they all
/// have rows.
pub fn wait_for_rows(client: &mut SpiClient<'_>, ids: &[i32], max: Duration) -> SpiResult<bool> {
    // URLs this transaction made itself get their rows once it commits, not before: they are
    // not waited for.
    // SAFETY: this transaction's xid, if it has one.
    let ids: Vec<i32> = if unsafe { pg_sys::GetTopTransactionIdIfAny() } != pg_sys::InvalidTransactionId {
        let args: [DatumWithOid; 1] = [ids.to_vec().into()];
        let own: std::collections::HashSet<i32> =
            st::OWN_NEW_URLS.rows(client, &args, |r| r.get::<i32>(1))?.into_iter().flatten().collect();
        ids.iter().copied().filter(|id| !own.contains(id)).collect()
    } else {
        ids.to_vec()
    };
    let ids = ids.as_slice();
    if ids.is_empty() {
        return Ok(false);
    }
    wake();
    // Under REPEATABLE READ or SERIALIZABLE the rows a fold gives them from now on are never in
    // this transaction's snapshot: waiting for them only made every such call wait all of `max`
    // and then pass over them.
    if crate::access::transaction_snapshot() {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    loop {
        let args: [DatumWithOid; 1] = [ids.to_vec().into()];
        if st::FOLDS_DONE.one::<i64>(client, &args)?.unwrap_or(0) >= ids.len() as i64 {
            return Ok(true);
        }
        if started.elapsed() >= max {
            return Ok(false);
        }
        if started.elapsed() >= Duration::from_millis(20)
            && st::FOLDER_RUNNING.one::<i32>(client, &[])?.is_none()
        {
            fold(client)?;
        }
        std::thread::sleep(Duration::from_micros(500));
        pgrx::check_for_interrupts!();
    }
}

/// One round of the folder, in its transaction: attach a restored database, end the leases
/// that ran out, make an owed reconcile, fold. Whether it did anything, and whether work is
/// left that it could not do.
fn round(client: &mut SpiClient<'_>) -> SpiResult<(bool, bool)> {
    if st::ATTACH_RESTORED.one::<bool>(client, &[])? == Some(true) {
        log!("annotate_ext: the folder attached the restored database (its last objects came from several sessions)");
    }
    let expired = expire_leases(client)?;
    let reconciled = st::RECONCILE_OWED.one::<i64>(client, &[])?;
    if let Some(fixed) = reconciled {
        log!("annotate_ext: the folder made the reconcile owed (status(): reconcile_owed): {fixed} URLs and batches corrected");
    }
    let folded = fold(client)?;
    let progress = reconciled.is_some() || expired > 0 || folded.delta_rows > 0 || folded.moved_by_follows > 0;
    Ok((progress, folded.urls_left > 0 || folded.batches_left > 0))
}

/// The folder's main loop: fold, end leases that ran out, sleep annotate.fold_naptime; exit
/// when the extension is gone from the database or another folder holds the lock.
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn annotate_folder_main(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let database = pg_sys::Oid::from(arg.value() as u32);
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(database), None);
    guc::worker_defaults();

    // A writer's commit-time look (folder_lock_free()) holds the lock for a moment: tried
    // three times, 10 ms apart, before concluding that another folder runs.
    let mut alone = false;
    for attempt in 0..3 {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        alone = BackgroundWorker::transaction(|| {
            crate::statements::with_spi("starting the folder", |c| st::FOLDER_START.one::<bool>(c, &[]))
                .unwrap_or(false)
                && crate::locks::try_take(crate::locks::Key::Folder, false, true)
        });
        if alone {
            break;
        }
    }
    if !alone {
        return;
    }
    let mut last_work = std::time::Instant::now();
    let mut last_round = std::time::Instant::now();
    // Rounds in a row that found work left and could do none of it: pending writes of rows an
    // open transaction holds (a lease being taken), which a fold passes over. Each such round
    // reads them all again; the folder then waits longer between rounds (twice as long each
    // time, up to STALLED_MAX), and at least STALLED_GAP however often it is woken (readers
    // meeting those writes wake it on every call): it went round every 50 ms, and at every
    // reader's call, for as long as the transaction stayed open.
    let mut stalled: u32 = 0;
    while last_work.elapsed() < IDLE {
        let naptime = Duration::from_millis(guc::FOLD_NAPTIME.get().max(1) as u64);
        let wait = match stalled {
            0 => naptime,
            // Never shorter than the naptime set (it may be longer than STALLED_MAX).
            n => naptime.checked_mul(1 << n.min(16)).unwrap_or(STALLED_MAX).min(STALLED_MAX.max(naptime)),
        };
        if !BackgroundWorker::wait_latch(Some(wait)) {
            break;
        }
        if stalled > 0 {
            while last_round.elapsed() < STALLED_GAP {
                std::thread::sleep(Duration::from_millis(5));
                pgrx::check_for_interrupts!();
                if BackgroundWorker::sigterm_received() {
                    return;
                }
            }
        }
        if BackgroundWorker::sighup_received() {
            // SAFETY: the configuration reload a backend does on SIGHUP.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        let go_on = BackgroundWorker::transaction(|| {
            crate::statements::with_spi("folding", |client| {
                if st::FOLDER_ROUND.one::<bool>(client, &[])? != Some(true) {
                    return Ok(None); // DROP EXTENSION
                }
                // Planning the round's queries would run a table owner's code with the
                // folder's rights (sql/requirements.sql, planner_hazards()): no round then.
                if let Some(problem) = crate::access::planner_hazards(client)? {
                    if !HAZARD_LOGGED.with(|l| l.replace(true)) {
                        warning!("annotate_ext: the folder does not fold: {problem}");
                    }
                    return Ok(Some((false, false)));
                }
                // In a subtransaction: a lock another transaction holds past the round's
                // lock_timeout (a migration's on an app table a follow change's fold or an owed
                // reconcile reads), or a deadlock, undoes the round and the folder tries again
                // later, backing off as when stalled. It exited with the bare error instead,
                // and was started again by the next writer.
                let round = crate::errors::in_subtransaction(|| {
                    round(client).unwrap_or_else(|e| error!("annotate_ext: the folder's round: {e}"))
                });
                match round {
                    Ok(done) => Ok(Some(done)),
                    Err(e)
                        if matches!(
                            e.code,
                            PgSqlErrorCode::ERRCODE_LOCK_NOT_AVAILABLE | PgSqlErrorCode::ERRCODE_T_R_DEADLOCK_DETECTED
                        ) =>
                    {
                        let due = WAITED.with(|w| {
                            let mut waited = w.get();
                            let due = waited.failed(std::time::Instant::now());
                            w.set(waited);
                            due
                        });
                        if let Some(since) = due {
                            log!(
                                "annotate_ext: the folder gave up a round: {} (SQLSTATE {}); another transaction held a lock it needs \
                                 (a migration's on an app table, say) past its lock_timeout of 200 ms; it tries again, less often \
                                 while this lasts ({since} round(s) given up since the last such line)",
                                e.message,
                                e.sqlstate()
                            );
                        }
                        Ok(Some((false, true)))
                    }
                    Err(e) => e.raise_as(e.message.clone()),
                }
            })
        });
        last_round = std::time::Instant::now();
        match go_on {
            Some((progress, left)) => {
                if progress || left {
                    last_work = std::time::Instant::now();
                }
                stalled = if !progress && left { stalled.saturating_add(1) } else { 0 };
            }
            None => break,
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use std::time::Instant;

    #[test]
    fn failed_starts_are_retried_after_a_second_and_logged_once_a_minute() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut s = Starts::default();
        assert!(s.may_try(t0));
        assert_eq!(s.failed(at(0)), Some(1), "the first failure is logged");
        assert!(!s.may_try(at(999)), "no new attempt within a second");
        assert!(s.may_try(at(1_000)));
        // A failure a second for 59 s: not logged, counted.
        for i in 1..60 {
            assert_eq!(s.failed(at(i * 1_000)), None);
        }
        assert_eq!(s.failed(at(60_000)), Some(60), "a minute later, with the failures since");
        assert_eq!(s.failed(at(61_000)), None);
        // Once a folder ran, the next failure is logged at once and retried as before.
        s.ran();
        assert!(s.may_try(at(61_001)));
        assert_eq!(s.failed(at(61_500)), Some(1));
        assert!(!s.may_try(at(62_000)));
    }
}
