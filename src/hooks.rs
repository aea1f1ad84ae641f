//! The hooks the extension installs, once per process (in the postmaster when preloaded, else
//! in the backend that loads the library), each chained to what was there:
//! - ExecutorStart: before a statement's executor starts, what this transaction holds is
//!   written out if the statement may read it (src/held.rs), and the head of the unleased range
//!   hears of statements that write the queue (src/head.rs); once it has started, a walk's
//!   count of buffers begins (src/resume.rs).
//! - ProcessUtility: before a utility statement that may read or change a table, what this
//!   transaction holds is written out (src/held.rs).
//!
//! The hooks are not #[pg_guard] functions and chain to PostgreSQL's own functions directly:
//! pgrx's bindings of those catch an error they raise and turn it into a Rust panic, which
//! needs a #[pg_guard] frame to raise it again, and raised again it has lost its CONTEXT lines
//! (an event trigger's, a function's). Nothing in these frames needs dropping, so an error
//! passes through them to PostgreSQL's handler as it was raised; what they run before and
//! after is guarded on its own.

use pgrx::prelude::*;

static mut PREV_EXECUTOR_START: pg_sys::ExecutorStart_hook_type = None;
static mut PREV_PROCESS_UTILITY: pg_sys::ProcessUtility_hook_type = None;

unsafe extern "C-unwind" {
    #[link_name = "standard_ExecutorStart"]
    fn standard_executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: std::ffi::c_int);
    #[link_name = "standard_ProcessUtility"]
    fn standard_process_utility(
        pstmt: *mut pg_sys::PlannedStmt,
        query_string: *const std::ffi::c_char,
        read_only_tree: bool,
        context: pg_sys::ProcessUtilityContext::Type,
        params: pg_sys::ParamListInfo,
        query_env: *mut pg_sys::QueryEnvironment,
        dest: *mut pg_sys::DestReceiver,
        qc: *mut pg_sys::QueryCompletion,
    );
}

/// Called from _PG_init: the shared memory of head and resume when shared_preload_libraries
/// load (in the postmaster), and the hooks.
pub fn init() {
    // SAFETY: read-only access to a flag the postmaster sets before calling _PG_init; the hooks
    // are installed once per process, chained to whatever was there.
    unsafe {
        if pg_sys::process_shared_preload_libraries_in_progress {
            crate::head::init_shared();
            crate::resume::init_shared();
        }
        PREV_EXECUTOR_START = pg_sys::ExecutorStart_hook;
        pg_sys::ExecutorStart_hook = Some(executor_start);
        PREV_PROCESS_UTILITY = pg_sys::ProcessUtility_hook;
        pg_sys::ProcessUtility_hook = Some(process_utility);
    }
}

unsafe extern "C-unwind" fn executor_start(query_desc: *mut pg_sys::QueryDesc, eflags: std::ffi::c_int) {
    // SAFETY: the executor hands a valid query descriptor, passed on as it came.
    unsafe {
        crate::held::before_executor(query_desc);
        before(query_desc);
        match PREV_EXECUTOR_START {
            Some(prev) => prev(query_desc, eflags),
            None => standard_executor_start(query_desc, eflags),
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

#[allow(clippy::too_many_arguments)]
unsafe extern "C-unwind" fn process_utility(
    pstmt: *mut pg_sys::PlannedStmt,
    query_string: *const std::ffi::c_char,
    read_only_tree: bool,
    context: pg_sys::ProcessUtilityContext::Type,
    params: pg_sys::ParamListInfo,
    query_env: *mut pg_sys::QueryEnvironment,
    dest: *mut pg_sys::DestReceiver,
    qc: *mut pg_sys::QueryCompletion,
) {
    // SAFETY: the planned utility statement PostgreSQL hands over, passed on as it came.
    unsafe {
        crate::held::before_utility(pstmt);
        let dropping = crate::head::dropping_database(pstmt);
        match PREV_PROCESS_UTILITY {
            Some(prev) => prev(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc),
            None => standard_process_utility(
                pstmt,
                query_string,
                read_only_tree,
                context,
                params,
                query_env,
                dest,
                qc,
            ),
        }
        // Reached only when the statement succeeded (an error does not return here).
        if dropping != pg_sys::InvalidOid {
            crate::head::database_dropped(dropping);
            crate::timing::database_dropped(dropping);
        }
    }
}
