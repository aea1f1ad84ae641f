//! Operations: `refresh()`, its history, and `status()`.
//!
//! Every refresh() run leaves a row in annotate_internal.refresh_log (the view
//! annotate.refresh_history): succeeded, skipped (another run held the refresh lock), or failed.
//! A failed run's transaction is rolled back with everything it wrote, so its row is written by
//! a short-lived background worker, the recorder, in a transaction of its own, while the caller
//! waits; then the error is raised again, naming the step that failed.

use std::cell::RefCell;
use std::time::Instant;

use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use serde_json::{json, Value};

use crate::errors::{self, Caught};
use crate::statements::{self as st, with_spi};
use crate::{access, fold, guc, timing};

/// The views refreshed, in order, each as CONCURRENTLY and as plain.
const VIEWS: [(&str, &st::Statement, &st::Statement); 2] = [
    ("url_annotation_count_view", &st::REFRESH_COUNT_CONCURRENTLY, &st::REFRESH_COUNT),
    ("url_annotation_flags", &st::REFRESH_FLAGS_CONCURRENTLY, &st::REFRESH_FLAGS),
];

pub type Step = (String, f64, i64);

/// One run, as recorded.
struct Run {
    started_at: String,
    run_by: String,
    application_name: String,
    concurrent: bool,
    clock: Instant,
    steps: Vec<Step>,
}

impl Run {
    fn record(&self, status: &str, failure: Option<(&str, &Caught)>) -> Value {
        let steps: Vec<Value> =
            self.steps.iter().map(|(s, secs, rows)| json!({"step": s, "seconds": secs, "rows": rows})).collect();
        json!({
            "started_at": self.started_at,
            "status": status,
            "concurrent": self.concurrent,
            "seconds": self.clock.elapsed().as_secs_f64(),
            "rows": self.steps.iter().map(|s| s.2).sum::<i64>(),
            "steps": steps,
            "failed_step": failure.map(|f| f.0),
            "sqlstate": failure.map(|f| f.1.sqlstate()),
            "message": failure.map(|f| f.1.message.clone()),
            "run_by": self.run_by,
            "application_name": self.application_name,
        })
    }
}

/// Reports a finished step as it finishes: a NOTICE, or an INFO when it took a second or more
/// (as attach() does, sql/attach.sql).
fn progress(step: &str, seconds: f64, rows: i64) {
    if seconds >= 1.0 {
        info!("annotate.refresh: {step} done in {seconds:.3} s ({rows} rows)");
    } else {
        notice!("annotate.refresh: {step} done in {seconds:.3} s ({rows} rows)");
    }
}

/// refresh(): repairs the attachment if anything is missing (a step per repair), refreshes the
/// two views (a step each: rows in it), ends leases that ran out (`leases`), folds pending
/// writes into the queue (`queue`: delta rows folded), prunes the history (`history`: runs
/// removed), and records the run. Returns at once, as one `skipped` step, when another
/// refresh() is running in this database. Under REPEATABLE READ or SERIALIZABLE, `leases` and
/// `queue` are left to the folder (run_steps()).
pub fn refresh(concurrently: bool) -> Vec<Step> {
    access::require_primary("refresh", access::Work::Refresh);
    access::require_attached("refresh");
    let (may, run_by, application_name, started_at) = with_spi("refresh: starting", |c| {
        let row = st::REFRESH_BEGIN.rows(c, &[], |r| {
            Ok((
                r.get::<bool>(1)?.unwrap_or(false),
                r.get::<String>(2)?.unwrap_or_default(),
                r.get::<String>(3)?.unwrap_or_default(),
                r.get::<String>(4)?.unwrap_or_default(),
            ))
        })?;
        Ok(row.into_iter().next().unwrap_or_default())
    });
    let mut run = Run { started_at, run_by, application_name, concurrent: concurrently, clock: Instant::now(), steps: vec![] };

    if !may {
        let pid = with_spi("refresh: looking for the running refresh", |c| st::REFRESH_RUNNING.one::<i32>(c, &[]));
        notice!(
            "annotate.refresh: skipped, another refresh() is running in this database{}",
            pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
        );
        let record = run.record("skipped", None);
        with_spi("refresh: recording the run", |c| st::REFRESH_RECORD.run(c, &[pgrx::JsonB(record).into()]));
        return vec![("skipped".into(), 0.0, 0)];
    }

    let current = RefCell::new(String::from("attach"));
    let steps = RefCell::new(Vec::<Step>::new());
    let outcome = errors::in_subtransaction(|| run_steps(concurrently, &current, &steps));
    run.steps = steps.into_inner();
    match outcome {
        Ok(()) => {
            let t = Instant::now();
            let retention = guc::REFRESH_HISTORY_RETENTION.get();
            let pruned = if retention < 0 {
                0
            } else {
                with_spi("refresh: pruning the history", |c| {
                    Ok(st::REFRESH_PRUNE.one::<i64>(c, &[f64::from(retention).into()])?.unwrap_or(0))
                })
            };
            run.steps.push(("history".into(), t.elapsed().as_secs_f64(), pruned));
            let record = run.record("succeeded", None);
            with_spi("refresh: recording the run", |c| st::REFRESH_RECORD.run(c, &[pgrx::JsonB(record).into()]));
            fold::wake();
            let total = run.clock.elapsed().as_secs_f64();
            let rows = run.steps.iter().map(|s| s.2).sum();
            let mut out = run.steps;
            out.push(("total".into(), total, rows));
            out
        }
        Err(caught) => {
            let step = current.into_inner();
            if !record_failure(&run.record("failed", Some((&step, &caught)))) {
                warning!(
                    "annotate.refresh: this failure could not be recorded (no background worker slot free, or the \
                     recorder failed: see the server log)"
                );
            }
            caught.raise_as(format!("annotate.refresh: step {step} failed: {}", caught.message))
        }
    }
}

