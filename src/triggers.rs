//! The write path: what each write to a captured app table changes in the queue, held by the
//! writer's transaction and appended as it commits (src/held.rs); follow changes appended at
//! once (sql/queries/capture_batch.sql).
//!
//! A writer only ever inserts new rows into annotate_internal.queue_delta and batch_event: it
//! updates no shared row, so it takes no lock the app's own write would not take, cannot
//! deadlock with another writer through the extension, and never meets a serialization failure
//! the app alone would not have met. Folding those rows into the ordered queue is done apart
//! (src/fold.rs); readers add what is not folded yet (src/selection.rs).
//!
//! The trigger functions are not executable by PUBLIC (so no role can attach them to a table of
//! its own), and each checks, before anything else, that it fires AFTER a row operation on the
//! app table its argument names: fed from anywhere else it raises an error and writes nothing.

use std::ffi::CStr;

use pgrx::datum::{DatumWithOid, Uuid};
use pgrx::prelude::*;

use crate::held::{self, scratch_context, Delta};
use crate::statements::{self as st, with_spi};

/// A captured table, named by the trigger's argument (sql/attach.sql lists them).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Urls,
    BatchLink,
    BatchLocation,
    Follow,
    UrlTypeUser,
    UrlTypeAnon,
    UrlTypeAuto,
    Validated,
    Suspended,
    AgencyUser,
    RecordTypeUser,
    LocationUser,
    AgencyAnon,
    RecordTypeAnon,
    LocationAnon,
}

const KINDS: &[(&str, Kind, &str)] = &[
    ("urls", Kind::Urls, "urls"),
    ("batch_link", Kind::BatchLink, "link_batches__urls"),
    ("batch_location", Kind::BatchLocation, "link_batches__locations"),
    ("follow", Kind::Follow, "link__locations__user_follows"),
    ("url_type_user", Kind::UrlTypeUser, "annotation__url_type__user"),
    ("url_type_anon", Kind::UrlTypeAnon, "annotation__url_type__anon"),
    ("url_type_auto", Kind::UrlTypeAuto, "annotation__url_type__auto"),
    ("validated", Kind::Validated, "flag_url_validated"),
    ("suspended", Kind::Suspended, "flag_url_suspended"),
    ("agency_user", Kind::AgencyUser, "annotation__agency__user"),
    ("record_type_user", Kind::RecordTypeUser, "annotation__record_type__user"),
    ("location_user", Kind::LocationUser, "annotation__location__user"),
    ("agency_anon", Kind::AgencyAnon, "annotation__agency__anon"),
    ("record_type_anon", Kind::RecordTypeAnon, "annotation__record_type__anon"),
    ("location_anon", Kind::LocationAnon, "annotation__location__anon"),
];

/// A follow change: a batch's locations, or a location's followers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Refollow {
    Batch(i32),
    Location(i32),
}

/// What a captured row holds, as far as the queue cares.
#[derive(Clone, Debug, PartialEq)]
struct Fact {
    /// url_id (id for urls, batch_id for batch_location, location_id for follow).
    key: i32,
    /// batch_id (batch_link), location_id (batch_location), user_id (user tables).
    other: Option<i32>,
    session: Option<Uuid>,
    manual: bool,
}

