//! The extension's own locks: one attach or detach at a time (ATTACH, which folds take shared),
//! one fold at a time (FOLD), one folder per database (FOLDER), one refresh() at a time
//! (REFRESH).
//!
//! They were advisory locks, which any role that may connect can take and hold: folding then
//! stopped, refresh() skipped, reconcile() waited, attach() and detach() gave up. They are user
//! locks now (LOCKTAG_USERLOCK, the lock manager's tag for locks of its own kind that no
//! SQL function takes), in the same lock method as advisory locks (held until the transaction
//! ends, or for a session until it ends or exits) and with the same fields, so pg_locks shows
//! them as `userlock` with database, `classid` hashtext('annotate_ext'), `objid` the key and
//! `objsubid` 2. Only the extension's owner may call the functions that take them
//! (annotate_internal.try_lock() and lock(), src/api.rs).

use pgrx::prelude::*;

/// The keys (`objid` in pg_locks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// attach() and detach() exclusive (sql/attach.sql), folds shared (fold_begin.sql).
    Attach = 1,
    /// A fold (fold_begin.sql), reconcile() (sql/verify.sql).
    Fold = 2,
    /// The folder, for its lifetime (src/fold.rs).
    Folder = 3,
    /// refresh() (refresh_begin.sql).
    Refresh = 4,
}

impl Key {
    pub fn from_i32(key: i32) -> Option<Key> {
        match key {
            1 => Some(Key::Attach),
            2 => Some(Key::Fold),
            3 => Some(Key::Folder),
            4 => Some(Key::Refresh),
            _ => None,
        }
    }
}

thread_local! {
    /// hashtext('annotate_ext'), the locks' `classid`, once known.
    static CLASS: std::cell::Cell<Option<u32>> = const { std::cell::Cell::new(None) };
}

/// Computes the locks' `classid` once per session (hashtext() as the statements that read
/// pg_locks call it, under the database's default collation). Call it in a transaction before
/// a lock may be needed where an error must not happen (at commit: probe()).
pub fn learn() -> u32 {
    if let Some(class) = CLASS.with(|k| k.get()) {
        return class;
    }
    // SAFETY: hashtext() on a text datum allocated here, under the default collation.
    let class = unsafe {
        let text = "annotate_ext".into_datum().expect("a text datum");
        pg_sys::OidFunctionCall1Coll(pg_sys::Oid::from(pg_sys::F_HASHTEXT), pg_sys::DEFAULT_COLLATION_OID, text)
            .value() as u32
    };
    CLASS.with(|k| k.set(Some(class)));
    class
}

fn tag(class: u32, key: Key) -> pg_sys::LOCKTAG {
    pg_sys::LOCKTAG {
        // SAFETY: this backend's database, set once it connected.
        locktag_field1: u32::from(unsafe { pg_sys::MyDatabaseId }),
        locktag_field2: class,
        locktag_field3: key as u32,
        locktag_field4: 2,
        locktag_type: pg_sys::LockTagType::LOCKTAG_USERLOCK as u8,
        locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
    }
}

fn mode(shared: bool) -> pg_sys::LOCKMODE {
    (if shared { pg_sys::ShareLock } else { pg_sys::ExclusiveLock }) as pg_sys::LOCKMODE
}

/// Takes `key` until the transaction ends (or, with `session`, until the session does), without
/// waiting; whether it was granted.
pub fn try_take(key: Key, shared: bool, session: bool) -> bool {
    let tag = tag(learn(), key);
    // SAFETY: a valid tag of the user lock method, in a transaction; errors (a full lock table)
    // are raised as PostgreSQL's.
    let got = unsafe { pg_sys::LockAcquire(&tag, mode(shared), session, true) };
    got != pg_sys::LockAcquireResult::LOCKACQUIRE_NOT_AVAIL
}

/// Takes `key` until the transaction ends, waiting for it as for any lock (lock_timeout,
/// statement_timeout and the deadlock check apply).
pub fn take(key: Key, shared: bool) {
    let tag = tag(learn(), key);
    // SAFETY: as in try_take(); waiting, the wait is interruptible.
    unsafe { pg_sys::LockAcquire(&tag, mode(shared), false, false) };
}

/// Whether no process holds `key` exclusively: taken shared without waiting and without
/// raising an error (a full lock table reads as "held") and, when granted, released at once.
/// False when learn() was not called in this session.
pub fn free(key: Key) -> bool {
    let Some(class) = CLASS.with(|k| k.get()) else { return false };
    let tag = tag(class, key);
    let mode = mode(true);
    // SAFETY: as in try_take(), with reportMemoryError off; released at once when granted.
    unsafe {
        let got = pg_sys::LockAcquireExtended(&tag, mode, false, true, false, std::ptr::null_mut());
        if got == pg_sys::LockAcquireResult::LOCKACQUIRE_NOT_AVAIL {
            return false;
        }
        pg_sys::LockRelease(&tag, mode, false);
        true
    }
}
