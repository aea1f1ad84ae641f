//! Resume points: where a caller's walk of the global order may start.
//!
//! A walk passes over the URLs the caller annotated that sit at the head of the order, a few
//! index probes each: a power annotator whose 40,000 annotations all sit there pays for 40,000
//! on every call. So when a walk of the global order passed over many (it touched at least
//! `annotate.resume_after` buffers), the first URL it found is kept here for that caller with
//! the walk's snapshot, and the caller's next walk starts there (`sql/queries/walk_resume.sql`), adding the URLs before it that
//! changed since (`sql/queries/walk_resume_more.sql`, run only when there may be any).
//!
//! Why that misses nothing. At the walk that recorded the point, no URL before it was the
//! caller's to get, apart from URLs with writes not yet folded (left out of every walk and
//! placed by the caller itself). Whatever can make a URL before the point the caller's to get
//! later is logged in `queue_moved` by the transaction that does it: a fold logs every URL whose
//! row it rewrote or whose writes it found cancelled out (new URLs, votes that move a URL up,
//! flags cleared, the caller's own annotations deleted: a row leaving an annotation table
//! appends a delta even when it changes no count); a change that reaches many rows at once (a
//! fold of more than 1,000 URLs, a batch's follow state, a `TRUNCATE` of an annotation table, any statement on the queue that
//! is not the extension's own, through a trigger) logs a row with no URL, which voids every
//! point from before it. A transaction the recording walk did not see has an xid at or above
//! its snapshot's xmin, so `queue_moved` from that xmin on holds every URL changed since (its
//! rows by transactions that snapshot saw committed are left out: the recording walk saw their
//! changes, and a long transaction holding the xmin back, the folder's round among them, would
//! otherwise make every later walk look again at what was folded before the point), and
//! writes not folded yet are pending at the next call as at the first. A point is used only by
//! a statement whose snapshot sees everything the recording one saw (another session of the
//! same caller may have recorded it after this statement began), and is void when more than
//! 1,000 URLs changed since or `queue_moved` was pruned past it. Leases do not matter: plain
//! selection counts leased URLs, and leasing walks use no resume point. A new table (attach's
//! rebuild) has a new relfilenode, which the point records, as it records those of the tables
//! that say what a caller annotated: their TRUNCATE empties them for older snapshots too,
//! where its log row is not seen. Writes that skip the triggers (a capture trigger disabled)
//! are followed by reconcile(), which voids every point.
//!
//! Not used or recorded under SERIALIZABLE (a walk that reads less takes fewer predicate
//! locks), on a standby, or without `shared_preload_libraries` (no shared memory); not used
//! by a READ COMMITTED transaction that wrote (its statements each take a snapshot) and not
//! recorded by any transaction that wrote (its own writes, pending to itself, may roll back).

use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgLwLock};

use crate::head::{self, Key};
use crate::caller::Caller;

/// Resume points kept, over all databases: a caller's point lives in one of the WAYS entries of
/// the set its identity hashes to; a newer caller hashing there takes over an empty entry, or
/// else the one recorded longest ago.
const ENTRIES: usize = 2048;
const WAYS: usize = 4;
/// The longest snapshot kept (its text: xmin:xmax:xip,...); a walk with a longer one, taken
/// while many transactions ran, records no point.
const SNAPSHOT_BYTES: usize = 200;

/// Whose point: a user id or an anonymous session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Nobody,
    User(i32),
    Session([u8; 16]),
}

#[derive(Clone, Copy)]
struct Entry {
    database: pg_sys::Oid,
    who: Who,
    scope: Scope,
    key: Key,
    /// The relfilenodes of the queue and of the tables that say what a caller annotated, when
    /// recorded (files()).
    files: u64,
    snapshot: [u8; SNAPSHOT_BYTES],
    snapshot_len: u8,
    /// When it was recorded (Points::clock), to choose the entry a new point takes over.
    stamp: u64,
}