/// The changes one row event makes, as a pure function of the row before and after.
fn changes(kind: Kind, old: Option<&Fact>, new: Option<&Fact>) -> (Vec<Delta>, Vec<Refollow>) {
    let mut deltas = Vec::new();
    let mut refollows = Vec::new();
    let moved = match (old, new) {
        (Some(o), Some(n)) => o != n,
        _ => true,
    };
    if !moved {
        return (deltas, refollows);
    }
    let sign_of = |f: &Fact, sign: i32| -> Option<Delta> {
        let mut d = Delta { url_id: f.key, ..Delta::default() };
        match kind {
            Kind::Urls => {
                d.d_exists = sign;
                d.d_manual = if f.manual { sign } else { 0 };
            }
            Kind::BatchLink => {
                d.batch_id = f.other;
                d.d_batch = sign;
            }
            Kind::UrlTypeUser => d.d_user = sign,
            Kind::UrlTypeAnon => d.d_anon = sign,
            Kind::UrlTypeAuto => d.d_auto = sign,
            Kind::Validated => d.d_validated = sign,
            Kind::Suspended => d.d_suspended = sign,
            Kind::AgencyUser => d.d_agency = sign,
            // These tables end leases only: a row leaving them changes no count, but its URL
            // may be its annotator's to get again, which resume points must hear of
            // (src/resume.rs): a delta of nothing, which the fold logs.
            _ => {}
        }
        if sign > 0 {
            match kind {
                Kind::UrlTypeUser | Kind::AgencyUser | Kind::RecordTypeUser | Kind::LocationUser => {
                    d.done_user = f.other
                }
                Kind::UrlTypeAnon | Kind::AgencyAnon | Kind::RecordTypeAnon | Kind::LocationAnon => {
                    d.done_session = f.session
                }
                _ => {}
            }
        }
        Some(d)
    };
    match kind {
        Kind::BatchLocation => {
            for f in old.into_iter().chain(new) {
                let r = Refollow::Batch(f.key);
                if !refollows.contains(&r) {
                    refollows.push(r);
                }
            }
        }
        Kind::Follow => {
            for f in old.into_iter().chain(new) {
                let r = Refollow::Location(f.key);
                if !refollows.contains(&r) {
                    refollows.push(r);
                }
            }
        }
        Kind::Urls if old.is_some_and(|o| new.is_some_and(|n| o.key == n.key)) => {
            // Same URL, another source: only manual can have changed.
            let (o, n) = (old.unwrap(), new.unwrap());
            deltas.push(Delta {
                url_id: n.key,
                d_manual: n.manual as i32 - o.manual as i32,
                ..Delta::default()
            });
        }
        _ => {
            deltas.extend(old.and_then(|o| sign_of(o, -1)));
            deltas.extend(new.and_then(|n| sign_of(n, 1)));
        }
    }
    (deltas, refollows)
}

/// A raw row of the triggering table, read by column name: a row trigger's tuple, or a slot
/// filled from a statement trigger's transition table.
struct Row {
    source: Source,
    desc: pg_sys::TupleDesc,
}

#[derive(Clone, Copy)]
enum Source {
    Tuple(pg_sys::HeapTuple),
    Slot(*mut pg_sys::TupleTableSlot),
}

impl Row {
    fn attribute(&self, name: &str) -> Option<(i32, pg_sys::Oid)> {
        // SAFETY: desc is the relation's tuple descriptor, valid for the trigger call.
        unsafe {
            let desc = &*self.desc;
            let attrs = desc.attrs.as_slice(desc.natts as usize);
            attrs
                .iter()
                .find(|a| {
                    !a.attisdropped && CStr::from_ptr(a.attname.data.as_ptr()).to_bytes() == name.as_bytes()
                })
                .map(|a| (a.attnum as i32, a.atttypid))
        }
    }

    fn datum(&self, name: &str) -> Option<(pg_sys::Datum, pg_sys::Oid)> {
        let (attnum, typid) = self.attribute(name).unwrap_or_else(|| {
            error!("annotate_ext: the captured table has no column {name}; run SELECT annotate.attach()")
        });
        let mut null = false;
        // SAFETY: the tuple (or slot) and desc belong together; attnum is one of desc's
        // attributes.
        let datum = unsafe {
            match self.source {
                Source::Tuple(tuple) => pg_sys::heap_getattr(tuple, attnum, self.desc, &mut null),
                Source::Slot(slot) => pg_sys::slot_getattr(slot, attnum, &mut null),
            }
        };
        (!null).then_some((datum, typid))
    }

    /// An integer id column of any width.
    fn wide_id(&self, name: &str) -> Option<i64> {
        let (datum, typid) = self.datum(name)?;
        Some(match typid {
            pg_sys::INT2OID => datum.value() as i16 as i64,
            pg_sys::INT4OID => datum.value() as i32 as i64,
            pg_sys::INT8OID => datum.value() as i64,
            _ => error!("annotate_ext: column {name} is not an integer"),
        })
    }

    /// An integer id column of any width, as the queue holds it.
    fn id(&self, name: &str) -> Option<i32> {
        let value = self.wide_id(name)?;
        Some(
            i32::try_from(value).unwrap_or_else(|_| {
                error!("annotate_ext: {name} {value} is beyond the queue's integer range")
            }),
        )
    }

