//! `refresh()` (the upstream PR's materialized views, and the live queue reconciled with the
//! base tables) and `status()`.

use std::time::Instant;

use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::json;

use crate::{attach, guc, timing};

/// The views refreshed, in order, each with its statement and its row count query.
const VIEWS: [(&str, &str, &str, &str); 2] = [
    (
        "url_annotation_count_view",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY annotate.url_annotation_count_view",
        "REFRESH MATERIALIZED VIEW annotate.url_annotation_count_view",
        "SELECT count(*) FROM annotate.url_annotation_count_view",
    ),
    (
        "url_annotation_flags",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY annotate.url_annotation_flags",
        "REFRESH MATERIALIZED VIEW annotate.url_annotation_flags",
        "SELECT count(*) FROM annotate.url_annotation_flags",
    ),
];

/// Refreshes both materialized views (CONCURRENTLY by default, so readers are never blocked),
/// reconciles the live queue with the base tables and deletes ended claims. Reports one row per
/// step: seconds, and rows in the view afterwards, queue rows corrected, or claims deleted.
#[pg_extern]
fn refresh(
    concurrently: default!(bool, true),
) -> TableIterator<'static, (name!(step, String), name!(seconds, f64), name!(rows, i64))> {
    let started = Instant::now();
    let mut steps = Vec::new();
    // After a restore the extension arrived before the app's tables: attach it now.
    if !attach::attached() {
        let t = Instant::now();
        Spi::run("SELECT annotate.attach()")
            .unwrap_or_else(|e| error!("annotate.refresh: attaching to the app's tables failed: {e}"));
        let queued = Spi::get_one::<i64>("SELECT count(*) FROM annotate.queue").ok().flatten().unwrap_or(0);
        steps.push(("attach".to_string(), t.elapsed().as_secs_f64(), queued));
    }
    for (name, concurrent_sql, plain_sql, count_sql) in VIEWS {
        let t = Instant::now();
        Spi::run(if concurrently { concurrent_sql } else { plain_sql })
            .unwrap_or_else(|e| error!("annotate.refresh: refreshing annotate.{name} failed: {e}"));
        let rows = Spi::get_one::<i64>(count_sql).ok().flatten().unwrap_or(0);
        steps.push((name.to_string(), t.elapsed().as_secs_f64(), rows));
    }
    let t = Instant::now();
    let corrected = Spi::get_one::<i64>("SELECT annotate.reconcile_queue()")
        .unwrap_or_else(|e| error!("annotate.refresh: reconciling annotate.queue failed: {e}"))
        .unwrap_or(0);
    steps.push(("queue".to_string(), t.elapsed().as_secs_f64(), corrected));
    let t = Instant::now();
    let pruned = Spi::get_one::<i64>("SELECT annotate.prune_claims()")
        .unwrap_or_else(|e| error!("annotate.refresh: pruning ended claims failed: {e}"))
        .unwrap_or(0);
    steps.push(("claims".to_string(), t.elapsed().as_secs_f64(), pruned));
    let total = started.elapsed().as_secs_f64();
    Spi::run_with_args(
        "INSERT INTO annotate.refresh_log (seconds, concurrent) VALUES ($1, $2)",
        &[total.into(), concurrently.into()],
    )
    .unwrap_or_else(|e| error!("annotate.refresh: cannot record the refresh: {e}"));
    let rows = steps.iter().map(|s| s.2).sum();
    steps.push(("total".to_string(), total, rows));
    TableIterator::new(steps)
}

const STATUS: &str = "
SELECT jsonb_build_object(
    'last_refresh', l.finished_at,
    'last_refresh_seconds', l.seconds,
    'views_age_seconds', EXTRACT(epoch FROM clock_timestamp() - l.finished_at)::float8,
    'view_rows', jsonb_build_object(
        'url_annotation_count_view', (SELECT count(*) FROM annotate.url_annotation_count_view),
        'url_annotation_flags', (SELECT count(*) FROM annotate.url_annotation_flags)),
    'queue_rows', (SELECT count(*) FROM annotate.queue),
    'queue_eligible', (SELECT count(*) FROM annotate.queue q WHERE NOT q.validated AND NOT q.suspended))
FROM (SELECT NULL) one
LEFT JOIN LATERAL (SELECT r.finished_at, r.seconds FROM annotate.refresh_log r
                   ORDER BY r.id DESC LIMIT 1) l ON true";

/// Selection mode, last refresh, staleness, view row counts and timing scope, as one object.
#[pg_extern]
fn status() -> JsonB {
    let attached = attach::attached();
    let base = if attached {
        Spi::get_one::<JsonB>(STATUS).ok().flatten().map(|j| j.0).unwrap_or_else(|| json!({}))
    } else {
        json!({"queue_rows": 0})
    };
    let mode = guc::SELECTION.get();
    let age = base.get("views_age_seconds").and_then(|v| v.as_f64());
    let mut out = base;
    let obj = out.as_object_mut().expect("status is an object");
    obj.insert("selection".into(), json!(mode.as_str()));
    // false only between a restore and the first refresh() (see src/attach.rs)
    obj.insert("attached".into(), json!(attached));
    // Live answers are as fresh as the tables; snapshot answers are as old as the views.
    obj.insert(
        "staleness_seconds".into(),
        json!(match mode {
            guc::Selection::Live => Some(0.0),
            guc::Selection::Snapshot => age,
        }),
    );
    obj.insert("timing_scope".into(), json!(timing::scope()));
    obj.insert("track_timing".into(), json!(guc::TRACK_TIMING.get()));
    JsonB(out)
}
