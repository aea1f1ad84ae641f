//! Statistics: per-phase timing of `next_annotation` calls, and counters of every selection call.
//!
//! Each `next_annotation` call records the seconds of its phases (SPEC 5) in a fixed-bucket
//! log-scale histogram per phase; every selection call (the four entry points) counts in the
//! counters: calls, empty answers, leasing calls, URLs leased, and lease conflicts (URLs another
//! caller leased between this caller's walk and its lease). Kept in shared memory when the
//! library is in `shared_preload_libraries`, per database (DATABASES of them; any beyond
//! share one more set), otherwise in this backend (per session), with the time they were
//! last reset. Per database: any role with USAGE on `annotate` reads them, and another
//! database's counters are no business of its.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgLwLock};

use crate::guc;

/// The phases of one call, in the order SPEC 5 names them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    MainQuery = 0,
    AgencySuggestions,
    LocationSuggestions,
    NameSuggestions,
    BatchInfo,
    Format,
    Total,
}

pub const PHASE_NAMES: [&str; 7] = [
    "main_query",
    "agency_suggestions",
    "location_suggestions",
    "name_suggestions",
    "batch_info",
    "format",
    "total",
];

/// Four buckets per doubling of microseconds: bucket `i >= 1` holds durations in
/// [2^((i-1)/4), 2^(i/4)) µs, so a reported percentile is within about 19% of the truth.
/// 128 buckets reach past 2^31 µs (35 minutes); bucket 0 holds anything under 1 µs.
const BUCKETS: usize = 128;
const STEPS_PER_DOUBLING: f64 = 4.0;

#[derive(Clone, Copy, Debug)]
pub struct PhaseStats {
    calls: u64,
    total_ns: u64,
    min_ns: u64,
    max_ns: u64,
    buckets: [u32; BUCKETS],
}

impl PhaseStats {
    const EMPTY: PhaseStats =
        PhaseStats { calls: 0, total_ns: 0, min_ns: u64::MAX, max_ns: 0, buckets: [0; BUCKETS] };

    fn record(&mut self, ns: u64) {
        self.calls += 1;
        self.total_ns = self.total_ns.saturating_add(ns);
        self.min_ns = self.min_ns.min(ns);
        self.max_ns = self.max_ns.max(ns);
        let b = bucket_of(ns);
        self.buckets[b] = self.buckets[b].saturating_add(1);
    }

    /// The duration in nanoseconds below which fraction `q` of calls fell, from the histogram.
    fn percentile_ns(&self, q: f64) -> u64 {
        if self.calls == 0 {
            return 0;
        }
        let rank = ((q * self.calls as f64).ceil() as u64).clamp(1, self.calls);
        let mut seen = 0u64;
        for (i, &n) in self.buckets.iter().enumerate() {
            seen += u64::from(n);
            if seen >= rank {
                return bucket_middle_ns(i).clamp(self.min_ns, self.max_ns);
            }
        }
        self.max_ns
    }
}

fn bucket_of(ns: u64) -> usize {
    let us = ns as f64 / 1000.0;
    if us < 1.0 {
        return 0;
    }
    ((us.log2() * STEPS_PER_DOUBLING).floor() as usize + 1).min(BUCKETS - 1)
}

/// Geometric middle of a bucket, in nanoseconds.
fn bucket_middle_ns(i: usize) -> u64 {
    if i == 0 {
        return 500;
    }
    let us = 2f64.powf((i as f64 - 0.5) / STEPS_PER_DOUBLING);
    (us * 1000.0) as u64
}

/// Counters of selection calls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    pub calls: u64,
    pub empty_answers: u64,
    pub lease_calls: u64,
    pub urls_leased: u64,
    pub lease_conflicts: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Stats {
    phases: [PhaseStats; 7],
    counters: Counters,
    /// When the statistics started (TimestampTz).
    reset_at: i64,
}

impl Stats {
    #[cfg(test)]
    fn zero() -> Self {
        Stats { phases: [PhaseStats::EMPTY; 7], counters: Counters::default(), reset_at: 0 }
    }
}

impl Default for Stats {
    fn default() -> Self {
        // SAFETY: reads the clock; callable in any process.
        let now = unsafe { pg_sys::GetCurrentTimestamp() };
        Stats { phases: [PhaseStats::EMPTY; 7], counters: Counters::default(), reset_at: now }
    }
}