    /// An annotator's user_id: only ends that user's lease, which a user_id beyond the range of
    /// the API's user_id argument (integer) cannot hold. Such an id (a column retyped to bigint)
    /// counts the annotation all the same, and names no annotator, rather than fail the write.
    fn annotator(&self) -> Option<i32> {
        self.wide_id("user_id").and_then(|v| i32::try_from(v).ok())
    }

    fn uuid(&self, name: &str) -> Option<Uuid> {
        let (datum, _) = self.datum(name)?;
        // SAFETY: a uuid column (checked by annotate.attach()), not null.
        unsafe { Uuid::from_datum(datum, false) }
    }

    /// A column in its text form (for the url_source enum, or whatever type it became).
    fn text(&self, name: &str) -> Option<String> {
        let (datum, typid) = self.datum(name)?;
        let (mut output, mut varlena) = (pg_sys::InvalidOid, false);
        // SAFETY: the type's own output function, on a non-null value of that type.
        unsafe {
            pg_sys::getTypeOutputInfo(typid, &mut output, &mut varlena);
            let text = pg_sys::OidOutputFunctionCall(output, datum);
            Some(CStr::from_ptr(text).to_string_lossy().into_owned())
        }
    }

    fn fact(&self, kind: Kind) -> Fact {
        let (key, other, session, manual) = match kind {
            Kind::Urls => (self.id("id"), None, None, self.text("source").as_deref() == Some("manual")),
            Kind::BatchLink => (self.id("url_id"), self.id("batch_id"), None, false),
            Kind::BatchLocation => (self.id("batch_id"), self.id("location_id"), None, false),
            Kind::Follow => (self.id("location_id"), None, None, false),
            Kind::UrlTypeUser | Kind::AgencyUser | Kind::RecordTypeUser | Kind::LocationUser => {
                (self.id("url_id"), self.annotator(), None, false)
            }
            Kind::UrlTypeAnon | Kind::AgencyAnon | Kind::RecordTypeAnon | Kind::LocationAnon => {
                (self.id("url_id"), None, self.uuid("session_id"), false)
            }
            Kind::UrlTypeAuto | Kind::Validated | Kind::Suspended => (self.id("url_id"), None, None, false),
        };
        Fact { key: key.unwrap_or_default(), other, session, manual }
    }
}

/// How a capture function is meant to fire (sql/attach.sql makes the four triggers).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Firing {
    /// annotate_capture: AFTER UPDATE, FOR EACH ROW (an update pairs each row's old and new
    /// version, which a statement's transition tables do not).
    Row,
    /// annotate_capture_insert: AFTER INSERT, FOR EACH STATEMENT, with the inserted rows as a
    /// transition table (one call per statement, however many rows it inserts).
    Inserted,
    /// annotate_capture_delete: AFTER DELETE, FOR EACH STATEMENT, with the deleted rows as a
    /// transition table (one call per statement, however many rows it deletes).
    Deleted,
    /// annotate_capture_truncate: AFTER TRUNCATE, FOR EACH STATEMENT.
    Truncate,
}

