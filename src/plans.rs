//! Prepared statements kept for the life of the backend, so that a call plans nothing.
//! PostgreSQL's plan cache re-plans them by itself after schema changes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiHeapTupleData, SpiResult};

thread_local! {
    static PLANS: RefCell<HashMap<&'static str, Rc<OwnedPreparedStatement>>> = RefCell::new(HashMap::new());
}

/// Runs the statement known as `key` (prepared from `text()` with argument `types` on first
/// use) and maps every row with `each`.
pub fn query<T>(
    client: &SpiClient<'_>,
    key: &'static str,
    text: impl FnOnce() -> String,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
) -> SpiResult<Vec<T>> {
    let cached = PLANS.with(|p| p.borrow().get(key).cloned());
    let plan = match cached {
        Some(plan) => plan,
        None => {
            let plan = Rc::new(client.prepare(text().as_str(), types)?.keep());
            PLANS.with(|p| p.borrow_mut().insert(key, plan.clone()));
            plan
        }
    };
    client.select(&*plan, None, args)?.map(each).collect()
}

/// A static statement whose only argument is an `int4`.
pub fn by_id<T>(
    client: &SpiClient<'_>,
    sql: &'static str,
    id: i32,
    each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
) -> SpiResult<Vec<T>> {
    query(client, sql, || sql.to_string(), &[PgOid::BuiltIn(pg_sys::BuiltinOid::INT4OID)], &[id.into()], each)
}

/// Runs `f` with planner settings changed for its duration only, as a function's SET clause
/// would (and undone the same way on error, at transaction abort).
pub fn with_settings<R>(settings: &[(&std::ffi::CStr, &std::ffi::CStr)], f: impl FnOnce() -> R) -> R {
    // SAFETY: the GUC API as fmgr uses it for SET clauses; names and values are valid C strings.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
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
    let result = f();
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    result
}
