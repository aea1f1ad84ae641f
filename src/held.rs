//! The writes a transaction made, held in the backend until they are needed: the deltas the
//! capture triggers make (src/triggers.rs) are kept here, netted URL by URL, and appended to
//! annotate_internal.queue_delta once, as the transaction commits (or prepares), or sooner when
//! one of this transaction's own statements is about to read the extension's tables.
//!
//! Why: a POST's four inserts are one change of one URL, and a flag set and cleared in one
//! transaction is none. Appended statement by statement, they cost the writer a heap and an
//! index insert each, and the folder a row each to read, sum and delete. Held, they cost one
//! insert per transaction, of what is left once they are netted.
//!
//! What keeps it exact:
//! - Nobody else can see a transaction's writes before it commits, so appending at its commit
//!   changes nothing for other sessions, the folder included.
//! - The transaction's own later statements do see them: any statement whose range table holds
//!   a table of annotate_internal writes out what is held first (before_executor, from the
//!   ExecutorStart hook in src/hooks.rs),
//!   with the command id of the statement that made the writes, so that they are visible to it
//!   as they were when the triggers appended them one by one. A statement whose snapshot is
//!   older than some of the writes (a cursor's) gets only those it sees; the others stay held.
//!   Writes of several commands are packed into one row only when netted (one URL's changes,
//!   which take the latest command's id). So does a statement that may run in parallel
//!   workers, which hold nothing. Utility statements that may read or change a table (a
//!   TRUNCATE, CLUSTER or ALTER TABLE of queue_delta, a COPY of it) write out what is held
//!   first (before_utility, from the ProcessUtility hook), so that they treat held writes as
//!   appended ones:
//!   a TRUNCATE voids them, a rewrite keeps them, a savepoint rolled back around either
//!   undoes it. attach() and detach() read the extension's tables before theirs, which writes
//!   out what is held, and a rebuild reads the app's tables, this transaction's writes
//!   included.
//! - A subtransaction that rolls back takes its writes with it: each is tagged with the
//!   subtransaction that made it. Written out from inside a subtransaction, a write of an
//!   enclosing one is kept here too (its copy in the table would go if the subtransaction
//!   rolled back) until the copy's subtransaction is part of the one that made it.
//! - At most HOLD_URLS URLs are held unwritten; past that they are written out, so that a bulk
//!   load holds a bounded amount of memory.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::CStr;

use pgrx::datum::{DatumWithOid, Uuid};
use pgrx::prelude::*;

use crate::statements::{self as st, with_spi};

/// One change of a URL's queue state (a row of queue_delta, without its xid).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delta {
    pub url_id: i32,
    pub batch_id: Option<i32>,
    pub d_batch: i32,
    pub d_exists: i32,
    pub d_manual: i32,
    pub d_user: i32,
    pub d_anon: i32,
    pub d_auto: i32,
    pub d_agency: i32,
    pub d_validated: i32,
    pub d_suspended: i32,
    pub done_user: Option<i32>,
    pub done_session: Option<Uuid>,
}

impl Delta {
    fn counts(&self) -> [i32; 9] {
        [
            self.d_batch,
            self.d_exists,
            self.d_manual,
            self.d_user,
            self.d_anon,
            self.d_auto,
            self.d_agency,
            self.d_validated,
            self.d_suspended,
        ]
    }

    fn with_counts(&self, url_id: i32, c: [i32; 9]) -> Delta {
        Delta {
            url_id,
            d_batch: c[0],
            d_exists: c[1],
            d_manual: c[2],
            d_user: c[3],
            d_anon: c[4],
            d_auto: c[5],
            d_agency: c[6],
            d_validated: c[7],
            d_suspended: c[8],
            ..self.clone()
        }
    }
}

/// The most URLs one row of queue_delta stands for: their array stays under the size at which
/// PostgreSQL would compress or move it out of line (TOAST, about 2 kB a row).
pub const PACK: usize = 400;

/// Past this many URLs held, what is held is written out.
const HOLD_URLS: usize = 50_000;

/// Appends `d` to the rows to write: to the last one when it makes the same change (a bulk
/// vote, flag or link: every row of the statement alike but for its URL), as one more URL,
/// else as a row of its own. A row is a change and the URLs it applies to, url_id first.
pub fn pack(rows: &mut Vec<(Delta, Vec<i32>)>, d: &Delta) {
    if let Some((last, more)) = rows.last_mut() {
        if more.len() + 1 < PACK && (Delta { url_id: last.url_id, ..d.clone() }) == *last {
            more.push(d.url_id);
            return;
        }
    }
    rows.push((d.clone(), Vec::new()));
}

/// The rows `rows` come to once netted URL by URL: the changes of one URL with the same batch
/// link and the same annotator are summed, and a sum of nothing is dropped (a flag set and
/// cleared, a vote made and taken back; its annotator is kept, which ends their lease). Kept
/// apart: a URL made or deleted (d_exists, whose deletion ends leases by transaction), and a
/// change of nothing (a row leaving a table that only ends leases: the fold logs its URL for
/// resume points, src/resume.rs). A sum stays within the table's smallint. Packed again.
#[cfg(test)]
pub fn net(rows: &[(Delta, Vec<i32>)]) -> Vec<(Delta, Vec<i32>)> {
    let rows: Vec<_> = rows.iter().map(|(d, more)| (d.clone(), more.clone(), 0)).collect();
    net_by_command(&rows).into_iter().flat_map(|(_, rows)| rows).collect()
}