/// The captured table a trigger argument names, after checking that the trigger fires where it
/// was made to: AFTER, as `firing` says, on that table in schema public.
fn kind_of(data: &pg_sys::TriggerData, function: &str, firing: Firing) -> Kind {
    // SAFETY: a trigger call's TriggerData, its Trigger and its relation, valid for the call.
    let (arg, nargs, rel) = unsafe {
        let trigger = &*data.tg_trigger;
        let arg = (trigger.tgnargs > 0).then(|| CStr::from_ptr(*trigger.tgargs).to_bytes());
        (arg, trigger.tgnargs, &*(*data.tg_relation).rd_rel)
    };
    use pgrx::trigger_support as ts;
    let event = data.tg_event;
    let after = ts::trigger_fired_after(event);
    let firing_ok = match firing {
        Firing::Row => ts::trigger_fired_for_row(event) && ts::trigger_fired_by_update(event),
        Firing::Inserted => {
            ts::trigger_fired_for_statement(event)
                && ts::trigger_fired_by_insert(event)
                && !data.tg_newtable.is_null()
        }
        Firing::Deleted => {
            ts::trigger_fired_for_statement(event)
                && ts::trigger_fired_by_delete(event)
                && !data.tg_oldtable.is_null()
        }
        Firing::Truncate => ts::trigger_fired_for_statement(event) && ts::trigger_fired_by_truncate(event),
    };
    let found = arg.and_then(|a| KINDS.iter().find(|(name, _, _)| name.as_bytes() == a));
    // The relation's own catalog row (its name and schema), read from the relcache entry the
    // call holds: no lookup by name on every call.
    // SAFETY: relname is a NUL-terminated NameData.
    let relname = unsafe { CStr::from_ptr(rel.relname.data.as_ptr()) }.to_bytes();
    let expected = found.map(|(_, _, table)| relname == table.as_bytes() && rel.relnamespace == public_schema());
    match (found, expected) {
        (Some((_, kind, _)), Some(true)) if after && firing_ok && nargs == 1 => *kind,
        _ => crate::errors::raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            format!("annotate_internal.{function}: fired on a table or in a way it was not made for"),
            Some("It captures writes to the application's tables for annotate_ext's queue, as annotate.attach() sets it up."),
            None,
        ),
    }
}

thread_local! {
    /// Schema public's OID, as looked up in the (local) transaction that set it.
    static PUBLIC: std::cell::Cell<(u32, pg_sys::Oid)> = const { std::cell::Cell::new((0, pg_sys::InvalidOid)) };
}

/// Schema public's OID (InvalidOid when there is none), looked up once per transaction.
fn public_schema() -> pg_sys::Oid {
    // SAFETY: this backend's PGPROC, set for a backend's lifetime.
    let xact = unsafe { (*pg_sys::MyProc).lxid };
    PUBLIC.with(|p| {
        let (at, oid) = p.get();
        if at == xact && oid != pg_sys::InvalidOid {
            return oid;
        }
        let oid = crate::access::namespace("public");
        p.set((xact, oid));
        oid
    })
}

/// Where one trigger call's changes go: deltas held by this transaction until it commits or
/// reads the extension's tables (src/held.rs), follow changes through
/// sql/queries/capture_batch.sql at the end.
struct Capture {
    holder: Option<held::Holder>,
    /// Deltas for the statement file, when the table is not as this library knows it.
    fallback: Vec<Delta>,
    refollows: std::collections::BTreeSet<Refollow>,
    wrote: bool,
}

impl Capture {
    fn new() -> Self {
        Capture { holder: held::holder(), fallback: Vec::new(), refollows: Default::default(), wrote: false }
    }

    fn add(&mut self, deltas: Vec<Delta>, refollows: Vec<Refollow>) {
        for d in deltas {
            self.wrote = true;
            match self.holder.as_ref() {
                Some(h) => h.hold(&d),
                None => self.fallback.push(d),
            }
        }
        self.refollows.extend(refollows);
    }

    fn finish(self) {
        if self.wrote || !self.refollows.is_empty() {
            crate::fold::wake_for_writer();
        }
        if !self.fallback.is_empty() {
            // The table is not as this library knows it (a library newer or older than the
            // extension's scripts, an index or trigger its owner added): the statement file,
            // which names its columns, appends them at once.
            let rows: Vec<(Delta, Vec<i32>)> = self.fallback.into_iter().map(|d| (d, Vec::new())).collect();
            held::append_through_sql(&rows);
        }
        if self.refollows.is_empty() {
            return;
        }
        crate::access::as_owner(|| {
            with_spi("capturing a follow change", |client| {
                for r in &self.refollows {
                    let (batch, location) = match *r {
                        Refollow::Batch(b) => (Some(b), None),
                        Refollow::Location(l) => (None, Some(l)),
                    };
                    let args: [DatumWithOid; 2] = [batch.into(), location.into()];
                    st::CAPTURE_BATCH.run(client, &args)?;
                }
                Ok(())
            })
        })
    }
}