impl Entry {
    const EMPTY: Entry = Entry {
        database: pg_sys::InvalidOid,
        who: Who::Nobody,
        scope: Scope::Batch(0),
        key: Key::START,
        files: 0,
        snapshot: [0; SNAPSHOT_BYTES],
        snapshot_len: 0,
        stamp: 0,
    };

    fn is(&self, db: pg_sys::Oid, who: Who, scope: Scope) -> bool {
        self.database == db && self.who == who && self.scope == scope
    }
}

#[derive(Clone, Copy)]
pub struct Points {
    entries: [Entry; ENTRIES],
    /// Points recorded so far: each entry's stamp.
    clock: u64,
}

impl Default for Points {
    fn default() -> Self {
        Points { entries: [Entry::EMPTY; ENTRIES], clock: 0 }
    }
}

impl Points {
    /// The entries a point for `db`, `who` and `scope` may live in.
    fn set(&self, db: pg_sys::Oid, who: Who, scope: Scope) -> &[Entry] {
        let first = set_index(db, who, scope) * WAYS;
        &self.entries[first..first + WAYS]
    }

    fn set_mut(&mut self, db: pg_sys::Oid, who: Who, scope: Scope) -> &mut [Entry] {
        let first = set_index(db, who, scope) * WAYS;
        &mut self.entries[first..first + WAYS]
    }
}

/// Which entry of a set a new point for `db`, `who` and `scope` goes to: the caller's own, else
/// an empty one, else the one recorded longest ago.
fn slot(set: &[Entry], db: pg_sys::Oid, who: Who, scope: Scope) -> usize {
    set.iter()
        .position(|e| e.is(db, who, scope))
        .or_else(|| set.iter().position(|e| e.who == Who::Nobody))
        .unwrap_or_else(|| (0..set.len()).min_by_key(|&i| set[i].stamp).unwrap_or(0))
}

// SAFETY: plain data, no pointers.
unsafe impl PGRXSharedMemory for Points {}

static SHARED: PgLwLock<Points> = unsafe { PgLwLock::new(c"annotate_ext resume points") };
static SHARED_READY: AtomicBool = AtomicBool::new(false);

/// Called from _PG_init, in the postmaster, while shared_preload_libraries load.
#[allow(unexpected_cfgs)] // pg_shmem_init! names every PostgreSQL version pgrx supports
pub fn init_shared() {
    pg_shmem_init!(SHARED);
    SHARED_READY.store(true, Ordering::Relaxed);
}

fn who(caller: &Caller) -> Who {
    match (caller.user(), caller.session()) {
        (Some(u), _) => Who::User(u),
        (None, Some(s)) => Who::Session(*s.as_bytes()),
        _ => Who::Nobody,
    }
}

fn set_index(db: pg_sys::Oid, who: Who, scope: Scope) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    u32::from(db).hash(&mut h);
    who.hash_into(&mut h);
    scope.hash(&mut h);
    (h.finish() % (ENTRIES / WAYS) as u64) as usize
}

impl Who {
    fn hash_into(&self, h: &mut impl std::hash::Hasher) {
        use std::hash::Hash;
        match self {
            Who::Nobody => 0u8.hash(h),
            Who::User(u) => (1u8, u).hash(h),
            Who::Session(s) => (2u8, s).hash(h),
        }
    }
}

/// The walk a point is for: the global order without the given batches (the caller's followed
/// ones, a hash of their sorted ids; 0 for none), or one batch's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Order(u64),
    Batch(i32),
}

impl Scope {
    /// The global order without `batches` (sorted).
    pub fn order_without(batches: &[i32]) -> Scope {
        use std::hash::{Hash, Hasher};
        if batches.is_empty() {
            return Scope::Order(0);
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        batches.hash(&mut h);
        Scope::Order(h.finish().max(1))
    }
}

/// A point past every entry: the walk it recorded found nothing. Keys 3-5 of -1 sort after
/// every count, which is never negative.
pub const END: Key = Key {
    followed_any: false,
    is_manual: false,
    user_votes: -1,
    anon_votes: -1,
    auto_votes: -1,
    url_id: i32::MAX,
};

/// A resume point to walk from: the first URL's keys and the recording walk's snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    pub key: Key,
    pub snapshot: String,
    files: u64,
}