/// net(), for rows made by several commands (`rows`: a change, its URLs and the id of the
/// command that made it): a URL's changes are netted whatever command made them, and the sum
/// takes the latest one's id; changes alike pack into one row only when their commands are
/// the same. The rows to write, by command id, in ascending order.
pub fn net_by_command(
    rows: &[(Delta, Vec<i32>, pg_sys::CommandId)],
) -> Vec<(pg_sys::CommandId, Vec<(Delta, Vec<i32>)>)> {
    type Key = (i32, Option<i32>, Option<i32>, Option<[u8; 16]>, usize);
    let mut sums: HashMap<Key, (Delta, [i32; 9], bool, pg_sys::CommandId)> = HashMap::new();
    let mut out: Vec<(pg_sys::CommandId, Delta)> = Vec::new();
    let mut apart = 0usize;
    for (d, more, cid) in rows {
        let c = d.counts();
        let nothing = c == [0; 9] && d.done_user.is_none() && d.done_session.is_none();
        for &url in std::iter::once(&d.url_id).chain(more) {
            let unique = if d.d_exists != 0 || nothing {
                apart += 1;
                apart
            } else {
                0
            };
            let key = (url, d.batch_id, d.done_user, d.done_session.map(|u| *u.as_bytes()), unique);
            let entry =
                sums.entry(key).or_insert_with(|| (d.with_counts(url, [0; 9]), [0; 9], nothing, *cid));
            if entry.1.iter().zip(c).any(|(s, x)| (s + x).abs() > i16::MAX as i32) {
                out.push((entry.3, entry.0.with_counts(url, entry.1)));
                entry.1 = [0; 9];
            }
            for (s, x) in entry.1.iter_mut().zip(c) {
                *s += x;
            }
            entry.3 = entry.3.max(*cid);
        }
    }
    for (d, c, nothing, cid) in sums.into_values() {
        let keep = nothing || c != [0; 9] || d.done_user.is_some() || d.done_session.is_some();
        if keep {
            out.push((cid, d.with_counts(d.url_id, c)));
        }
    }
    // By command, alike changes side by side, URLs in order, so that they pack into few rows.
    out.sort_by_key(|(cid, d)| {
        (*cid, d.counts(), d.batch_id, d.done_user, d.done_session.map(|u| *u.as_bytes()), d.url_id)
    });
    let mut by_command: Vec<(pg_sys::CommandId, Vec<(Delta, Vec<i32>)>)> = Vec::new();
    for (cid, d) in &out {
        match by_command.last_mut() {
            Some((last, packed)) if last == cid => pack(packed, d),
            _ => {
                let mut packed = Vec::new();
                pack(&mut packed, d);
                by_command.push((*cid, packed));
            }
        }
    }
    by_command
}

/// Writes held by this backend's transaction.
#[derive(Default)]
struct Held {
    /// The transaction they belong to (its local id).
    xact: u32,
    rows: Vec<HeldRow>,
    /// URLs held and not written out yet (the cap, HOLD_URLS, is on these).
    urls: usize,
    /// Rows not written out yet (copied is None), so that the hook's test costs nothing.
    unwritten: usize,
    /// Whether queue_delta is as this library knows it (so that writes can be held and written
    /// without SQL), as checked at this transaction's first write, and in which subtransaction
    /// (whose lock on the table goes when it rolls back).
    direct: Option<(bool, pg_sys::SubTransactionId)>,
}

impl Held {
    fn count(&mut self) {
        self.urls = self.rows.iter().filter(|r| r.copied.is_none()).map(|r| 1 + r.more.len()).sum();
        self.unwritten = self.rows.iter().filter(|r| r.copied.is_none()).count();
    }
}

struct HeldRow {
    /// The subtransaction that made the writes.
    sub: pg_sys::SubTransactionId,
    /// The command that made them (rows of several commands are not packed together).
    cid: pg_sys::CommandId,
    /// Written out already, from inside this (still open) subtransaction, which did not make
    /// them: the row stays held until that copy belongs to the subtransaction that did.
    copied: Option<pg_sys::SubTransactionId>,
    delta: Delta,
    more: Vec<i32>,
}

thread_local! {
    static HELD: RefCell<Held> = RefCell::new(Held::default());
}

