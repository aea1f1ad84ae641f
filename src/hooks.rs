//! The ExecutorStart hook installed in the postmaster, with shared_preload_libraries: before a
//! statement's executor starts, the head of the unleased range hears of statements that write
//! the queue (src/head.rs); once it has started, a walk's count of buffers begins
//! (src/resume.rs). (The hook that writes out held writes before a statement reads the
//! extension's tables is src/held.rs's, installed with or without shared_preload_libraries.)

use pgrx::prelude::*;

static mut PREV_EXECUTOR_START: pg_sys::ExecutorStart_hook_type = None;

/// Called from _PG_init: the shared memory of head and resume, and the hook, once, in the
/// postmaster while shared_preload_libraries load.
pub fn init() {
    // SAFETY: read-only access to a flag the postmaster sets before calling _PG_init; the hook
    // is installed once, in the postmaster, chained to whatever was there.
    unsafe {
        if pg_sys::process_shared_preload_libraries_in_progress {
            crate::head::init_shared();
            crate::resume::init_shared();
            PREV_EXECUTOR_START = pg_sys::ExecutorStart_hook;
            pg_sys::ExecutorStart_hook = Some(executor_start);
        }
    }
}

/// Not a #[pg_guard] function: an error the executor raises goes on to PostgreSQL's handler as
/// it was raised, with its CONTEXT lines, rather than caught and raised again from here.
/// Nothing in this frame needs dropping; what runs before and after is guarded on its own.
unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: std::ffi::c_int) {
    // SAFETY: the executor hands a valid query descriptor, passed on as it came.
    unsafe {
        before(query_desc);
        match PREV_EXECUTOR_START {
            Some(prev) => prev(query_desc, eflags),
            None => crate::errors::standard_executor_start(query_desc, eflags),
        }
        after();
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn before(query_desc: *mut pg_sys::QueryDesc) {
    // SAFETY: see executor_start.
    unsafe { crate::head::executor_starting(query_desc) }
}

#[pg_guard]
extern "C-unwind" fn after() {
    crate::resume::executor_started();
}