/// Whether resume points may be used and recorded in this call: not under SERIALIZABLE, not on
/// a standby (a snapshot taken during recovery lists no running transaction in its text, so
/// the check that a point's snapshot is not newer than the statement's cannot be made), and
/// not in a READ COMMITTED transaction that wrote (each of the call's statements then takes a
/// snapshot of its own, and the writes not yet folded that the call placed were read in an
/// older one than the walk's).
fn possible() -> bool {
    // SAFETY: reads the transaction's isolation level, its xid if any, and recovery state.
    let (iso, wrote, recovery) = unsafe {
        (
            pg_sys::XactIsoLevel,
            pg_sys::GetTopTransactionIdIfAny() != pg_sys::InvalidTransactionId,
            pg_sys::RecoveryInProgress(),
        )
    };
    crate::guc::RESUME_AFTER.get() >= 0
        && SHARED_READY.load(Ordering::Relaxed)
        && iso < pg_sys::XACT_SERIALIZABLE as i32
        && !(wrote && iso < pg_sys::XACT_REPEATABLE_READ as i32)
        && !recovery
}

/// The tables a point depends on beyond what queue_moved logs: the queue (a rebuild is a new
/// table) and the eight that say what a caller annotated (`annotate_internal.is_done`), whose
/// TRUNCATE empties them for snapshots that predate it too. A hash of their relfilenodes, as
/// this backend sees them; 0 when the queue is missing.
fn files() -> u64 {
    use std::hash::{Hash, Hasher};
    const DONE: [&std::ffi::CStr; 8] = [
        c"annotation__url_type__user",
        c"annotation__agency__user",
        c"annotation__location__user",
        c"annotation__record_type__user",
        c"annotation__url_type__anon",
        c"annotation__agency__anon",
        c"annotation__location__anon",
        c"annotation__record_type__anon",
    ];
    let queue = head::queue_file();
    if queue == pg_sys::InvalidOid {
        return 0;
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    u32::from(queue).hash(&mut h);
    // SAFETY: catalog lookups by name and relcache entries opened and closed at once.
    unsafe {
        let public = pg_sys::get_namespace_oid(c"public".as_ptr(), true);
        for name in DONE {
            let rel = pg_sys::get_relname_relid(name.as_ptr(), public);
            let mut file = pg_sys::InvalidOid;
            if rel != pg_sys::InvalidOid {
                let r = pg_sys::RelationIdGetRelation(rel);
                if !r.is_null() {
                    file = (*r).rd_node.relNode;
                    pg_sys::RelationClose(r);
                }
            }
            u32::from(file).hash(&mut h);
        }
    }
    h.finish().max(1)
}

/// The caller's point in the global order (`batch` None) or in one batch's order, if it has one
/// in this database.
pub fn point(caller: &Caller, scope: Scope) -> Option<Point> {
    if !possible() {
        return None;
    }
    let who = who(caller);
    if who == Who::Nobody {
        return None;
    }
    let db = head::database();
    let points = SHARED.share();
    let e = points.set(db, who, scope).iter().find(|e| e.is(db, who, scope))?;
    Some(Point {
        key: e.key,
        snapshot: String::from_utf8_lossy(&e.snapshot[..usize::from(e.snapshot_len)]).into_owned(),
        files: e.files,
    })
}

/// How many resume points this database's callers have (status()); None without shared
/// memory (annotate_ext not in shared_preload_libraries).
pub fn count() -> Option<usize> {
    if !SHARED_READY.load(Ordering::Relaxed) {
        return None;
    }
    let db = head::database();
    let points = SHARED.share();
    Some(points.entries.iter().filter(|e| e.database == db && e.who != Who::Nobody).count())
}

/// After a walk from `point`: whether the tables it depends on are the ones it was recorded
/// with. Asked after the statement, which locked them, so that a TRUNCATE it waited for shows.
pub fn same_files(point: &Point) -> bool {
    point.files == files()
}

/// Records `key`, the first URL a walk of the global order found, with the walk's snapshot,
/// as the caller's point. Nothing when this transaction wrote (its own writes may roll back) or
/// the snapshot is too long to keep.
pub fn record(caller: &Caller, scope: Scope, key: Key, snapshot: &str) {
    // SAFETY: reads this transaction's xid, if it has one.
    let wrote = unsafe { pg_sys::GetTopTransactionIdIfAny() } != pg_sys::InvalidTransactionId;
    let who = who(caller);
    if !possible() || wrote || who == Who::Nobody || snapshot.len() > SNAPSHOT_BYTES {
        return;
    }
    let files = files();
    if files == 0 {
        return;
    }
    let db = head::database();
    let mut e =
        Entry { database: db, who, scope, key, files, snapshot_len: snapshot.len() as u8, ..Entry::EMPTY };
    e.snapshot[..snapshot.len()].copy_from_slice(snapshot.as_bytes());
    let mut points = SHARED.exclusive();
    points.clock += 1;
    e.stamp = points.clock;
    let set = points.set_mut(db, who, scope);
    set[slot(set, db, who, scope)] = e;
}

/// Forgets the caller's point for `scope`, if it has one: its walk from the start, after the
/// point was void, passed over too little to keep one.
pub fn forget(caller: &Caller, scope: Scope) {
    let who = who(caller);
    if !SHARED_READY.load(Ordering::Relaxed) || who == Who::Nobody {
        return;
    }
    let db = head::database();
    let mut points = SHARED.exclusive();
    if let Some(e) = points.set_mut(db, who, scope).iter_mut().find(|e| e.is(db, who, scope)) {
        *e = Entry::EMPTY;
    }
}

thread_local! {
    /// This backend measured a walk already: its first one also loads caches, and is no measure.
    static WARM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a walk cost: how many shared buffers it touched (hit or read), and how many rows it
/// returned. Unlike its time, the count does not grow when the server is busy or its cache is
/// cold.
#[derive(Clone, Copy, Debug)]
pub struct Work {
    pub buffers: i64,
    pub rows: usize,
}

/// The buffers a walk touches for each row it returns (the caller's four annotation tables
/// probed, the URL's text read: sixteen at 1M URLs, twenty allowed), which a point does not save.
const ROW_BUFFERS: i64 = 20;

/// A walk being measured (Work::start, then done).
pub struct Started(i64);

thread_local! {
    /// Between Work::start and done: the buffer count when the walk's statement had started
    /// (set once, by the first executor start after Work::start; see executor_started).
    static ARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static MARK: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Called by the executor start hook (src/hooks.rs) once a statement's executor has started: the
/// first after Work::start marks where the walk's count begins, so that planning it (which a
/// cache invalidation, after a vacuum or an analyze, makes read catalog pages) does not count.
pub fn executor_started() {
    if ARMED.with(|a| a.get()) && MARK.with(|m| m.get()).is_none() {
        MARK.with(|m| m.set(Some(buffers_touched())));
    }
}

fn buffers_touched() -> i64 {
    // SAFETY: this backend's own buffer usage counters, which every buffer access adds to.
    unsafe { pg_sys::pgBufferUsage.shared_blks_hit + pg_sys::pgBufferUsage.shared_blks_read }
}

impl Work {
    pub fn start() -> Started {
        ARMED.with(|a| a.set(true));
        MARK.with(|m| m.set(None));
        Started(buffers_touched())
    }
}

impl Started {
    /// The walk's work: from its executor's start when the hook saw it (always, where points
    /// are kept: both need shared_preload_libraries), else from Work::start.
    pub fn done(self, rows: usize) -> Work {
        ARMED.with(|a| a.set(false));
        let from = MARK.with(|m| m.take()).unwrap_or(self.0);
        Work { buffers: buffers_touched() - from, rows }
    }
}

/// Whether a walk from the start should record where it found its first URL: when what it
/// passed over (the buffers it touched beyond those of the rows it returned: two or three for
/// each URL of the caller's own) came to at least annotate.resume_after buffers (0: always),
/// and it was not the backend's first walk (which also loads caches). A resumed walk costs
/// about what a walk from the start that passes over nothing does when nothing before the point
/// changed and no lease is held, a second statement more when something did, and one statement
/// per followed batch that has a point instead of one for them all; and a point, once kept, is
/// kept by every walk that uses it. So a point is kept only for callers whose walks pass over
/// many URLs (150 buffers: fifty to seventy-five of their own, two or three buffers each as the
/// indexes are deeper). Time was the measure before: a walk slow
/// only because the server was busy left points that made every later call of its caller slower
/// (twice as slow for a follower of four batches at 1M URLs), and a walk over a hundred of the
/// caller's own URLs (0.2 ms) left none.
pub fn heavy(work: Work) -> bool {
    let after = crate::guc::RESUME_AFTER.get();
    let warm = WARM.with(|w| w.replace(true));
    after == 0 || (after > 0 && warm && worth(work, after))
}

/// The rule of `heavy` for a warm backend and annotate.resume_after of `after` buffers (> 0).
fn worth(work: Work, after: i32) -> bool {
    work.buffers - ROW_BUFFERS * work.rows as i64 >= i64::from(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_kept_only_for_a_walk_that_passed_over_many() {
        let w = |buffers: i64, rows: usize| Work { buffers, rows };
        // One URL found after thousands of the caller's own (about three buffers each).
        assert!(worth(w(6_000, 1), 150));
        assert!(worth(w(324, 1), 150)); // a hundred passed over at 1M URLs
        assert!(worth(w(225, 1), 150)); // a hundred passed over at 100k URLs
        // Nothing passed over, however long it took (a busy server, a cold cache).
        assert!(!worth(w(28, 1), 150));
        // Fifty URLs returned, nothing passed over: many buffers, all of them for the answer.
        assert!(!worth(w(812, 50), 150));
        assert!(!worth(w(336, 21), 150)); // skip 20
        // Fifty returned after two thousand of the caller's own.
        assert!(worth(w(812 + 6_000, 50), 150));
        assert!(worth(w(40, 1), 1));
    }

    #[test]
    fn a_new_point_takes_an_empty_entry_of_its_set_then_the_oldest() {
        let db = pg_sys::Oid::from(5u32);
        let entry = |u: i32, stamp: u64| Entry {
            database: db,
            who: Who::User(u),
            scope: Scope::Order(0),
            stamp,
            ..Entry::EMPTY
        };
        let mut set = [Entry::EMPTY; WAYS];
        // Callers hashing to one set do not take each other's points while it has room.
        for u in 0..WAYS as i32 {
            let i = slot(&set, db, Who::User(u), Scope::Order(0));
            assert_eq!(i, u as usize);
            set[i] = entry(u, 10 + u as u64);
        }
        // A caller's new point replaces its own.
        assert_eq!(slot(&set, db, Who::User(2), Scope::Order(0)), 2);
        // Another scope, database or caller is not its own: the set is full, so the entry
        // recorded longest ago goes.
        set[1].stamp = 3;
        assert_eq!(slot(&set, db, Who::User(2), Scope::Batch(7)), 1);
        assert_eq!(slot(&set, pg_sys::Oid::from(6u32), Who::User(2), Scope::Order(0)), 1);
        assert_eq!(slot(&set, db, Who::User(9), Scope::Order(0)), 1);
        // Forgotten points leave room.
        set[3] = Entry::EMPTY;
        assert_eq!(slot(&set, db, Who::User(9), Scope::Order(0)), 3);
    }
}
