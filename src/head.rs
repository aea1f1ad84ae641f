//! Where the unleased range of `queue_order` starts, as far as leasing walks know.
//!
//! Every lease moves its URL's entry out of the unleased range and leaves a dead one where it
//! was, at the head of that range, until the queue is vacuumed; while any transaction older than
//! the lease is open, a walk cannot even mark it dead and visits the heap for it. A walk from the
//! head steps over all of them: at 100k URLs, 20,000 leases since the last vacuum made a leasing
//! walk read some 235 index pages instead of 15, and a transaction left open made throughput
//! fall below a third. So a leasing walk starts where the last one found the first live entry
//! (`sql/queries/walk_lease.sql`), kept here per database in shared memory.
//!
//! Why a walk from there misses no free URL. Leasing only takes entries out of the unleased
//! range. Every transaction that can put one back in (a fold: votes, flags, follows, new URLs,
//! leases ended by annotating; a lease ending or released) calls [`moving`] before it commits:
//! that forgets the head and counts the transaction in flight until it commits or aborts, when
//! the head is forgotten again. A walk reads the head (and the version counting those events)
//! before its statement takes its snapshot, and uses it only when no such transaction is in
//! flight; after the statement, if the version moved, a transaction may have committed between
//! the read and the snapshot, and the call undoes its leases and walks from the start of the
//! range instead. A walk that finds the version unmoved records the first live entry it saw (not
//! the first it leased: entries before that one, another caller's in-flight lease or one the
//! caller annotated, are free to others). Any other statement that writes the queue (a DBA's
//! UPDATE, a script) counts as moving too: an executor hook sees it. A new table (TRUNCATE,
//! attach's rebuild, VACUUM FULL) has a new relfilenode, which the head records. No head is
//! used or recorded by a walk under REPEATABLE READ or SERIALIZABLE (its snapshot may predate
//! the read), nor recorded by a transaction that wrote before its walk (it may hold leases of
//! its own, uncommitted, which its walk saw out of the range and a rollback puts back), nor on a
//! server that allows prepared transactions (max_prepared_transactions
//! above 0: COMMIT PREPARED makes a transaction's changes visible where no callback sees it);
//! a PREPARE that moved entries stops heads for its database in any case. Without
//! `shared_preload_libraries` there is no shared memory, and every walk starts at the start of
//! the range. Not seen: `COPY` into the queue (no executor), logical replication applying rows
//! to it, and a trigger someone adds to the queue that writes it while one of the extension's
//! own statements runs.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgLwLock, PgXactCallbackEvent};

/// Databases with a head of their own; past this many, the others walk from the head.
const SLOTS: usize = 64;

/// An entry's place in SPEC 3.2 order: keys 2-5 descending, then id ascending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub followed_any: bool,
    pub is_manual: bool,
    pub user_votes: i32,
    pub anon_votes: i32,
    pub auto_votes: i32,
    pub url_id: i32,
}

impl Key {
    /// Before every entry: a walk from here walks the whole range.
    pub const START: Key = Key {
        followed_any: true,
        is_manual: true,
        user_votes: i32::MAX,
        anon_votes: i32::MAX,
        auto_votes: i32::MAX,
        url_id: i32::MIN,
    };

    /// Where the key sorts: later in the walk is greater.
    fn rank(&self) -> (bool, bool, i64, i64, i64, i32) {
        (
            !self.followed_any,
            !self.is_manual,
            -i64::from(self.user_votes),
            -i64::from(self.anon_votes),
            -i64::from(self.auto_votes),
            self.url_id,
        )
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    database: pg_sys::Oid,
    /// Bumped by every transaction that may put entries back, when it starts to and when it ends.
    version: u64,
    /// Such transactions not yet committed or aborted.
    in_flight: u32,
    /// A prepared transaction moved entries: no head until restart.
    stopped: bool,
    head: Option<(Key, pg_sys::Oid)>, // and the queue's relfilenode it was found in
}

impl Slot {
    const EMPTY: Slot =
        Slot { database: pg_sys::InvalidOid, version: 0, in_flight: 0, stopped: false, head: None };
}

#[derive(Clone, Copy)]
pub struct Heads {
    slots: [Slot; SLOTS],
    /// Transactions that may put entries back in a database that has no slot (none was free):
    /// counted here, for every database, as a slot counts its own. While any is in flight no
    /// database claims a slot, so that no slot starts without counting one of them; a walk that
    /// would claim one checks that the version did not move since its read.
    unslotted: Slot,
}

impl Default for Heads {
    fn default() -> Self {
        Heads { slots: [Slot::EMPTY; SLOTS], unslotted: Slot::EMPTY }
    }
}

// SAFETY: plain data, no pointers.
unsafe impl PGRXSharedMemory for Heads {}

static SHARED: PgLwLock<Heads> = unsafe { PgLwLock::new(c"annotate_ext lease heads") };
static SHARED_READY: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// This transaction called moving() already.
    static MOVING: Cell<bool> = const { Cell::new(false) };
    /// The queue's OID in this backend's database, once looked up; reset by any pg_class change.
    static QUEUE: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) };
}

