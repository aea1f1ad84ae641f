//! What the extension keeps on and over the app's tables: the materialized views, the queue's
//! views, contents and indexes, the indexes it adds to app tables, and the queue triggers.
//! CREATE EXTENSION attaches them at once; while a dump is being restored the app tables come
//! after the extension, so the install defers them and `refresh()` attaches them afterwards.

use pgrx::prelude::*;

use crate::plans;

const STEPS: [(&str, &str); 4] = [
    ("views", include_str!("../sql/attach/views.sql")),
    ("indexes", include_str!("../sql/attach/indexes.sql")),
    ("queue", include_str!("../sql/attach/queue.sql")),
    ("ties", include_str!("../sql/attach/ties.sql")),
];

/// Whether everything is in place (the last objects `attach()` makes exist).
pub fn attached() -> bool {
    Spi::get_one::<bool>(
        "SELECT pg_catalog.to_regclass('annotate.queue_diff') IS NOT NULL
            AND pg_catalog.to_regclass('annotate.url_annotation_flags') IS NOT NULL",
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}

/// Attaches the extension to the app's tables; true when it had anything to do. Idempotent.
#[pg_extern]
fn attach() -> bool {
    if attached() {
        return false;
    }
    let missing = Spi::get_one::<Vec<String>>("SELECT annotate.missing_app_tables()").ok().flatten();
    if let Some(missing) = missing.filter(|m| !m.is_empty()) {
        ereport!(
            ERROR,
            PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE,
            format!("annotate_ext: the application table public.{} is missing", missing[0]),
            format!("Missing from schema public: {}.", missing.join(", "))
        );
    }
    // After a restore the indexes and triggers exist already; no need to say so for each.
    plans::with_settings(&[(c"client_min_messages", c"warning")], || {
        for (name, sql) in STEPS {
            Spi::run(sql).unwrap_or_else(|e| error!("annotate.attach: step {name} failed: {e}"));
        }
    });
    true
}