thread_local! {
    /// queue_delta's OID as last looked up by name, and whether the table is as this library
    /// knows it (DeltaWriter::open()) once checked: forgotten when the table's cache entry is
    /// invalidated, which dropping or renaming it, and adding a column, index, trigger or
    /// constraint to it, all do (in this transaction as soon as its next command starts).
    static DELTA: Cell<Option<(pg_sys::Oid, pg_sys::Oid, Option<bool>)>> = const { Cell::new(None) };
    static DELTA_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

#[pg_guard]
unsafe extern "C-unwind" fn forget_delta(_arg: pg_sys::Datum, relid: pg_sys::Oid) {
    DELTA.with(|d| {
        if d.get().is_some_and(|(oid, _, _)| relid == pg_sys::InvalidOid || relid == oid) {
            d.set(None);
        }
    });
}

/// queue_delta's OID, if it is there.
fn delta_table() -> Option<pg_sys::Oid> {
    delta_and_schema().map(|(relid, _)| relid)
}

/// queue_delta's OID and its schema's (annotate_internal), if it is there.
fn delta_and_schema() -> Option<(pg_sys::Oid, pg_sys::Oid)> {
    if let Some((oid, schema, _)) = DELTA.with(|d| d.get()) {
        return Some((oid, schema));
    }
    let internal = crate::access::namespace("annotate_internal");
    let relid = crate::access::relation(internal, "queue_delta");
    if relid == pg_sys::InvalidOid {
        return None;
    }
    if !DELTA_CALLBACK.with(|c| c.replace(true)) {
        // SAFETY: registering a callback that only clears a cached value.
        unsafe { pg_sys::CacheRegisterRelcacheCallback(Some(forget_delta), pg_sys::Datum::from(0)) };
    }
    DELTA.with(|d| d.set(Some((relid, internal, None))));
    Some((relid, internal))
}

/// Whether queue_delta is as this library knows it, so that writes can be held and written
/// without SQL; takes the lock on it an INSERT takes, kept to the end of the transaction. The
/// table is opened and looked over only when its cache entry changed since the last time.
fn delta_table_plain() -> bool {
    let Some(relid) = delta_table() else { return false };
    if DELTA.with(|d| d.get()).is_some_and(|(_, _, plain)| plain.is_some()) {
        // SAFETY: a lock on a relation by OID; taking it anew reads the invalidations sent
        // meanwhile, which forget what was checked if the table changed.
        unsafe { pg_sys::LockRelationOid(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE) };
        if let Some((oid, _, Some(plain))) = DELTA.with(|d| d.get()) {
            if oid == relid {
                return plain;
            }
        }
    }
    let plain = DeltaWriter::open().map(DeltaWriter::close).is_some();
    DELTA.with(|d| {
        if let Some((oid, schema, _)) = d.get() {
            d.set(Some((oid, schema, Some(plain))));
        }
    });
    plain
}

/// Where one trigger call's deltas are held: the current subtransaction and command. None when
/// the table is not as this library knows it: the caller appends through SQL at once.
pub struct Holder {
    sub: pg_sys::SubTransactionId,
    cid: pg_sys::CommandId,
}

pub fn holder() -> Option<Holder> {
    // SAFETY: this backend's transaction state. The command id is marked used, as an insert
    // made now would mark it, so that the next command sees what this one holds.
    let (xact, sub, cid) = unsafe {
        ((*pg_sys::MyProc).lxid, pg_sys::GetCurrentSubTransactionId(), pg_sys::GetCurrentCommandId(true))
    };
    let unchecked = HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.xact != xact {
            *h = Held { xact, ..Held::default() };
        }
        h.direct.is_none()
    });
    if unchecked {
        // This transaction's first write (or the first since the subtransaction that checked
        // rolled back): the table's lock, as an INSERT takes it, kept to the end of the
        // transaction, as the catalog path keeps it.
        let plain = delta_table_plain();
        HELD.with(|h| h.borrow_mut().direct = Some((plain, sub)));
    }
    // Checked in this transaction: the table is there (write_out() looks again, in case this
    // transaction dropped the extension since).
    if !HELD.with(|h| h.borrow().direct.is_some_and(|(plain, _)| plain)) {
        return None;
    }
    Some(Holder { sub, cid })
}

impl Holder {
    /// Holds `d`; past HOLD_URLS URLs held, writes out what is held.
    pub fn hold(&self, d: &Delta) {
        let full = HELD.with(|h| {
            let mut h = h.borrow_mut();
            h.urls += 1;
            if let Some(last) = h.rows.last_mut() {
                if last.sub == self.sub
                    && last.cid == self.cid
                    && last.copied.is_none()
                    && last.more.len() + 1 < PACK
                    && (Delta { url_id: last.delta.url_id, ..d.clone() }) == last.delta
                {
                    last.more.push(d.url_id);
                    return h.urls > HOLD_URLS;
                }
            }
            h.unwritten += 1;
            h.rows.push(HeldRow {
                sub: self.sub,
                cid: self.cid,
                copied: None,
                delta: d.clone(),
                more: Vec::new(),
            });
            h.urls > HOLD_URLS
        });
        if full {
            write_out(None);
        }
    }
}

/// Whether this backend holds writes not yet written out.
pub fn holding() -> bool {
    HELD.with(|h| h.try_borrow().is_ok_and(|h| h.unwritten > 0))
}

