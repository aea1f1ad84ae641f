//! annotate_ext: the next URL to annotate, served from inside PostgreSQL.
//!
//! Relational logic lives in `sql/`; Rust runs the request path (api -> leases -> selection ->
//! resume -> fold -> head -> statements), assembles the response body, captures writes and folds
//! them, and keeps timing statistics. The modules sit in layers, each using only those below it
//! (src/layers.rs lists them, and a unit test holds the code to the list). See README.md for
//! the design and SPEC section 5 for the API.

use pgrx::prelude::*;

mod access;
mod api;
mod caller;
mod errors;
mod fold;
mod guc;
mod head;
mod held;
mod hooks;
#[cfg(test)]
mod layers;
mod leases;
#[cfg(test)]
mod lint;
mod locks;
mod ops;
mod payload;
mod response;
mod resume;
mod selection;
mod statements;
mod timing;
mod triggers;

::pgrx::pg_module_magic!(name, version);

extension_sql_file!("../sql/internal.sql", name = "internal", bootstrap);
extension_sql_file!("../sql/requirements.sql", name = "requirements", requires = ["internal"]);
extension_sql_file!("../sql/helpers.sql", name = "helpers", requires = ["internal"]);
extension_sql_file!("../sql/verify.sql", name = "verify", requires = ["helpers"]);
extension_sql_file!("../sql/truncate.sql", name = "truncate", requires = ["verify"]);
extension_sql_file!("../sql/snapshot.sql", name = "snapshot", requires = ["helpers"]);
extension_sql_file!("../sql/attach.sql", name = "attach", requires = ["helpers", "requirements"]);
extension_sql_file!("../sql/watch.sql", name = "watch", requires = ["attach"]);
extension_sql_file!("../sql/cron.sql", name = "cron", requires = ["internal"]);
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // Errors reach clients without a Rust backtrace in their DETAIL, whatever the server's
    // environment says: RUST_LIB_BACKTRACE=0 turns off the captures pgrx makes for errors
    // (std::backtrace), and leaves RUST_BACKTRACE to panics that reach the server log.
    // SAFETY: _PG_init runs before this process starts any thread.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    guc::init();
    timing::init();
    hooks::init();
    held::init();
}

/// Required by pgrx's test support; the extension's tests run through tests/run instead.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
