//! Operations: `refresh()` and `status()`.

use std::time::Instant;

use serde_json::{json, Value};

use crate::statements::{self as st, with_spi};
use crate::{access, fold, guc, timing};

/// The views refreshed, in order, each as CONCURRENTLY and as plain.
const VIEWS: [(&str, &st::Statement, &st::Statement); 2] = [
    ("url_annotation_count_view", &st::REFRESH_COUNT_CONCURRENTLY, &st::REFRESH_COUNT),
    ("url_annotation_flags", &st::REFRESH_FLAGS_CONCURRENTLY, &st::REFRESH_FLAGS),
];

pub type Step = (String, f64, i64);

/// refresh(): repairs the attachment if anything is missing (step per repair), refreshes the
/// two views (steps by name: rows in each), ends leases that ran out (step `leases`), folds
/// the pending writes into the queue (step `queue`: delta rows folded), records the run.
pub fn refresh(concurrently: bool) -> Vec<Step> {
    let started = Instant::now();
    access::require_attached("refresh");
    let mut steps: Vec<Step> = with_spi("refresh: checking the attachment", |c| {
        st::ATTACH.rows(c, &[], |r| {
            Ok((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<f64>(2)?.unwrap_or(0.0),
                r.get::<i64>(3)?.unwrap_or(0),
            ))
        })
    });

    for (name, concurrent, plain) in VIEWS {
        let t = Instant::now();
        let rows = with_spi(&format!("refresh: refreshing annotate.{name}"), |c| {
            (if concurrently { concurrent } else { plain }).run(c, &[])?;
            let count = if name == "url_annotation_flags" { &st::COUNT_FLAGS } else { &st::COUNT_COUNTS };
            Ok(count.one::<i64>(c, &[])?.unwrap_or(0))
        });
        steps.push((name.to_string(), t.elapsed().as_secs_f64(), rows));
    }

    let t = Instant::now();
    let ended = with_spi("refresh: ending leases that ran out", |c| {
        Ok(st::LEASE_EXPIRE.one::<i64>(c, &[])?.unwrap_or(0))
    });
    steps.push(("leases".into(), t.elapsed().as_secs_f64(), ended));

    // Last: a fold holds the fold lock until this transaction ends, and the folder waits.
    let t = Instant::now();
    let folded = with_spi("refresh: folding pending writes", |c| {
        let mut rows = 0;
        // A fold under way in the folder holds the fold lock: try again shortly.
        for _ in 0..50 {
            let f = fold::fold(c)?;
            rows += f.delta_rows;
            if f.ran && f.urls_left == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Ok(rows)
    });
    steps.push(("queue".into(), t.elapsed().as_secs_f64(), folded));

    let total = started.elapsed().as_secs_f64();
    with_spi("refresh: recording the run", |c| {
        st::REFRESH_LOGGED.run(c, &[total.into(), concurrently.into()])
    });
    fold::wake();
    let rows = steps.iter().map(|s| s.2).sum();
    steps.push(("total".into(), total, rows));
    steps
}

/// status(): one object for operators.
pub fn status() -> Value {
    let row = access::as_owner(|| {
        with_spi("status", |c| st::STATUS.rows(c, &[], |r| Ok(r.get::<pgrx::JsonB>(1)?.map(|j| j.0))))
    });
    let mut out = row.into_iter().flatten().next().unwrap_or_else(|| json!({}));
    let mode = guc::SELECTION.get();
    let obj = out.as_object_mut().expect("status is an object");
    let age = obj.get("views_age_seconds").and_then(Value::as_f64);
    obj.insert("selection".into(), json!(mode.as_str()));
    obj.insert(
        "staleness_seconds".into(),
        json!(match mode {
            guc::Selection::Live => Some(0.0),
            guc::Selection::Snapshot => age,
        }),
    );
    obj.insert("timing_scope".into(), json!(timing::scope()));
    obj.insert("track_timing".into(), json!(guc::TRACK_TIMING.get()));
    out
}