/// Writes out what is held and not yet in the table, netted, as of the current subtransaction:
/// all of it, or (`before`) what commands before that one made (a statement whose snapshot
/// is older than this transaction's latest writes, a cursor's, must not see those, and they
/// stay held).
pub fn write_out(before: Option<pg_sys::CommandId>) {
    // SAFETY: this backend's transaction state.
    let (xact, sub) = unsafe { ((*pg_sys::MyProc).lxid, pg_sys::GetCurrentSubTransactionId()) };
    if delta_table().is_none() {
        // The extension is gone (dropped by this transaction): nothing to write to.
        HELD.with(|h| *h.borrow_mut() = Held::default());
        return;
    }
    let rows = HELD.with(|h| {
        let mut h = h.borrow_mut();
        if h.xact != xact {
            *h = Held { xact, ..Held::default() };
        }
        let mut rows = Vec::new();
        let mut kept = Vec::new();
        for mut r in std::mem::take(&mut h.rows) {
            if r.copied.is_some() || before.is_some_and(|b| r.cid >= b) {
                kept.push(r);
                continue;
            }
            rows.push((r.delta.clone(), r.more.clone(), r.cid));
            if r.sub >= sub {
                // Made here or in a subtransaction committed into this one: the copy is it.
                continue;
            }
            r.copied = Some(sub);
            kept.push(r);
        }
        h.rows = kept;
        h.count();
        rows
    });
    if rows.is_empty() {
        return;
    }
    let netted = net_by_command(&rows);
    if netted.is_empty() {
        return;
    }
    match DeltaWriter::open() {
        Some(mut w) => {
            // Each with the id of the command that made it (of the latest, for a URL's
            // changes netted from several): visible to the statements after it, as the row
            // would have been if the trigger had appended it.
            for (cid, rows) in &netted {
                w.write(rows, *cid);
            }
            w.close();
        }
        None => append_through_sql(&netted.into_iter().flat_map(|(_, rows)| rows).collect::<Vec<_>>()),
    }
}

/// Appends rows through the statement file, when the table is not as this library knows it (an
/// index, trigger or constraint its owner added): it names its columns and fires what is there.
pub fn append_through_sql(rows: &[(Delta, Vec<i32>)]) {
    crate::access::as_owner(|| {
        with_spi("capturing a write", |client| {
            for (d, more) in rows {
                for &url in std::iter::once(&d.url_id).chain(more) {
                    let args: [DatumWithOid; 13] = [
                        url.into(),
                        d.batch_id.into(),
                        d.d_batch.into(),
                        d.d_exists.into(),
                        d.d_manual.into(),
                        d.d_user.into(),
                        d.d_anon.into(),
                        d.d_auto.into(),
                        d.d_agency.into(),
                        d.d_validated.into(),
                        d.d_suspended.into(),
                        d.done_user.into(),
                        d.done_session.into(),
                    ];
                    st::CAPTURE.run(client, &args)?;
                }
            }
            Ok(())
        })
    })
}

/// Installs the transaction callbacks, once per process (in the postmaster when preloaded,
/// else in the backend that loads the library). The hooks that write out what is held before
/// a statement are src/hooks.rs's, calling before_executor() and before_utility().
pub fn init() {
    // SAFETY: callbacks are registered once, at load.
    unsafe {
        pg_sys::RegisterXactCallback(Some(at_transaction_end), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(at_subtransaction_end), std::ptr::null_mut());
    }
}

/// Before a statement that reads or writes a table of annotate_internal runs, or one that may
/// run in parallel workers (which hold nothing: a function they run may read the tables), what
/// this transaction holds is written out, as far as the statement's snapshot sees it: the
/// writes of the commands before it. Nothing is written in parallel mode (a statement inside
/// one that runs in parallel: what was held was written out before it).
///
/// # Safety
/// `query_desc` is the executor's valid query descriptor.
#[pg_guard]
pub unsafe extern "C-unwind" fn before_executor(query_desc: *mut pg_sys::QueryDesc) {
    // SAFETY: its planned statement's range table is a list of RangeTblEntry pointers, and its
    // snapshot, when set, a valid one.
    unsafe {
        if holding() && !pg_sys::IsInParallelMode() && (touches_ours(query_desc) || parallel(query_desc)) {
            let snapshot = (*query_desc).snapshot;
            write_out((!snapshot.is_null()).then(|| (*snapshot).curcid));
        }
    }
}

unsafe fn parallel(query_desc: *mut pg_sys::QueryDesc) -> bool {
    // SAFETY: see before_executor.
    unsafe {
        let stmt = (*query_desc).plannedstmt;
        !stmt.is_null() && (*stmt).parallelModeNeeded
    }
}

/// Before a utility statement, what this transaction holds is written out, but for those that
/// neither read nor change a table (transaction control, settings, cursors and prepared
/// statements, whose queries pass through before_executor): a TRUNCATE, CLUSTER or ALTER TABLE
/// of queue_delta then treats held writes as it treats appended ones (a TRUNCATE voids them, a
/// rewrite keeps them, a savepoint rolled back around either undoes it), and a COPY of the
/// table sees it.
///
/// # Safety
/// `pstmt` is null or the planned utility statement PostgreSQL hands to ProcessUtility.
#[pg_guard]
pub unsafe extern "C-unwind" fn before_utility(pstmt: *mut pg_sys::PlannedStmt) {
    // SAFETY: as above.
    unsafe {
        if holding()
            && !pg_sys::IsInParallelMode()
            && !pstmt.is_null()
            && may_touch_tables((*pstmt).utilityStmt)
        {
            write_out(None);
        }
    }
}