/// Databases with statistics of their own in shared memory; those beyond share one more set.
const DATABASES: usize = 32;

/// The statistics of each database in shared memory: `databases[i]` (an OID, 0 when free) owns
/// `stats[i]`; `stats[DATABASES]` counts the databases that found no slot free.
#[derive(Clone, Copy, Debug)]
pub struct Shared {
    databases: [u32; DATABASES],
    stats: [Stats; DATABASES + 1],
}

impl Default for Shared {
    fn default() -> Self {
        Shared { databases: [0; DATABASES], stats: [Stats::default(); DATABASES + 1] }
    }
}

impl Shared {
    /// The slot of database `db`, claiming a free one; the shared one when none is free.
    fn slot(&mut self, db: u32) -> usize {
        if let Some(i) = self.databases.iter().position(|&d| d == db) {
            return i;
        }
        match self.databases.iter().position(|&d| d == 0) {
            Some(i) => {
                self.databases[i] = db;
                self.stats[i] = Stats::default();
                i
            }
            None => DATABASES,
        }
    }

    /// The slot database `db` reads: its own, the shared one when no slot is free, or none yet.
    fn slot_read(&self, db: u32) -> Option<usize> {
        match self.databases.iter().position(|&d| d == db) {
            Some(i) => Some(i),
            None if self.databases.iter().all(|&d| d != 0) => Some(DATABASES),
            None => None,
        }
    }

    fn free(&mut self, db: u32) {
        if let Some(i) = self.databases.iter().position(|&d| d == db) {
            self.databases[i] = 0;
        }
    }
}

// SAFETY: plain old data, no pointers.
unsafe impl PGRXSharedMemory for Shared {}

static SHARED: PgLwLock<Shared> = unsafe { PgLwLock::new(c"annotate_ext timing statistics") };

fn database() -> u32 {
    // SAFETY: this backend's database, set once it connected.
    u32::from(unsafe { pg_sys::MyDatabaseId })
}
/// Set in the postmaster while preloading; forked backends inherit it.
static SHARED_READY: AtomicBool = AtomicBool::new(false);

thread_local! {
    static SESSION: RefCell<Stats> = RefCell::new(Stats::default());
    static LAST: RefCell<Vec<(Phase, f64)>> = const { RefCell::new(Vec::new()) };
}

#[allow(unexpected_cfgs)] // pg_shmem_init! names every PostgreSQL version pgrx supports
pub fn init() {
    // SAFETY: read-only access to a flag the postmaster sets before calling _PG_init.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        pg_shmem_init!(SHARED);
        SHARED_READY.store(true, Ordering::Relaxed);
    }
}

/// `database`: this database's own statistics; `databases beyond 32`: this database found no
/// slot free and shares the last one with every other such database; `session`: this backend's
/// (the library is not preloaded).
pub fn scope() -> String {
    if !SHARED_READY.load(Ordering::Relaxed) {
        return "session".into();
    }
    match SHARED.share().slot_read(database()) {
        Some(DATABASES) => format!("databases beyond {DATABASES}"),
        _ => "database".into(),
    }
}

fn with_stats<R>(f: impl FnOnce(&mut Stats) -> R) -> R {
    if SHARED_READY.load(Ordering::Relaxed) {
        let mut shared = SHARED.exclusive();
        let i = shared.slot(database());
        f(&mut shared.stats[i])
    } else {
        SESSION.with(|s| f(&mut s.borrow_mut()))
    }
}

/// Times the phases of one call. When `annotate.track_timing` is off it reads no clock.
pub struct CallTimer {
    started: Option<Instant>,
    phases: [Duration; 7],
    ran: [bool; 7],
}

impl CallTimer {
    pub fn start() -> Self {
        let started = guc::TRACK_TIMING.get().then(Instant::now);
        CallTimer { started, phases: [Duration::ZERO; 7], ran: [false; 7] }
    }

    /// A timer that records nothing, for calls outside the statistics.
    pub fn disabled() -> Self {
        CallTimer { started: None, phases: [Duration::ZERO; 7], ran: [false; 7] }
    }

