//! The write path: what each write to a captured app table changes in the queue, appended in
//! the writer's transaction (sql/queries/capture.sql, capture_batch.sql).
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

use std::ffi::{CStr, CString};

use pgrx::datum::{DatumWithOid, Uuid};
use pgrx::prelude::*;

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

/// One change of a URL's queue state (a row of queue_delta, without its xid).
#[derive(Clone, Debug, Default, PartialEq)]
struct Delta {
    url_id: i32,
    batch_id: Option<i32>,
    d_batch: i32,
    d_exists: i32,
    d_manual: i32,
    d_user: i32,
    d_anon: i32,
    d_auto: i32,
    d_agency: i32,
    d_validated: i32,
    d_suspended: i32,
    done_user: Option<i32>,
    done_session: Option<Uuid>,
}

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

    /// An integer id column of any width, as the queue holds it.
    fn id(&self, name: &str) -> Option<i32> {
        let (datum, typid) = self.datum(name)?;
        let value: i64 = match typid {
            pg_sys::INT2OID => datum.value() as i16 as i64,
            pg_sys::INT4OID => datum.value() as i32 as i64,
            pg_sys::INT8OID => datum.value() as i64,
            _ => error!("annotate_ext: column {name} is not an integer"),
        };
        Some(
            i32::try_from(value).unwrap_or_else(|_| {
                error!("annotate_ext: {name} {value} is beyond the queue's integer range")
            }),
        )
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
                (self.id("url_id"), self.id("user_id"), None, false)
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
    let (args, relid) = unsafe {
        let trigger = &*data.tg_trigger;
        let args: Vec<String> = (0..trigger.tgnargs as usize)
            .map(|i| CStr::from_ptr(*trigger.tgargs.add(i)).to_string_lossy().into_owned())
            .collect();
        (args, (*data.tg_relation).rd_id)
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
    let found = args.first().and_then(|a| KINDS.iter().find(|(name, _, _)| name == a));
    let expected = found.map(|(_, _, table)| {
        let public = CString::new("public").unwrap();
        let table = CString::new(*table).unwrap();
        // SAFETY: name lookups; InvalidOid when missing.
        unsafe { pg_sys::get_relname_relid(table.as_ptr(), pg_sys::get_namespace_oid(public.as_ptr(), true)) }
    });
    match (found, expected) {
        (Some((_, kind, _)), Some(oid)) if after && firing_ok && args.len() == 1 && oid == relid => *kind,
        _ => crate::errors::raise(
            PgSqlErrorCode::ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED,
            format!("annotate_internal.{function}: fired on a table or in a way it was not made for"),
            Some("It captures writes to the application's tables for annotate_ext's queue, as annotate.attach() sets it up."),
            None,
        ),
    }
}

/// The columns of annotate_internal.queue_delta, in order, with their types (sql/internal.sql).
const DELTA_COLUMNS: [(&str, pg_sys::BuiltinOid); 15] = {
    use pg_sys::BuiltinOid::{INT2OID, INT4ARRAYOID, INT4OID, UUIDOID, XID8OID};
    [
        ("xid", XID8OID),
        ("url_id", INT4OID),
        ("batch_id", INT4OID),
        ("d_batch", INT2OID),
        ("d_exists", INT2OID),
        ("d_manual", INT2OID),
        ("d_user", INT2OID),
        ("d_anon", INT2OID),
        ("d_auto", INT2OID),
        ("d_agency", INT2OID),
        ("d_validated", INT2OID),
        ("d_suspended", INT2OID),
        ("done_user", INT4OID),
        ("done_session", UUIDOID),
        ("more_urls", INT4ARRAYOID),
    ]
};

/// The most URLs one row of queue_delta stands for: their array stays under the size at which
/// PostgreSQL would compress or move it out of line (TOAST, about 2 kB a row).
const PACK: usize = 400;

/// Appends `d` to the rows to write: to the last one when it makes the same change (a bulk
/// vote, flag or link: every row of the statement alike but for its URL), as one more URL,
/// else as a row of its own. A row is a change and the URLs it applies to, url_id first.
fn pack(rows: &mut Vec<(Delta, Vec<i32>)>, d: &Delta) {
    if let Some((last, more)) = rows.last_mut() {
        if more.len() + 1 < PACK && (Delta { url_id: last.url_id, ..d.clone() }) == *last {
            more.push(d.url_id);
            return;
        }
    }
    rows.push((d.clone(), Vec::new()));
}

/// Where one trigger call's changes go: deltas straight into annotate_internal.queue_delta
/// (DeltaWriter), follow changes through sql/queries/capture_batch.sql at the end.
struct Capture {
    writer: Option<DeltaWriter>,
    /// Deltas for the statement file, when the table is not as this library knows it.
    fallback: Vec<Delta>,
    refollows: std::collections::BTreeSet<Refollow>,
}

impl Capture {
    fn new() -> Self {
        Capture { writer: DeltaWriter::open(), fallback: Vec::new(), refollows: Default::default() }
    }

    fn add(&mut self, deltas: Vec<Delta>, refollows: Vec<Refollow>) {
        for d in deltas {
            match self.writer.as_mut() {
                Some(w) => w.push(&d),
                None => self.fallback.push(d),
            }
        }
        self.refollows.extend(refollows);
    }

    fn finish(self) {
        let wrote = self.writer.as_ref().is_some_and(|w| w.wrote) || !self.fallback.is_empty();
        if let Some(w) = self.writer {
            w.close();
        }
        if wrote || !self.refollows.is_empty() {
            crate::fold::wake_for_writer();
        }
        if !self.fallback.is_empty() {
            // The table is not as this library knows it (a library newer or older than the
            // extension's scripts): the statement file, which names its columns, does it.
            crate::access::as_owner(|| {
                with_spi("capturing a write", |client| {
                    for d in &self.fallback {
                        let args: [DatumWithOid; 13] = [
                            d.url_id.into(),
                            d.batch_id.into(),
                            d.d_batch.into(),
                            d.d_exists.into(),
                            d.d_manual.into(),
                            d.d_user.into(),
                            d.d_anon.into(),
                            d.d_auto.into(),
                            d.d_agency.into(),
                            d.d_validated.into(),
                            d.d_suspended.into(),
                            d.done_user.into(),
                            d.done_session.into(),
                        ];
                        st::CAPTURE.run(client, &args)?;
                    }
                    Ok(())
                })
            });
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

/// A memory context under the current one, for what one row or one batch allocates: reset
/// after it, so that a statement inserting millions of rows holds one row's or one batch's
/// memory at a time, not all of it until the trigger returns.
fn scratch_context(name: &'static std::ffi::CStr) -> pg_sys::MemoryContext {
    // SAFETY: a child of the current context (the trigger call's), deleted by its owner or
    // with its parent.
    unsafe {
        pg_sys::AllocSetContextCreateInternal(
            pg_sys::CurrentMemoryContext,
            name.as_ptr(),
            0,
            pg_sys::ALLOCSET_DEFAULT_INITSIZE as usize,
            pg_sys::ALLOCSET_DEFAULT_MAXSIZE as usize,
        )
    }
}

/// Appends deltas to annotate_internal.queue_delta as PostgreSQL writes its own catalogs: heap
/// inserts of up to BATCH rows at a time (heap_multi_insert) and their index entries
/// (CatalogTuplesMultiInsertWithInfo), a row for up to PACK URLs with the same change (pack()),
/// with the table and its index opened once per trigger
/// call, without the executor, SPI or a plan: the write path's one cost on the app's writes. The
/// table has no trigger, no constraint but NOT NULL, and a plain index; its columns and their
/// types are checked when it is opened, and None returned when they are not the ones this
/// library knows (nothing is written then: the caller's SQL fallback writes them). So are its
/// indexes, triggers and CHECK constraints: the catalog insert path evaluates no index
/// expression or predicate and fires nothing, so an index, trigger or constraint someone added
/// to the table (its owner can) sends the writes through SQL instead of past it or into a
/// crash. No privilege is checked: only a capture trigger that passed kind_of() gets here.
struct DeltaWriter {
    rel: pg_sys::Relation,
    indexes: pg_sys::CatalogIndexState,
    slots: Vec<*mut pg_sys::TupleTableSlot>,
    /// The rows of the next flush: a change and the further URLs it applies to.
    rows: Vec<(Delta, Vec<i32>)>,
    /// Whether anything was pushed (and so will be written by close()).
    wrote: bool,
    xid: pg_sys::Datum,
    /// What a batch allocates (its uuids and URL arrays, heap_multi_insert's arrays, index
    /// entries), reset after each flush.
    batch: pg_sys::MemoryContext,
}

impl DeltaWriter {
    const BATCH: usize = 1000;

    fn open() -> Option<Self> {
        let internal = crate::access::namespace("annotate_internal");
        let relid = crate::access::relation(internal, "queue_delta");
        if relid == pg_sys::InvalidOid {
            return None;
        }
        // SAFETY: the relation is opened with the lock an INSERT takes (kept to the end of the
        // transaction, as the executor keeps it), its descriptor and indexes read while it is
        // open, and what was opened closed again when the table is not the one expected.
        unsafe {
            let rel = pg_sys::table_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
            let desc = (*rel).rd_att;
            let natts = (*desc).natts as usize;
            let attrs = (*desc).attrs.as_slice(natts);
            let known = natts == DELTA_COLUMNS.len()
                && attrs.iter().zip(DELTA_COLUMNS).all(|(a, (name, ty))| {
                    !a.attisdropped
                        && a.atttypid == ty.value()
                        && CStr::from_ptr(a.attname.data.as_ptr()).to_bytes() == name.as_bytes()
                });
            let constr = (*desc).constr;
            let plain_table = (*rel).trigdesc.is_null() && (constr.is_null() || (*constr).num_check == 0);
            let indexes = pg_sys::CatalogOpenIndexes(rel);
            if !known || !plain_table || !plain_indexes(indexes) {
                pg_sys::CatalogCloseIndexes(indexes);
                pg_sys::table_close(rel, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
                return None;
            }
            Some(DeltaWriter {
                rel,
                indexes,
                slots: Vec::new(),
                rows: Vec::new(),
                wrote: false,
                xid: pg_sys::Datum::from(pg_sys::GetTopFullTransactionId().value),
                batch: scratch_context(c"annotate_ext delta batch"),
            })
        }
    }

    fn push(&mut self, d: &Delta) {
        self.wrote = true;
        pack(&mut self.rows, d);
        if self.rows.len() > Self::BATCH {
            let next = self.rows.pop();
            self.flush();
            self.rows.extend(next);
        }
    }

    fn flush(&mut self) {
        if self.rows.is_empty() {
            return;
        }
        let small = |v: i32| pg_sys::Datum::from(v.clamp(i16::MIN.into(), i16::MAX.into()) as i16);
        // SAFETY: each slot is made for the table's descriptor; its values are set in the
        // descriptor's order and types (checked in open()). What they point to (a uuid, an
        // int4 array) is allocated in the batch context, as is what heap_multi_insert leaves in
        // the current one; the slots' tuples, formed in the slots' own context, are freed by
        // ExecClearTuple, after which nothing points into the batch context and it is reset.
        unsafe {
            // Slots live as long as the writer (made in the trigger call's context).
            while self.slots.len() < self.rows.len() {
                self.slots.push(pg_sys::MakeSingleTupleTableSlot((*self.rel).rd_att, &pg_sys::TTSOpsHeapTuple));
            }
            let outer = pg_sys::CurrentMemoryContext;
            pg_sys::CurrentMemoryContext = self.batch;
            for ((d, more), &slot) in self.rows.iter().zip(&self.slots) {
                pg_sys::ExecClearTuple(slot);
                let session = d.done_session.map(|u| {
                    let p = pg_sys::palloc(16).cast::<u8>();
                    std::ptr::copy_nonoverlapping(u.as_bytes().as_ptr(), p, 16);
                    pg_sys::Datum::from(p)
                });
                let urls = (!more.is_empty()).then(|| {
                    let mut elems: Vec<pg_sys::Datum> = more.iter().map(|&u| pg_sys::Datum::from(u)).collect();
                    let array = pg_sys::construct_array(
                        elems.as_mut_ptr(),
                        elems.len() as i32,
                        pg_sys::INT4OID,
                        4,
                        true,
                        pg_sys::TYPALIGN_INT as std::ffi::c_char,
                    );
                    pg_sys::Datum::from(array)
                });
                let values = [
                    self.xid,
                    pg_sys::Datum::from(d.url_id),
                    pg_sys::Datum::from(d.batch_id.unwrap_or(0)),
                    small(d.d_batch),
                    small(d.d_exists),
                    small(d.d_manual),
                    small(d.d_user),
                    small(d.d_anon),
                    small(d.d_auto),
                    small(d.d_agency),
                    small(d.d_validated),
                    small(d.d_suspended),
                    pg_sys::Datum::from(d.done_user.unwrap_or(0)),
                    session.unwrap_or(pg_sys::Datum::from(0)),
                    urls.unwrap_or(pg_sys::Datum::from(0)),
                ];
                let mut nulls = [false; 15];
                nulls[2] = d.batch_id.is_none();
                nulls[12] = d.done_user.is_none();
                nulls[13] = session.is_none();
                nulls[14] = urls.is_none();
                std::ptr::copy_nonoverlapping(values.as_ptr(), (*slot).tts_values, values.len());
                std::ptr::copy_nonoverlapping(nulls.as_ptr(), (*slot).tts_isnull, nulls.len());
                pg_sys::ExecStoreVirtualTuple(slot);
            }
            let n = self.rows.len();
            pg_sys::CatalogTuplesMultiInsertWithInfo(self.rel, self.slots.as_mut_ptr(), n as i32, self.indexes);
            pg_sys::CurrentMemoryContext = outer;
            for &slot in &self.slots[..n] {
                pg_sys::ExecClearTuple(slot);
            }
            pg_sys::MemoryContextReset(self.batch);
        }
        self.rows.clear();
    }

    fn close(mut self) {
        self.flush();
        // SAFETY: the slots, indexes and table opened in open() and push(), closed once; the
        // table's lock is kept to the end of the transaction.
        unsafe {
            for &slot in &self.slots {
                pg_sys::ExecDropSingleTupleTableSlot(slot);
            }
            pg_sys::CatalogCloseIndexes(self.indexes);
            pg_sys::table_close(self.rel, pg_sys::NoLock as pg_sys::LOCKMODE);
            pg_sys::MemoryContextDelete(self.batch);
        }
    }
}

/// Whether every index CatalogOpenIndexes opened is one the catalog insert path maintains
/// correctly (CatalogIndexInsert only asserts it): no expression, no predicate, no exclusion
/// constraint, uniqueness checked at once.
///
/// # Safety
/// `indexes` is a live result of CatalogOpenIndexes.
unsafe fn plain_indexes(indexes: pg_sys::CatalogIndexState) -> bool {
    let n = (*indexes).ri_NumIndices.max(0) as usize;
    (0..n).all(|i| {
        let info = *(*indexes).ri_IndexRelationInfo.add(i);
        let index = *(*indexes).ri_IndexRelationDescs.add(i);
        (*info).ii_Expressions.is_null()
            && (*info).ii_Predicate.is_null()
            && (*info).ii_ExclusionOps.is_null()
            && (*(*index).rd_index).indimmediate
    })
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
        if !crate::head::ours_running() {
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
    fn a_bulk_statements_rows_with_one_change_are_one_row_of_up_to_pack_urls() {
        let vote = |url| Delta { url_id: url, d_auto: 1, ..Delta::default() };
        let mut rows = Vec::new();
        for url in 1..=(PACK as i32 + 5) {
            pack(&mut rows, &vote(url));
        }
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, vote(1));
        assert_eq!(rows[0].1, (2..=PACK as i32).collect::<Vec<_>>());
        assert_eq!(rows[1], (vote(PACK as i32 + 1), (PACK as i32 + 2..=PACK as i32 + 5).collect()));
    }

    #[test]
    fn rows_with_another_change_or_voter_are_not_packed_together() {
        let mut rows = Vec::new();
        let d = |url, d_auto, done_user| Delta { url_id: url, d_auto, done_user, ..Delta::default() };
        for delta in [d(1, 1, None), d(2, -1, None), d(3, -1, None), d(4, -1, Some(7)), d(5, -1, Some(8))] {
            pack(&mut rows, &delta);
        }
        let urls: Vec<(i32, Vec<i32>)> = rows.iter().map(|(d, more)| (d.url_id, more.clone())).collect();
        assert_eq!(urls, vec![(1, vec![]), (2, vec![3]), (4, vec![]), (5, vec![])]);
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