/// Whether a utility statement may read or change a table outside the executor.
unsafe fn may_touch_tables(node: *mut pg_sys::Node) -> bool {
    use pg_sys::NodeTag::*;
    if node.is_null() {
        return false;
    }
    // SAFETY: a parse node, whose first field is its tag.
    !matches!(
        unsafe { (*node).type_ },
        T_TransactionStmt
            | T_VariableSetStmt
            | T_VariableShowStmt
            | T_DeclareCursorStmt
            | T_FetchStmt
            | T_ClosePortalStmt
            | T_PrepareStmt
            | T_ExecuteStmt
            | T_DeallocateStmt
            | T_DoStmt
            | T_CallStmt
            | T_NotifyStmt
            | T_ListenStmt
            | T_UnlistenStmt
            | T_ExplainStmt
    )
}

unsafe fn touches_ours(query_desc: *mut pg_sys::QueryDesc) -> bool {
    // SAFETY: see before_executor.
    unsafe {
        let stmt = (*query_desc).plannedstmt;
        if stmt.is_null() || (*stmt).rtable.is_null() {
            return false;
        }
        let rtable = (*stmt).rtable;
        // The schema of queue_delta, remembered with it (no lookup by name per statement):
        // without the table there is nothing to write out to.
        let Some((_, internal)) = delta_and_schema() else { return false };
        (0..(*rtable).length as usize).any(|i| {
            let rte = (*(*rtable).elements.add(i)).ptr_value as *mut pg_sys::RangeTblEntry;
            !rte.is_null()
                && (*rte).rtekind == pg_sys::RTEKind::RTE_RELATION
                && pg_sys::get_rel_namespace((*rte).relid) == internal
        })
    }
}

/// At commit or prepare, what is held is written out; at the end of the transaction, either
/// way, nothing is held any more.
#[pg_guard]
unsafe extern "C-unwind" fn at_transaction_end(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    use pg_sys::XactEvent::*;
    match event {
        XACT_EVENT_PRE_COMMIT | XACT_EVENT_PRE_PREPARE => {
            if holding() {
                write_out(None);
            }
        }
        XACT_EVENT_COMMIT | XACT_EVENT_ABORT | XACT_EVENT_PREPARE | XACT_EVENT_PARALLEL_ABORT => {
            HELD.with(|h| {
                if let Ok(mut h) = h.try_borrow_mut() {
                    *h = Held::default();
                }
            });
        }
        _ => {}
    }
}

/// A subtransaction rolled back takes the writes it (and those inside it) made, and the copies
/// written out inside it; one committed passes its copies on to its parent, and a held row
/// whose copy now belongs to the subtransaction that made it is held no more.
#[pg_guard]
unsafe extern "C-unwind" fn at_subtransaction_end(
    event: pg_sys::SubXactEvent::Type,
    sub: pg_sys::SubTransactionId,
    parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::SubXactEvent::*;
    HELD.with(|h| {
        let Ok(mut h) = h.try_borrow_mut() else { return };
        match event {
            SUBXACT_EVENT_ABORT_SUB => {
                h.rows.retain(|r| r.sub < sub);
                for r in h.rows.iter_mut() {
                    if r.copied.is_some_and(|c| c >= sub) {
                        r.copied = None;
                    }
                }
                if h.direct.is_some_and(|(_, at)| at >= sub) {
                    h.direct = None;
                }
            }
            SUBXACT_EVENT_COMMIT_SUB => {
                h.rows.retain(|r| !(r.copied == Some(sub) && r.sub >= parent));
                for r in h.rows.iter_mut() {
                    if r.copied == Some(sub) {
                        r.copied = Some(parent);
                    }
                }
                if h.direct.is_some_and(|(_, at)| at == sub) {
                    h.direct = h.direct.map(|(plain, _)| (plain, parent));
                }
            }
            _ => return,
        }
        h.count();
    });
}

/// The columns of annotate_internal.queue_delta, in order, with their types (sql/internal.sql).
const DELTA_COLUMNS: [(&str, pg_sys::BuiltinOid); 15] = {
    use pg_sys::BuiltinOid::{INT2OID, INT4ARRAYOID, INT4OID, UUIDOID, XID8OID};
    [
        ("xid", XID8OID),
        ("url_id", INT4OID),
        ("batch_id", INT4OID),
        ("d_batch", INT2OID),
        ("d_exists", INT2OID),
        ("d_manual", INT2OID),
        ("d_user", INT2OID),
        ("d_anon", INT2OID),
        ("d_auto", INT2OID),
        ("d_agency", INT2OID),
        ("d_validated", INT2OID),
        ("d_suspended", INT2OID),
        ("done_user", INT4OID),
        ("done_session", UUIDOID),
        ("more_urls", INT4ARRAYOID),
    ]
};