    pub fn phase<R>(&mut self, phase: Phase, f: impl FnOnce() -> R) -> R {
        if self.started.is_none() {
            return f();
        }
        let t = Instant::now();
        let r = f();
        self.phases[phase as usize] += t.elapsed();
        self.ran[phase as usize] = true;
        r
    }

    /// Records the call: all seven phases in this session's `last_timings()` (0 for a phase
    /// that did not run), and the phases that ran in the statistics.
    pub fn finish(mut self) {
        let Some(started) = self.started else {
            return;
        };
        self.phases[Phase::Total as usize] = started.elapsed();
        self.ran[Phase::Total as usize] = true;
        let (phases, ran) = (self.phases, self.ran);
        LAST.with(|l| {
            let mut l = l.borrow_mut();
            l.clear();
            for (i, d) in phases.iter().enumerate() {
                l.push((PHASE_ORDER[i], d.as_secs_f64()));
            }
        });
        with_stats(|s| {
            for (i, d) in phases.iter().enumerate() {
                if ran[i] {
                    s.phases[i].record(d.as_nanos() as u64);
                }
            }
        });
    }
}

const PHASE_ORDER: [Phase; 7] = [
    Phase::MainQuery,
    Phase::AgencySuggestions,
    Phase::LocationSuggestions,
    Phase::NameSuggestions,
    Phase::BatchInfo,
    Phase::Format,
    Phase::Total,
];

/// The phases of this session's last `next_annotation` call, in seconds.
pub fn last() -> Vec<(String, f64)> {
    LAST.with(|l| l.borrow().iter().map(|(p, s)| (PHASE_NAMES[*p as usize].to_string(), *s)).collect())
}

pub type StatsRow = (String, i64, f64, f64, f64, f64, f64, f64, f64);

fn stats_rows(stats: &Stats) -> Vec<StatsRow> {
    let ms = |ns: u64| ns as f64 / 1e6;
    stats
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let calls = p.calls;
            (
                PHASE_NAMES[i].to_string(),
                calls as i64,
                ms(p.total_ns),
                if calls == 0 { 0.0 } else { ms(p.total_ns) / calls as f64 },
                if calls == 0 { 0.0 } else { ms(p.min_ns) },
                ms(p.max_ns),
                ms(p.percentile_ns(0.50)),
                ms(p.percentile_ns(0.95)),
                ms(p.percentile_ns(0.99)),
            )
        })
        .collect()
}

/// Cumulative per-phase statistics (this database's when preloaded, else this session's).
pub fn stats() -> Vec<StatsRow> {
    stats_rows(&snapshot())
}

/// Counts one selection call that returned `urls` URLs, `leased` when it took leases, and
/// `conflicts` URLs lost to other callers between the walk and the lease.
pub fn count_call(urls: usize, leased: bool, conflicts: usize) {
    with_stats(|s| {
        let c = &mut s.counters;
        c.calls += 1;
        c.empty_answers += u64::from(urls == 0);
        if leased {
            c.lease_calls += 1;
            c.urls_leased += urls as u64;
            c.lease_conflicts += conflicts as u64;
        }
    });
}

fn snapshot() -> Stats {
    if SHARED_READY.load(Ordering::Relaxed) {
        let shared = SHARED.share();
        match shared.slot_read(database()) {
            Some(i) => shared.stats[i],
            None => Stats::default(),
        }
    } else {
        SESSION.with(|s| *s.borrow())
    }
}

/// The counters and the time the statistics were last reset.
pub fn counters() -> (Counters, pgrx::datum::TimestampWithTimeZone) {
    let s = snapshot();
    // SAFETY: a TimestampTz made by GetCurrentTimestamp.
    let at = unsafe { pgrx::datum::TimestampWithTimeZone::from_datum(pg_sys::Datum::from(s.reset_at), false) };
    (s.counters, at.expect("a timestamp"))
}

/// Histogram bucket bounds for export, in microseconds: every doubling from 8 µs to about 17 s
/// (each the upper edge of one of the fine buckets), then infinity.
const EXPORT_EDGES: std::ops::RangeInclusive<u32> = 3..=24;