/// The names of the `leases` and `queue` steps when a run under REPEATABLE READ or SERIALIZABLE
/// leaves them to the folder (run_steps()).
const LEFT_LEASES: &str = "leases: left to the folder";
const LEFT_QUEUE: &str = "queue: left to the folder";

/// The steps of a run, each reported as it finishes; `current` names the step under way.
fn run_steps(concurrently: bool, current: &RefCell<String>, steps: &RefCell<Vec<Step>>) {
    let done = |name: &str, seconds: f64, rows: i64| {
        progress(name, seconds, rows);
        steps.borrow_mut().push((name.to_string(), seconds, rows));
    };
    // Repairs (attach() reports its own progress for each).
    let repairs = with_spi("refresh: checking the attachment", |c| {
        st::ATTACH.rows(c, &[], |r| {
            Ok((
                r.get::<String>(1)?.unwrap_or_default(),
                r.get::<f64>(2)?.unwrap_or(0.0),
                r.get::<i64>(3)?.unwrap_or(0),
            ))
        })
    });
    steps.borrow_mut().extend(repairs);

    for (name, concurrent, plain) in VIEWS {
        *current.borrow_mut() = name.to_string();
        let t = Instant::now();
        let rows = with_spi(&format!("refresh: refreshing annotate.{name}"), |c| {
            // REFRESH ... CONCURRENTLY builds statements naming its temporary tables, and under
            // quote_all_identifiers = on it quotes a name and appends a suffix after the quote:
            // "syntax error at or near "_2"" (PostgreSQL 15). The setting changes nothing else here.
            let refresh = if concurrently { concurrent } else { plain };
            guc::planning(&[(c"quote_all_identifiers", c"off")], || refresh.run(c, &[]))?;
            let count = if name == "url_annotation_flags" { &st::COUNT_FLAGS } else { &st::COUNT_COUNTS };
            Ok(count.one::<i64>(c, &[])?.unwrap_or(0))
        });
        done(name, t.elapsed().as_secs_f64(), rows);
    }

    // Under REPEATABLE READ or SERIALIZABLE (the caller's, or the database's default), this
    // transaction's snapshot predates every fold and lease end committed since it began: ending
    // leases or folding here would meet rows the folder changed meanwhile, and the whole run,
    // views included, failed with a serialization failure (every run beside a write load). Both
    // are left to the folder, which works in READ COMMITTED transactions of its own and is woken
    // when the run ends; the two steps say so.
    if access::transaction_snapshot() {
        notice!(
            "annotate.refresh: leases that ran out and pending writes are left to the folder: this transaction is \
             REPEATABLE READ or SERIALIZABLE, and its snapshot cannot take over rows changed since it began"
        );
        steps.borrow_mut().push((LEFT_LEASES.into(), 0.0, 0));
        steps.borrow_mut().push((LEFT_QUEUE.into(), 0.0, 0));
        return;
    }

    *current.borrow_mut() = "leases".into();
    let t = Instant::now();
    let ended = with_spi("refresh: ending leases that ran out", fold::expire_leases);
    done("leases", t.elapsed().as_secs_f64(), ended);

    // Last: a fold holds the fold lock until this transaction ends, and the folder waits.
    *current.borrow_mut() = "queue".into();
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
            pgrx::check_for_interrupts!();
        }
        Ok(rows)
    });
    done("queue", t.elapsed().as_secs_f64(), folded);
}