/// A memory context under the current one, for what one row or one batch allocates: reset
/// after it, so that a statement inserting millions of rows holds one row's or one batch's
/// memory at a time, not all of it until the trigger returns.
pub fn scratch_context(name: &'static CStr) -> pg_sys::MemoryContext {
    // SAFETY: a child of the current context (the trigger call's), deleted by its owner or
    // with its parent.
    unsafe {
        pg_sys::AllocSetContextCreateInternal(
            pg_sys::CurrentMemoryContext,
            name.as_ptr(),
            0,
            pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
        )
    }
}

/// Appends rows to annotate_internal.queue_delta as PostgreSQL writes its own catalogs (heap
/// inserts of up to BATCH rows at a time, heap_multi_insert, and their index entries, as
/// CatalogIndexInsert makes them), with the command id of the statement that made the writes,
/// without the executor, SPI or a plan. The table has no trigger, no constraint but NOT NULL,
/// and a plain index; its columns and their types are checked when it is opened, and None
/// returned when they are not the ones this library knows (the caller's SQL fallback writes
/// them then). So are its indexes, triggers and CHECK constraints: this path evaluates no index
/// expression or predicate and fires nothing, so an index, trigger or constraint someone added
/// to the table (its owner can) sends the writes through SQL instead of past it or into a
/// crash. No privilege is checked: only the capture triggers' writes get here.
struct DeltaWriter {
    rel: pg_sys::Relation,
    indexes: pg_sys::CatalogIndexState,
    slots: Vec<*mut pg_sys::TupleTableSlot>,
    xid: pg_sys::Datum,
    /// What a batch allocates (its uuids and URL arrays, heap_multi_insert's arrays, index
    /// entries), reset after each one.
    batch: pg_sys::MemoryContext,
}

impl DeltaWriter {
    const BATCH: usize = 1000;