/// Per phase, the cumulative count of calls at or under each bound (Prometheus' `le`), in
/// seconds, the last bound being infinity.
pub fn histogram() -> Vec<(String, f64, i64)> {
    histogram_rows(&snapshot())
}

fn histogram_rows(stats: &Stats) -> Vec<(String, f64, i64)> {
    let mut out = Vec::new();
    for (i, p) in stats.phases.iter().enumerate() {
        for k in EXPORT_EDGES {
            // Fine bucket 4k ends at 2^k µs.
            let upto = (4 * k as usize).min(BUCKETS - 1);
            let n: u64 = p.buckets[..=upto].iter().map(|&b| u64::from(b)).sum();
            out.push((PHASE_NAMES[i].to_string(), f64::from(1u32 << k) / 1e6, n as i64));
        }
        out.push((PHASE_NAMES[i].to_string(), f64::INFINITY, p.calls as i64));
    }
    out
}

/// After `DROP DATABASE` dropped database `db` (src/hooks.rs): its slot is free again.
pub fn database_dropped(db: pg_sys::Oid) {
    if SHARED_READY.load(Ordering::Relaxed) && db != pg_sys::InvalidOid {
        SHARED.exclusive().free(u32::from(db));
    }
}

/// Clears the statistics (and this session's last call).
pub fn reset() {
    with_stats(|s| *s = Stats::default());
    LAST.with(|l| l.borrow_mut().clear());
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn buckets_grow_geometrically() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(999), 0);
        assert_eq!(bucket_of(1_000), 1);
        assert_eq!(bucket_of(2_000), 5);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        for ns in [1_500u64, 10_000, 123_456, 9_999_999, 2_000_000_000] {
            let mid = bucket_middle_ns(bucket_of(ns)) as f64;
            assert!((mid / ns as f64 - 1.0).abs() < 0.2, "{ns} -> {mid}");
        }
    }

    #[test]
    fn percentiles_follow_the_distribution() {
        let mut p = PhaseStats::EMPTY;
        // 90 calls of ~1 ms, 10 calls of ~100 ms.
        for _ in 0..90 {
            p.record(1_000_000);
        }
        for _ in 0..10 {
            p.record(100_000_000);
        }
        let p50 = p.percentile_ns(0.5) as f64;
        let p95 = p.percentile_ns(0.95) as f64;
        assert!((p50 / 1e6 - 1.0).abs() < 0.2, "p50 {p50}");
        assert!((p95 / 1e8 - 1.0).abs() < 0.2, "p95 {p95}");
        assert_eq!(p.percentile_ns(1.0), 100_000_000);
        assert_eq!(p.calls, 100);
        assert_eq!(p.min_ns, 1_000_000);
    }

    #[test]
    fn histogram_is_cumulative_at_doublings() {
        let mut stats = Stats::zero();
        // 3 calls of 10 µs, 2 of 1 ms, 1 of 100 s (past the last finite bound).
        for ns in [10_000, 10_000, 10_000, 1_000_000, 1_000_000, 100_000_000_000] {
            stats.phases[0].record(ns);
        }
        let rows: Vec<_> = histogram_rows(&stats).into_iter().filter(|r| r.0 == "main_query").collect();
        let at = |le: f64| rows.iter().find(|r| (r.1 - le).abs() < 1e-12).map(|r| r.2).unwrap();
        assert_eq!(at(8e-6), 0);
        assert_eq!(at(16e-6), 3);
        assert_eq!(at(512e-6), 3);
        assert_eq!(at(1024e-6), 5); // 1 ms is just under 2^10 µs
        assert_eq!(at(2048e-6), 5);
        assert_eq!(rows.last().unwrap().1, f64::INFINITY);
        assert_eq!(rows.last().unwrap().2, 6);
        assert_eq!(at(f64::from(1u32 << 24) / 1e6), 5);
        assert!(rows.windows(2).all(|w| w[0].2 <= w[1].2));
    }

    #[test]
    fn empty_stats_report_zeros() {
        let rows = stats_rows(&Stats::zero());
        assert_eq!(rows.len(), 7);
        assert!(rows.iter().all(|r| r.1 == 0 && r.3 == 0.0 && r.4 == 0.0 && r.6 == 0.0));
        assert_eq!(rows[6].0, "total");
    }
}