/// Captures a statement's rows, inserted or deleted, from its transition table `store`: what
/// `change` makes of each row, appended together.
fn capture_statement(
    data: &pg_sys::TriggerData,
    kind: Kind,
    store: *mut pg_sys::Tuplestorestate,
    change: impl Fn(&Fact) -> (Vec<Delta>, Vec<Refollow>),
) {
    let mut capture = Capture::new();
    // SAFETY: the transition table holds rows of the trigger's relation (for a partitioned
    // table, converted to its row type), valid for the call; kind_of() checked that it is
    // there. It is read through a read pointer of its own, from the start, as the executor
    // reads one (other triggers of the statement may share it); the slot is dropped before
    // returning.
    unsafe {
        let desc = (*data.tg_relation).rd_att;
        let reader = pg_sys::tuplestore_alloc_read_pointer(store, pg_sys::EXEC_FLAG_REWIND as i32);
        pg_sys::tuplestore_select_read_pointer(store, reader);
        pg_sys::tuplestore_rescan(store);
        let slot = pg_sys::MakeSingleTupleTableSlot(desc, &pg_sys::TTSOpsMinimalTuple);
        // What reading a row allocates (a column's text form) is freed row by row.
        let per_row = scratch_context(c"annotate_ext capture row");
        while pg_sys::tuplestore_gettupleslot(store, true, false, slot) {
            let outer = pg_sys::CurrentMemoryContext;
            pg_sys::CurrentMemoryContext = per_row;
            let fact = Row { source: Source::Slot(slot), desc }.fact(kind);
            pg_sys::CurrentMemoryContext = outer;
            pg_sys::MemoryContextReset(per_row);
            let (deltas, refollows) = change(&fact);
            capture.add(deltas, refollows);
        }
        pg_sys::MemoryContextDelete(per_row);
        pg_sys::ExecDropSingleTupleTableSlot(slot);
        pg_sys::tuplestore_select_read_pointer(store, 0);
    }
    capture.finish();
}

#[pg_schema]
mod annotate_internal {
    use pgrx::heap_tuple::PgHeapTuple;
    use pgrx::prelude::*;
    use pgrx::AllocatedByPostgres;

    use super::*;