    fn open() -> Option<Self> {
        let relid = delta_table()?;
        // SAFETY: the relation is opened with the lock an INSERT takes (kept to the end of the
        // transaction, as the executor keeps it), its descriptor and indexes read while it is
        // open, and what was opened closed again when the table is not the one expected.
        unsafe {
            let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
            let desc = (*rel).rd_att;
            let natts = (*desc).natts as usize;
            let attrs = (*desc).attrs.as_slice(natts);
            let known = natts == DELTA_COLUMNS.len()
                && attrs.iter().zip(DELTA_COLUMNS).all(|(a, (name, ty))| {
                    !a.attisdropped
                        && a.atttypid == ty.value()
                        && CStr::from_ptr(a.attname.data.as_ptr()).to_bytes() == name.as_bytes()
                });
            let constr = (*desc).constr;
            // A heap (sql/internal.sql makes it one): the tuples below are heap tuples.
            let plain_table = (*(*rel).rd_rel).relam == pg_sys::HEAP_TABLE_AM_OID
                && (*rel).trigdesc.is_null()
                && (constr.is_null() || (*constr).num_check == 0);
            let indexes = pg_sys::CatalogOpenIndexes(rel);
            if !known || !plain_table || !plain_indexes(indexes) {
                pg_sys::CatalogCloseIndexes(indexes);
                pg_sys::table_close(rel, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
                return None;
            }
            Some(DeltaWriter {
                rel,
                indexes,
                slots: Vec::new(),
                xid: pg_sys::Datum::from(pg_sys::GetTopFullTransactionId().value),
                batch: scratch_context(c"annotate_ext delta batch"),
            })
        }
    }

    fn write(&mut self, rows: &[(Delta, Vec<i32>)], cid: pg_sys::CommandId) {
        for chunk in rows.chunks(Self::BATCH) {
            self.write_batch(chunk, cid);
        }
    }

    fn write_batch(&mut self, rows: &[(Delta, Vec<i32>)], cid: pg_sys::CommandId) {
        let small = |v: i32| pg_sys::Datum::from(v.clamp(i16::MIN.into(), i16::MAX.into()) as i16);
        // SAFETY: each slot is made for the table's descriptor; its values are set in the
        // descriptor's order and types (checked in open()). What they point to (a uuid, an
        // int4 array) is allocated in the batch context, as is what heap_multi_insert and the
        // index entries leave in the current one; the slots' tuples, formed in the slots' own
        // context, are freed by ExecClearTuple, after which nothing points into the batch
        // context and it is reset. The index entries are made as CatalogIndexInsert makes them
        // (no executor state: open() allowed plain indexes only), for the tuple ids
        // heap_multi_insert set in the slots.
        unsafe {
            // Slots live as long as the writer.
            while self.slots.len() < rows.len() {
                self.slots
                    .push(pg_sys::MakeSingleTupleTableSlot((*self.rel).rd_att, &pg_sys::TTSOpsHeapTuple));
            }
            let outer = pg_sys::CurrentMemoryContext;
            pg_sys::CurrentMemoryContext = self.batch;
            for ((d, more), &slot) in rows.iter().zip(&self.slots) {
                pg_sys::ExecClearTuple(slot);
                let session = d.done_session.map(|u| {
                    let p = pg_sys::palloc(16).cast::<u8>();
                    std::ptr::copy_nonoverlapping(u.as_bytes().as_ptr(), p, 16);
                    pg_sys::Datum::from(p)
                });
                let urls = (!more.is_empty()).then(|| {
                    let mut elems: Vec<pg_sys::Datum> =
                        more.iter().map(|&u| pg_sys::Datum::from(u)).collect();
                    let array = pg_sys::construct_array(
                        elems.as_mut_ptr(),
                        elems.len() as i32,
                        pg_sys::INT4OID,
                        4,
                        true,
                        pg_sys::TYPALIGN_INT as std::ffi::c_char,
                    );
                    pg_sys::Datum::from(array)
                });
                let values = [
                    self.xid,
                    pg_sys::Datum::from(d.url_id),
                    pg_sys::Datum::from(d.batch_id.unwrap_or(0)),
                    small(d.d_batch),
                    small(d.d_exists),
                    small(d.d_manual),
                    small(d.d_user),
                    small(d.d_anon),
                    small(d.d_auto),
                    small(d.d_agency),
                    small(d.d_validated),
                    small(d.d_suspended),
                    pg_sys::Datum::from(d.done_user.unwrap_or(0)),
                    session.unwrap_or(pg_sys::Datum::from(0)),
                    urls.unwrap_or(pg_sys::Datum::from(0)),
                ];
                let mut nulls = [false; 15];
                nulls[2] = d.batch_id.is_none();
                nulls[12] = d.done_user.is_none();
                nulls[13] = session.is_none();
                nulls[14] = urls.is_none();
                std::ptr::copy_nonoverlapping(values.as_ptr(), (*slot).tts_values, values.len());
                std::ptr::copy_nonoverlapping(nulls.as_ptr(), (*slot).tts_isnull, nulls.len());
                pg_sys::ExecStoreVirtualTuple(slot);
            }
            let n = rows.len();
            pg_sys::heap_multi_insert(
                self.rel,
                self.slots.as_mut_ptr(),
                n as i32,
                cid,
                0,
                std::ptr::null_mut(),
            );
            let indexes = (*self.indexes).ri_NumIndices.max(0) as usize;
            for &slot in &self.slots[..n] {
                for i in 0..indexes {
                    let info = *(*self.indexes).ri_IndexRelationInfo.add(i);
                    if !(*info).ii_ReadyForInserts {
                        continue;
                    }
                    let index = *(*self.indexes).ri_IndexRelationDescs.add(i);
                    let mut values = [pg_sys::Datum::from(0); pg_sys::INDEX_MAX_KEYS as usize];
                    let mut isnull = [false; pg_sys::INDEX_MAX_KEYS as usize];
                    pg_sys::FormIndexDatum(
                        info,
                        slot,
                        std::ptr::null_mut(),
                        values.as_mut_ptr(),
                        isnull.as_mut_ptr(),
                    );
                    let check = if (*(*index).rd_index).indisunique {
                        pg_sys::IndexUniqueCheck::UNIQUE_CHECK_YES
                    } else {
                        pg_sys::IndexUniqueCheck::UNIQUE_CHECK_NO
                    };
                    pg_sys::index_insert(
                        index,
                        values.as_mut_ptr(),
                        isnull.as_mut_ptr(),
                        &mut (*slot).tts_tid,
                        self.rel,
                        check,
                        false,
                        info,
                    );
                }
            }
            pg_sys::CurrentMemoryContext = outer;
            for &slot in &self.slots[..n] {
                pg_sys::ExecClearTuple(slot);
            }
            pg_sys::MemoryContextReset(self.batch);
        }
    }

    fn close(self) {
        // SAFETY: the slots, indexes and table opened in open() and write(), closed once; the
        // table's lock is kept to the end of the transaction.
        unsafe {
            for &slot in &self.slots {
                pg_sys::ExecDropSingleTupleTableSlot(slot);
            }
            pg_sys::CatalogCloseIndexes(self.indexes);
            pg_sys::table_close(self.rel, pg_sys::NoLock as pg_sys::LOCKMODE);
            pg_sys::MemoryContextDelete(self.batch);
        }
    }
}

/// Whether every index CatalogOpenIndexes opened is one this path maintains correctly: no
/// expression, no predicate, no exclusion constraint, uniqueness checked at once.
///
/// # Safety
/// `indexes` is a live result of CatalogOpenIndexes.
unsafe fn plain_indexes(indexes: pg_sys::CatalogIndexState) -> bool {
    let n = (*indexes).ri_NumIndices.max(0) as usize;
    (0..n).all(|i| {
        let info = *(*indexes).ri_IndexRelationInfo.add(i);
        let index = *(*indexes).ri_IndexRelationDescs.add(i);
        (*info).ii_Expressions.is_null()
            && (*info).ii_Predicate.is_null()
            && (*info).ii_ExclusionOps.is_null()
            && (*(*index).rd_index).indimmediate
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    fn d(url: i32) -> Delta {
        Delta { url_id: url, ..Delta::default() }
    }

    #[test]
    fn a_bulk_statements_rows_with_one_change_are_one_row_of_up_to_pack_urls() {
        let vote = |url| Delta { d_auto: 1, ..d(url) };
        let mut rows = Vec::new();
        for url in 1..=(PACK as i32 + 5) {
            pack(&mut rows, &vote(url));
        }
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, vote(1));
        assert_eq!(rows[0].1, (2..=PACK as i32).collect::<Vec<_>>());
        assert_eq!(rows[1], (vote(PACK as i32 + 1), (PACK as i32 + 2..=PACK as i32 + 5).collect()));
    }

    #[test]
    fn rows_with_another_change_or_voter_are_not_packed_together() {
        let mut rows = Vec::new();
        let v = |url, d_auto, done_user| Delta { d_auto, done_user, ..d(url) };
        for delta in [v(1, 1, None), v(2, -1, None), v(3, -1, None), v(4, -1, Some(7)), v(5, -1, Some(8))] {
            pack(&mut rows, &delta);
        }
        let urls: Vec<(i32, Vec<i32>)> = rows.iter().map(|(d, more)| (d.url_id, more.clone())).collect();
        assert_eq!(urls, vec![(1, vec![]), (2, vec![3]), (4, vec![]), (5, vec![])]);
    }

    #[test]
    fn a_posts_four_annotations_of_one_url_are_one_row() {
        let user = Some(3);
        let rows = vec![
            (Delta { d_user: 1, done_user: user, ..d(7) }, vec![]),
            (Delta { done_user: user, ..d(7) }, vec![]),
            (Delta { d_agency: 1, done_user: user, ..d(7) }, vec![]),
            (Delta { done_user: user, ..d(7) }, vec![]),
        ];
        assert_eq!(net(&rows), vec![(Delta { d_user: 1, d_agency: 1, done_user: user, ..d(7) }, vec![])]);
    }

    #[test]
    fn writes_that_cancel_out_leave_nothing_but_their_annotator() {
        let on: Vec<_> = (1..=100).collect();
        let rows = vec![
            (Delta { d_suspended: 1, ..d(0) }, on.clone()),
            (Delta { d_suspended: -1, ..d(0) }, on),
            (Delta { d_auto: 1, ..d(500) }, vec![]),
            (Delta { d_auto: -1, ..d(500) }, vec![]),
            (Delta { d_user: 1, done_user: Some(4), ..d(600) }, vec![]),
            (Delta { d_user: -1, ..d(600) }, vec![]),
        ];
        // The vote on 600 and its removal have different annotators (a removal names none): the
        // sum of each is kept, so the lease of user 4 ends and the count comes back to zero.
        let netted = net(&rows);
        assert_eq!(
            netted,
            vec![
                (Delta { d_user: -1, ..d(600) }, vec![]),
                (Delta { d_user: 1, done_user: Some(4), ..d(600) }, vec![]),
            ]
        );
    }

    #[test]
    fn a_url_made_or_deleted_and_a_change_of_nothing_are_kept_as_they_are() {
        let rows = vec![
            (Delta { d_exists: 1, ..d(9) }, vec![]),
            (Delta { d_exists: -1, ..d(9) }, vec![]),
            (d(8), vec![]),
            (d(8), vec![]),
        ];
        let netted = net(&rows);
        let urls = |exists: i32| -> Vec<i32> {
            netted
                .iter()
                .filter(|(d, _)| d.d_exists == exists)
                .flat_map(|(d, more)| std::iter::once(d.url_id).chain(more.iter().copied()))
                .collect()
        };
        assert_eq!((urls(1), urls(-1), urls(0)), (vec![9], vec![9], vec![8, 8]), "{netted:?}");
    }

    #[test]
    fn a_sum_stays_within_a_smallint() {
        let rows: Vec<_> = (0..40_000).map(|_| (Delta { d_agency: 1, ..d(1) }, vec![])).collect();
        let netted = net(&rows);
        assert_eq!(netted.iter().map(|(d, _)| d.d_agency).sum::<i32>(), 40_000);
        assert!(netted.iter().all(|(d, _)| d.d_agency <= i16::MAX as i32));
    }

    #[test]
    fn changes_of_several_commands_net_by_url_and_pack_by_command() {
        let vote = |url| Delta { d_auto: 1, ..d(url) };
        // Two statements' alike votes on other URLs: a row each, with its own command id, so
        // that a snapshot taken between the two sees the first.
        let rows = vec![(vote(7), vec![], 1), (vote(8), vec![9], 3)];
        assert_eq!(net_by_command(&rows), vec![(1, vec![(vote(7), vec![])]), (3, vec![(vote(8), vec![9])])]);
        // A POST's four statements on one URL: one row, with the latest id.
        let user = Some(3);
        let rows = vec![
            (Delta { d_user: 1, done_user: user, ..d(7) }, vec![], 4),
            (Delta { done_user: user, ..d(7) }, vec![], 5),
            (Delta { d_agency: 1, done_user: user, ..d(7) }, vec![], 6),
        ];
        assert_eq!(
            net_by_command(&rows),
            vec![(6, vec![(Delta { d_user: 1, d_agency: 1, done_user: user, ..d(7) }, vec![])])]
        );
    }

    #[test]
    fn netted_changes_alike_pack_together() {
        let rows: Vec<_> = (1..=10).rev().map(|u| (Delta { d_auto: 1, ..d(u) }, vec![])).collect();
        assert_eq!(net(&rows), vec![(Delta { d_auto: 1, ..d(1) }, (2..=10).collect())]);
    }
}