/// Called from _PG_init: the shared memory, in the postmaster, while shared_preload_libraries
/// load.
#[allow(unexpected_cfgs)] // pg_shmem_init! names every PostgreSQL version pgrx supports
pub fn init_shared() {
    pg_shmem_init!(SHARED);
    SHARED_READY.store(true, Ordering::Relaxed);
}

/// Before a statement's executor starts (src/hooks.rs): any statement not the extension's own
/// that writes the queue (a DBA's UPDATE, a script) may put entries back, and counts as
/// moving() too. The extension's own statements that put entries back call moving()
/// themselves, and the others must not count as doing so.
///
/// # Safety
/// `query_desc` is the executor's valid query descriptor.
pub unsafe fn executor_starting(query_desc: *mut pg_sys::QueryDesc) {
    // SAFETY: the planned statement's range table is a list of RangeTblEntry pointers.
    unsafe {
        if !crate::statements::ours_running() && writes_queue(query_desc) {
            moving();
        }
    }
}

unsafe fn writes_queue(query_desc: *mut pg_sys::QueryDesc) -> bool {
    // SAFETY: see executor_starting.
    unsafe {
        let stmt = (*query_desc).plannedstmt;
        if stmt.is_null()
            || ((*stmt).commandType == pg_sys::CmdType::CMD_SELECT
                && !(*stmt).hasModifyingCTE
                && (*stmt).rowMarks.is_null())
        {
            return false;
        }
        let rtable = (*stmt).rtable;
        if rtable.is_null() {
            return false;
        }
        let writes = (pg_sys::ACL_INSERT | pg_sys::ACL_UPDATE | pg_sys::ACL_DELETE) as pg_sys::AclMode;
        let mut queue = None;
        for i in 0..(*rtable).length as usize {
            let rte = (*(*rtable).elements.add(i)).ptr_value as *mut pg_sys::RangeTblEntry;
            if rte.is_null()
                || (*rte).rtekind != pg_sys::RTEKind::RTE_RELATION
                || (*rte).requiredPerms & writes == 0
            {
                continue;
            }
            let q = *queue.get_or_insert_with(queue_oid);
            if q != pg_sys::InvalidOid && (*rte).relid == q {
                return true;
            }
        }
        false
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn forget_queue(_arg: pg_sys::Datum, _cache: std::ffi::c_int, _hash: u32) {
    QUEUE.with(|q| q.set(None));
}

/// annotate_internal.queue's OID in this database (InvalidOid when the extension is not here).
pub(crate) fn queue_oid() -> pg_sys::Oid {
    if let Some(oid) = QUEUE.with(|q| q.get()) {
        return oid;
    }
    thread_local! { static REGISTERED: Cell<bool> = const { Cell::new(false) }; }
    // SAFETY: catalog lookups by name; the callback, registered once per backend, only resets
    // the cached OID.
    let oid = unsafe {
        if !REGISTERED.with(|r| r.replace(true)) {
            pg_sys::CacheRegisterSyscacheCallback(
                pg_sys::SysCacheIdentifier::RELOID as _,
                Some(forget_queue),
                pg_sys::Datum::from(0),
            );
        }
        let nsp = pg_sys::get_namespace_oid(c"annotate_internal".as_ptr(), true);
        if nsp == pg_sys::InvalidOid {
            pg_sys::InvalidOid
        } else {
            pg_sys::get_relname_relid(c"queue".as_ptr(), nsp)
        }
    };
    QUEUE.with(|q| q.set(Some(oid)));
    oid
}

pub(crate) fn database() -> pg_sys::Oid {
    // SAFETY: set once the backend is connected to its database.
    unsafe { pg_sys::MyDatabaseId }
}

/// This database's slot, claimed if it has none and one is free (and no transaction counted
/// in `unslotted` is in flight: see there).
fn slot(heads: &mut Heads) -> Option<&mut Slot> {
    slot_of(heads, database())
}

fn slot_of(heads: &mut Heads, db: pg_sys::Oid) -> Option<&mut Slot> {
    let claimable = heads.unslotted.in_flight == 0 && !heads.unslotted.stopped;
    let i = heads.slots.iter().position(|s| s.database == db).or_else(|| {
        claimable.then(|| heads.slots.iter().position(|s| s.database == pg_sys::InvalidOid)).flatten()
    })?;
    let s = &mut heads.slots[i];
    s.database = db;
    Some(s)
}

/// Frees the slot of database `db` (dropped: no session is connected to it), for another
/// database to claim. Its version goes on counting: a walk that read the slot before sees it
/// moved.
fn free(heads: &mut Heads, db: pg_sys::Oid) {
    if let Some(s) = heads.slots.iter_mut().find(|s| s.database == db) {
        *s = Slot { version: s.version + 1, ..Slot::EMPTY };
    }
}

/// Before a utility statement (src/hooks.rs): for `DROP DATABASE`, the OID of the database it
/// drops, if there is one; else InvalidOid.
///
/// # Safety
/// `pstmt` is the planned utility statement PostgreSQL hands to ProcessUtility.
#[pg_guard]
pub unsafe extern "C-unwind" fn dropping_database(pstmt: *mut pg_sys::PlannedStmt) -> pg_sys::Oid {
    // SAFETY: a utility statement's node, read as the type its tag names; the name looked up
    // without raising when missing.
    unsafe {
        let node = (*pstmt).utilityStmt;
        if !SHARED_READY.load(Ordering::Relaxed) || node.is_null() || (*node).type_ != pg_sys::NodeTag::T_DropdbStmt
        {
            return pg_sys::InvalidOid;
        }
        let stmt = node.cast::<pg_sys::DropdbStmt>();
        pg_sys::get_database_oid((*stmt).dbname, true)
    }
}

/// After `DROP DATABASE` dropped database `db` (src/hooks.rs): its slot is free again, for
/// another database to claim. Without this, once more than SLOTS databases had used leases on
/// a server (a test server creating and dropping them), every database after those walked
/// from the start of the range, at a cost growing with the leases taken since the last vacuum.
#[pg_guard]
pub extern "C-unwind" fn database_dropped(db: pg_sys::Oid) {
    if SHARED_READY.load(Ordering::Relaxed) && db != pg_sys::InvalidOid {
        free(&mut SHARED.exclusive(), db);
    }
}

/// For status(): whether this database holds a slot, and how many databases do (of SLOTS).
/// None without shared memory.
pub fn slots_used() -> Option<(bool, usize, usize)> {
    if !SHARED_READY.load(Ordering::Relaxed) {
        return None;
    }
    let db = database();
    let heads = SHARED.share();
    let used = heads.slots.iter().filter(|s| s.database != pg_sys::InvalidOid).count();
    Some((heads.slots.iter().any(|s| s.database == db), used, SLOTS))
}

/// Where a transaction that may put entries back is counted: this database's slot, or
/// `unslotted` when it had none.
fn counter(heads: &mut Heads, in_slot: bool) -> Option<&mut Slot> {
    if in_slot {
        slot(heads)
    } else {
        Some(&mut heads.unslotted)
    }
}

/// Called before this transaction changes the queue in a way that may put entries back into
/// the unleased range. Once per transaction; ends with it.
pub fn moving() {
    if !SHARED_READY.load(Ordering::Relaxed) || MOVING.with(|m| m.replace(true)) {
        return;
    }
    // Counted in this database's slot, or in `unslotted` when it has none and none is free.
    let in_slot = {
        let mut heads = SHARED.exclusive();
        let in_slot = slot(&mut heads).is_some();
        if let Some(s) = counter(&mut heads, in_slot) {
            s.version += 1;
            s.in_flight += 1;
            s.head = None;
        }
        in_slot
    };
    let ended = move || {
        MOVING.with(|m| m.set(false));
        let mut heads = SHARED.exclusive();
        if let Some(s) = counter(&mut heads, in_slot) {
            s.version += 1;
            s.in_flight = s.in_flight.saturating_sub(1);
            s.head = None;
        }
    };
    pgrx::register_xact_callback(PgXactCallbackEvent::Commit, ended);
    pgrx::register_xact_callback(PgXactCallbackEvent::Abort, ended);
    pgrx::register_xact_callback(PgXactCallbackEvent::Prepare, move || {
        MOVING.with(|m| m.set(false));
        let mut heads = SHARED.exclusive();
        if let Some(s) = counter(&mut heads, in_slot) {
            s.stopped = true;
            s.head = None;
        }
    });
}

/// What a walk read before its statement: where to start, and the version to check after.
#[derive(Clone, Copy, Debug)]
pub struct Read {
    pub start: Key,
    /// Whether `start` is a recorded head (not the start of the range).
    pub used: bool,
    version: Option<u64>,
    /// `unslotted`'s version, when this database had no slot at the read.
    unslotted: Option<u64>,
    file: pg_sys::Oid,
    /// Whether this transaction had written before the walk (it may have leased: its walk then
    /// does not see its own leases' URLs in the range, which a rollback puts back).
    wrote: bool,
}

/// The queue's relfilenode as this backend sees it now.
pub(crate) fn queue_file() -> pg_sys::Oid {
    let rel = queue_oid();
    if rel == pg_sys::InvalidOid {
        return pg_sys::InvalidOid;
    }
    // SAFETY: a relcache entry opened and closed at once.
    unsafe {
        let r = pg_sys::RelationIdGetRelation(rel);
        if r.is_null() {
            return pg_sys::InvalidOid;
        }
        let file = (*r).rd_node.relNode;
        pg_sys::RelationClose(r);
        file
    }
}

/// Whether this server may hold prepared transactions (max_prepared_transactions above 0): one
/// that moved entries becomes visible at COMMIT PREPARED, which no callback of ours sees, and it
/// may even outlive a restart. Then no head is used at all.
fn prepared_possible() -> bool {
    thread_local! { static POSSIBLE: Cell<Option<bool>> = const { Cell::new(None) }; }
    POSSIBLE.with(|p| {
        if let Some(possible) = p.get() {
            return possible;
        }
        // SAFETY: reads a setting by name; a null result (no such setting) counts as possible.
        let possible = unsafe {
            let v = pg_sys::GetConfigOption(c"max_prepared_transactions".as_ptr(), true, false);
            v.is_null() || std::ffi::CStr::from_ptr(v).to_bytes() != b"0"
        };
        p.set(Some(possible));
        possible
    })
}

/// Read before the walking statement runs (it takes its snapshot after this). Under REPEATABLE
/// READ or SERIALIZABLE the statement reuses the transaction's snapshot, which may be older than
/// this read: such a walk neither uses nor records a head.
pub fn read() -> Read {
    let file = queue_file();
    // SAFETY: this transaction's xid, if it has one.
    let wrote = unsafe { pg_sys::GetTopTransactionIdIfAny() } != pg_sys::InvalidTransactionId;
    let none = Read { start: Key::START, used: false, version: None, unslotted: None, file, wrote };
    let own_snapshot = crate::access::transaction_snapshot();
    if !SHARED_READY.load(Ordering::Relaxed)
        || MOVING.with(|m| m.get())
        || own_snapshot
        || prepared_possible()
    {
        return none;
    }
    let heads = SHARED.share();
    let Some(s) = heads.slots.iter().find(|s| s.database == database()) else {
        // No slot yet: a walk may claim one when it records a head, unless a transaction that
        // had no slot to be counted in is in flight.
        let u = heads.unslotted;
        if u.in_flight > 0 || u.stopped {
            return none;
        }
        return Read { version: Some(0), unslotted: Some(u.version), ..none };
    };
    if s.stopped || s.in_flight > 0 {
        return none;
    }
    match s.head {
        Some((key, f)) if f == file && file != pg_sys::InvalidOid => {
            Read { start: key, used: true, version: Some(s.version), unslotted: None, file, wrote }
        }
        _ => Read { version: Some(s.version), ..none },
    }
}

/// After the walking statement: records `first` (the first live entry the walk saw from
/// `read.start` on) as the head when nothing moved entries meanwhile. False when something
/// did and the walk started from a recorded head: then it may have passed over a URL put back
/// before its snapshot, and the caller must walk again from the start of the range.
pub fn after(read: &Read, first: Option<Key>) -> bool {
    if !SHARED_READY.load(Ordering::Relaxed) {
        return true;
    }
    let file = queue_file();
    let mut heads = SHARED.exclusive();
    let db = database();
    let current = heads.slots.iter().find(|s| s.database == db).copied();
    // A walk that found no slot records only if no transaction counted in `unslotted` began or
    // ended since its read: one that committed after the walk's snapshot may have put entries
    // back before the head the walk would record.
    let u = heads.unslotted;
    let unslotted_unmoved =
        read.unslotted.is_none_or(|v| u.version == v && u.in_flight == 0 && !u.stopped);
    let unmoved = unslotted_unmoved
        && match (read.version, current) {
            (Some(v), Some(s)) => s.version == v && s.in_flight == 0 && !s.stopped && file == read.file,
            (Some(0), None) => file == read.file,
            _ => false,
        };
    if !unmoved {
        return !read.used;
    }
    // A transaction that wrote before the walk may have leased URLs ahead of `first` (its walk
    // saw them out of the range), and they come back if it rolls back: it records nothing.
    if read.wrote {
        return true;
    }
    if let (Some(key), Some(s)) = (first, slot(&mut heads)) {
        if s.version == read.version.unwrap_or(0) && file != pg_sys::InvalidOid {
            let further = match s.head {
                Some((h, f)) if f == file => key.rank() > h.rank(),
                _ => true,
            };
            if further {
                s.head = Some((key, file));
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{free, slot_of, Heads, Key, SLOTS};
    use pgrx::pg_sys::Oid;

    #[test]
    fn a_dropped_databases_slot_is_claimed_again_unless_an_uncounted_move_is_in_flight() {
        let mut heads = Heads::default();
        for db in 1..=SLOTS as u32 {
            assert!(slot_of(&mut heads, Oid::from(db)).is_some());
        }
        let late = Oid::from(1000u32);
        assert!(slot_of(&mut heads, late).is_none(), "all slots taken");
        slot_of(&mut heads, Oid::from(7u32)).unwrap().version = 5;
        free(&mut heads, Oid::from(7u32));
        // A move in a database without a slot is counted apart; no slot is claimed meanwhile.
        heads.unslotted.in_flight = 1;
        assert!(slot_of(&mut heads, late).is_none());
        heads.unslotted.in_flight = 0;
        let s = slot_of(&mut heads, late).expect("the dropped database's slot");
        assert!(s.version > 5, "its version goes on counting: {}", s.version);
        assert!(s.head.is_none() && s.in_flight == 0 && !s.stopped);
        // Its own slot is found whatever else holds.
        heads.unslotted.in_flight = 3;
        assert!(slot_of(&mut heads, late).is_some());
    }

    fn k(f: bool, m: bool, u: i32, a: i32, r: i32, id: i32) -> Key {
        Key { followed_any: f, is_manual: m, user_votes: u, anon_votes: a, auto_votes: r, url_id: id }
    }

    #[test]
    fn rank_follows_spec_order() {
        // Followed before not, manual before not, more votes first, then the smaller id.
        assert!(k(true, false, 0, 0, 0, 9).rank() < k(false, true, 9, 9, 9, 1).rank());
        assert!(k(true, true, 0, 0, 0, 9).rank() < k(true, false, 9, 9, 9, 1).rank());
        assert!(k(true, true, 2, 0, 0, 9).rank() < k(true, true, 1, 9, 9, 1).rank());
        assert!(k(true, true, 1, 2, 0, 9).rank() < k(true, true, 1, 1, 9, 1).rank());
        assert!(k(true, true, 1, 1, 2, 9).rank() < k(true, true, 1, 1, 1, 1).rank());
        assert!(k(true, true, 1, 1, 1, 1).rank() < k(true, true, 1, 1, 1, 2).rank());
        // The start of the range comes before every key.
        assert!(Key::START.rank() < k(true, true, i32::MAX - 1, 0, 0, i32::MIN).rank());
        assert!(Key::START.rank() <= k(true, true, i32::MAX, i32::MAX, i32::MAX, i32::MIN).rank());
    }
}