/// The name the recorder runs under (pg_stat_activity.backend_type).
const RECORDER: &str = "annotate_ext recorder";

/// Writes a failed run's row through the recorder and waits for it; whether the row was
/// committed (false when no worker could be started, or the recorder failed: its error is in
/// the server log). The row travels in a dynamic shared memory segment that this backend keeps
/// until the recorder has finished: its length (8 bytes), the row, and a byte the recorder sets
/// once it has committed the row.
fn record_failure(record: &Value) -> bool {
    let payload = record.to_string().into_bytes();
    // SAFETY: a segment of this backend's, written before the worker starts and detached after
    // it has exited; the worker reads it and sets only its last byte.
    unsafe {
        let segment = pg_sys::dsm_create(payload.len() + 9, 0);
        let base = pg_sys::dsm_segment_address(segment).cast::<u8>();
        std::ptr::copy_nonoverlapping((payload.len() as u64).to_le_bytes().as_ptr(), base, 8);
        std::ptr::copy_nonoverlapping(payload.as_ptr(), base.add(8), payload.len());
        *base.add(8 + payload.len()) = 0;
        let handle = pg_sys::dsm_segment_handle(segment);
        let database = pg_sys::MyDatabaseId;
        let worker = BackgroundWorkerBuilder::new(RECORDER)
            .set_type(RECORDER)
            .set_library("annotate_ext")
            .set_function("annotate_recorder_main")
            .set_argument(Some(pg_sys::Datum::from(handle)))
            .set_extra(&u32::from(database).to_string())
            .enable_spi_access()
            .set_start_time(BgWorkerStartTime::RecoveryFinished)
            .set_restart_time(None)
            .set_notify_pid(pg_sys::MyProcPid)
            .load_dynamic();
        // A recorder that finished before this backend looked reports no startup: its byte says
        // whether it committed the row all the same.
        let ran = match worker {
            Ok(w) => {
                let _ = w.wait_for_startup();
                w.wait_for_shutdown().is_ok()
            }
            Err(_) => false,
        };
        let recorded = ran && std::ptr::read_volatile(base.add(8 + payload.len())) == 1;
        pg_sys::dsm_detach(segment);
        recorded
    }
}

/// The recorder: writes one failed run's row (from the segment named by `arg`) and exits.
#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn annotate_recorder_main(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGTERM);
    let database = pg_sys::Oid::from(BackgroundWorker::get_extra().parse::<u32>().unwrap_or(0));
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(database), None);
    guc::worker_defaults();
    // SAFETY: the segment the waiting backend created and keeps until this worker exits;
    // attached until the row is committed, then its last byte set.
    unsafe {
        let segment = pg_sys::dsm_attach(arg.value() as pg_sys::dsm_handle);
        if segment.is_null() {
            return;
        }
        let base = pg_sys::dsm_segment_address(segment).cast::<u8>();
        let mut len = [0u8; 8];
        std::ptr::copy_nonoverlapping(base, len.as_mut_ptr(), 8);
        let len = u64::from_le_bytes(len) as usize;
        let bytes = std::slice::from_raw_parts(base.add(8), len).to_vec();
        if let Ok(record) = serde_json::from_slice::<Value>(&bytes) {
            BackgroundWorker::transaction(|| {
                access::as_owner(|| {
                    with_spi("recording a failed refresh", |c| {
                        let args: [DatumWithOid; 1] = [pgrx::JsonB(record).into()];
                        st::REFRESH_RECORD.run(c, &args)
                    })
                })
            });
            std::ptr::write_volatile(base.add(8 + len), 1);
        }
        pg_sys::dsm_detach(segment);
    }
}

/// status(): one object for operators. Reads only.
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
    // SAFETY: reading recovery state.
    obj.insert("standby".into(), json!(unsafe { pg_sys::RecoveryInProgress() }));
    obj.insert("timing_scope".into(), json!(timing::scope()));
    obj.insert("track_timing".into(), json!(guc::TRACK_TIMING.get()));
    obj.insert("resume_points".into(), json!(crate::resume::count()));
    obj.insert(
        "lease_heads".into(),
        match crate::head::slots_used() {
            Some((this_database, used, slots)) => {
                json!({"this_database": this_database, "databases": used, "slots": slots})
            }
            None => Value::Null,
        },
    );
    out
}