    /// AFTER UPDATE FOR EACH ROW on a captured app table (argument: its kind).
    #[pg_trigger]
    fn capture<'a>(
        trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
        let data = trigger.trigger_data();
        let kind = kind_of(data, "capture", Firing::Row);
        let desc = unsafe { (*data.tg_relation).rd_att };
        let row = |tuple: pg_sys::HeapTuple| Row { source: Source::Tuple(tuple), desc }.fact(kind);
        let (old, new) = (row(data.tg_trigtuple), row(data.tg_newtuple));
        let (deltas, refollows) = changes(kind, Some(&old), Some(&new));
        let mut capture = Capture::new();
        capture.add(deltas, refollows);
        capture.finish();
        Ok(None)
    }

    /// AFTER INSERT FOR EACH STATEMENT on a captured app table, the inserted rows as a
    /// transition table (argument: its kind): one call however many rows the statement inserts.
    #[pg_trigger]
    fn capture_insert<'a>(
        trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
        let data = trigger.trigger_data();
        let kind = kind_of(data, "capture_insert", Firing::Inserted);
        capture_statement(data, kind, data.tg_newtable, |f| changes(kind, None, Some(f)));
        Ok(None)
    }

    /// AFTER DELETE FOR EACH STATEMENT on a captured app table, the deleted rows as a
    /// transition table (argument: its kind): one call however many rows the statement deletes.
    #[pg_trigger]
    fn capture_delete<'a>(
        trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
        let data = trigger.trigger_data();
        let kind = kind_of(data, "capture_delete", Firing::Deleted);
        capture_statement(data, kind, data.tg_oldtable, |f| changes(kind, Some(f), None));
        Ok(None)
    }

    /// AFTER TRUNCATE on a captured app table (argument: its kind).
    #[pg_trigger]
    fn capture_truncate<'a>(
        trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
        let data = trigger.trigger_data();
        let kind = kind_of(data, "capture_truncate", Firing::Truncate);
        let name = KINDS.iter().find(|(_, k, _)| *k == kind).map(|(n, _, _)| *n).unwrap_or_default();
        crate::access::as_owner(|| {
            with_spi("capturing a TRUNCATE", |client| {
                let args: [DatumWithOid; 1] = [name.into()];
                st::TRUNCATED.run(client, &args)
            })
        });
        Ok(None)
    }

    /// BEFORE INSERT, UPDATE, DELETE or TRUNCATE, FOR EACH STATEMENT, on annotate_internal.queue
    /// itself: a statement that is not one of the extension's own (a DBA's UPDATE, a COPY, a
    /// script) logs a change that reaches many rows, voiding every resume point from before it
    /// (src/resume.rs).
    #[pg_trigger]
    fn queue_written<'a>(
        trigger: &'a pgrx::PgTrigger<'a>,
    ) -> Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, pgrx::PgTriggerError> {
        use pgrx::trigger_support as ts;
        let data = trigger.trigger_data();
        // SAFETY: a trigger call's relation, valid for the call.
        let relid = unsafe { (*data.tg_relation).rd_id };
        if !(ts::trigger_fired_before(data.tg_event) && ts::trigger_fired_for_statement(data.tg_event))
            || relid != crate::head::queue_oid()
        {
            crate::errors::raise(
                PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
                "annotate_internal.queue_written: fired on a table or in a way it was not made for".into(),
                Some("It logs writes to annotate_internal.queue, BEFORE each statement, as the extension sets it up."),
                None,
            );
        }
        if !crate::statements::ours_running() {
            crate::access::as_owner(|| {
                with_spi("logging a write to the queue", |client| st::QUEUE_WRITTEN.run(client, &[]))
            });
        }
        Ok(None)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn fact(key: i32, other: Option<i32>) -> Fact {
        Fact { key, other, session: None, manual: false }
    }

    #[test]
    fn a_vote_counts_and_ends_the_voters_lease() {
        let (d, r) = changes(Kind::UrlTypeUser, None, Some(&fact(7, Some(3))));
        assert_eq!(d, vec![Delta { url_id: 7, d_user: 1, done_user: Some(3), ..Delta::default() }]);
        assert!(r.is_empty());
        let (d, _) = changes(Kind::UrlTypeUser, Some(&fact(7, Some(3))), None);
        assert_eq!(d, vec![Delta { url_id: 7, d_user: -1, ..Delta::default() }]);
    }

    #[test]
    fn a_vote_moved_to_another_url_moves_its_count() {
        let (d, _) = changes(Kind::UrlTypeAuto, Some(&fact(1, None)), Some(&fact(2, None)));
        assert_eq!(
            d,
            vec![
                Delta { url_id: 1, d_auto: -1, ..Delta::default() },
                Delta { url_id: 2, d_auto: 1, ..Delta::default() }
            ]
        );
    }

    #[test]
    fn an_update_of_nothing_the_queue_reads_changes_nothing() {
        let (d, r) = changes(Kind::BatchLink, Some(&fact(1, Some(5))), Some(&fact(1, Some(5))));
        assert!(d.is_empty() && r.is_empty());
    }

    #[test]
    fn a_url_turning_manual_moves_only_that_key() {
        let before = Fact { key: 4, other: None, session: None, manual: false };
        let after = Fact { manual: true, ..before.clone() };
        let (d, _) = changes(Kind::Urls, Some(&before), Some(&after));
        assert_eq!(d, vec![Delta { url_id: 4, d_manual: 1, ..Delta::default() }]);
    }

    #[test]
    fn follow_changes_name_what_to_recompute_not_the_result() {
        let (d, r) = changes(Kind::Follow, Some(&fact(3, None)), Some(&fact(8, None)));
        assert!(d.is_empty());
        assert_eq!(r, vec![Refollow::Location(3), Refollow::Location(8)]);
        let (_, r) = changes(Kind::BatchLocation, None, Some(&fact(2, Some(3))));
        assert_eq!(r, vec![Refollow::Batch(2)]);
    }

    #[test]
    fn rows_leaving_lease_only_tables_change_no_count_but_name_the_url() {
        let (d, _) = changes(Kind::LocationUser, Some(&fact(5, Some(1))), None);
        assert_eq!(d, vec![Delta { url_id: 5, ..Delta::default() }]);
        let (d, _) = changes(Kind::LocationUser, None, Some(&fact(5, Some(1))));
        assert_eq!(d, vec![Delta { url_id: 5, done_user: Some(1), ..Delta::default() }]);
    }
}
