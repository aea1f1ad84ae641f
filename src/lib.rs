//! annotate_ext: the next URL to annotate, served from inside PostgreSQL.
//!
//! Relational logic lives in `sql/`; Rust orchestrates the phases of a call, assembles the
//! response body and keeps timing statistics. See README.md and SPEC section 5 for the API.

use pgrx::prelude::*;

mod attach;
mod claims;
mod guc;
mod payload;
mod plans;
mod refresh;
mod response;
mod selection;
mod timing;

::pgrx::pg_module_magic!(name, version);

// Test builds carry the application fixture so that the pg_test database, which pgrx creates
// empty, has the app tables before the install script checks for them.
#[cfg(feature = "pg_test")]
extension_sql_file!("../tests/fixtures/app_schema.sql", name = "test_app_fixture", bootstrap);

extension_sql_file!("../sql/app_check.sql", name = "app_check");
extension_sql_file!("../sql/tables.sql", name = "tables", requires = ["app_check"]);
extension_sql_file!("../sql/queue.sql", name = "queue", requires = ["tables"]);
extension_sql_file!("../sql/claims.sql", name = "claims", requires = ["queue"]);
extension_sql_file!("../sql/cron.sql", name = "cron", requires = ["app_check"]);
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    guc::init();
    timing::init();
}

#[cfg(any(test, feature = "pg_test"))]
mod pg_tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
