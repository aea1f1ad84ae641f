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
    mut each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
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
    client.select(&*plan, None, args)?.map(|row| each(row)).collect()
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
