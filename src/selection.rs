//! "The next URL for this caller": eligibility and order (SPEC 3).
//!
//! Live mode reads the folded queue (annotate_internal.queue) through ordered index walks and
//! places on top of it the writes not yet folded (sql/queries/context.sql), so that answers are
//! as fresh as the tables at the moment of the call. The order of SPEC 3.2 is built in two
//! parts: the caller's followed batches first (their heads, merged), then everything else (a
//! walk of the global order that leaves those batches out). A URL the caller annotated costs a
//! few index probes when a walk passes it. Snapshot mode runs the upstream PR's query instead
//! (sql/snapshot.sql).

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::datum::{DatumWithOid, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiHeapTupleData, SpiResult};

use crate::caller::Caller;
use crate::guc::{self, Selection};
use crate::head::Key;
use crate::payload::compose_url;
use crate::resume;
use crate::statements::{self as st, with_spi};

/// One eligible URL with the keys it was ordered by.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub url_id: i32,
    pub url: String,
    pub batch_id: Option<i32>,
    pub followed_by_user: bool,
    pub followed_by_any_user: bool,
    pub is_manual: bool,
    pub user_url_type_count: i64,
    pub anon_url_type_count: i64,
    pub auto_url_type_count: i64,
}

impl Candidate {
    /// SPEC 3.2 as a key to sort by, ascending: followed by the caller, followed by anyone,
    /// manual, user, anonymous and robot votes (each more first), then the lower id.
    pub fn order_key(&self) -> (bool, bool, bool, i64, i64, i64, i32) {
        (
            !self.followed_by_user,
            !self.followed_by_any_user,
            !self.is_manual,
            -self.user_url_type_count,
            -self.anon_url_type_count,
            -self.auto_url_type_count,
            self.url_id,
        )
    }
}

/// Sorts candidates into SPEC 3.2 order.
pub fn sort(list: &mut [Candidate]) {
    list.sort_by_key(Candidate::order_key);
}

/// Whether a walk includes URLs leased to others (plain selection) or leaves them out, as a
/// lease must, and on whose behalf.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Leases {
    Count,
    LeaveOut,
}

/// A URL with writes not yet folded, as it is now. Its `candidate` has no URL text until the URL
/// reaches an answer (Context::settle).
#[derive(Clone, Debug)]
pub struct Pending {
    pub candidate: Candidate,
    /// Whether the URL has a queue row (else it was created since the last fold).
    pub existed: bool,
    pub eligible: bool,
    pub leased: bool,
    pub lease_user: Option<i32>,
    pub lease_session: Option<Uuid>,
    pub lease_until: Option<pg_sys::TimestampTz>,
}

impl Pending {
    /// Whether the caller may take a lease on it: free, run out, or the caller's own.
    pub fn leasable(&self, caller: &Caller, now: pg_sys::TimestampTz) -> bool {
        !self.leased
            || self.lease_until.is_some_and(|until| until <= now)
            || (self.lease_user.is_some() && self.lease_user == caller.user())
            || (self.lease_session.is_some() && self.lease_session == caller.session())
    }
}

/// What the rest of a pending URL says for this caller, read once it reaches an answer
/// (sql/queries/pending_detail.sql).
#[derive(Clone, Debug)]
struct Detail {
    done: bool,
    url: String,
}

/// What the walks need to know before they start (sql/queries/context.sql).
#[derive(Default, Debug)]
pub struct Context {
    pub pending: HashMap<i32, Pending>,
    /// The details read so far of pending URLs (Context::settle).
    details: RefCell<HashMap<i32, Detail>>,
    /// Batches whose followed state changed since the last fold (sql/queries/context_batches.sql):
    /// whether anyone follows each now. Their rows sit where the order indexes had them before.
    pub refollowed: HashMap<i32, bool>,
    /// The batches linked to a location the caller follows, sorted.
    pub followed: Vec<i32>,
    /// Many URLs were pending and no folder runs to fold them (fold::FOLD_ALONE_AT).
    pub fold_alone: bool,
}

impl Context {
    /// Whether the global order alone answers `caller`: it follows no batch, no batch's follow
    /// state waits to be folded, and no URL with pending writes is one it could get (leasing).
    pub fn order_alone(&self, caller: &Caller) -> bool {
        let now = now();
        self.followed.is_empty()
            && self.refollowed.is_empty()
            && !self
                .pending
                .values()
                .any(|p| p.eligible && !self.done(p.candidate.url_id) && p.leasable(caller, now))
    }

    /// Whether the caller annotated pending URL `url_id`, as far as its details were read (a URL
    /// not read yet counts as not annotated: the caller may get it).
    fn done(&self, url_id: i32) -> bool {
        self.details.borrow().get(&url_id).is_some_and(|d| d.done)
    }

    /// Reads the details of the pending URLs among `ids` not read yet.
    fn read_details(&self, client: &mut SpiClient<'_>, caller: &Caller, ids: &[i32]) -> SpiResult<()> {
        let unread: Vec<i32> = {
            let details = self.details.borrow();
            ids.iter()
                .copied()
                .filter(|id| self.pending.contains_key(id) && !details.contains_key(id))
                .collect()
        };
        if unread.is_empty() {
            return Ok(());
        }
        let args: [DatumWithOid; 3] = [caller.user().into(), caller.session().into(), unread.into()];
        let read = st::PENDING_DETAIL.rows(client, &args, |r| {
            let scheme: Option<String> = r.get(3)?;
            let url: Option<String> = r.get(4)?;
            Ok((
                int::<i32>(&r, 1)?.unwrap_or_default(),
                Detail {
                    done: r.get(2)?.unwrap_or(false),
                    url: compose_url(scheme.as_deref(), &url.unwrap_or_default(), r.get(5)?.unwrap_or(false)),
                },
            ))
        })?;
        self.details.borrow_mut().extend(read);
        Ok(())
    }

    /// Keeps the first `n` of the sorted `list`: reads the details of the pending URLs among
    /// them, drops those the caller annotated (which lets the next ones in, read in turn), and
    /// gives the pending URLs kept their text. Walked rows have theirs, and are never pending.
    pub fn settle(
        &self,
        client: &mut SpiClient<'_>,
        caller: &Caller,
        list: &mut Vec<Candidate>,
        n: usize,
    ) -> SpiResult<()> {
        if self.pending.is_empty() {
            list.truncate(n);
            return Ok(());
        }
        loop {
            let first: Vec<i32> = list.iter().take(n).map(|c| c.url_id).collect();
            let before = self.details.borrow().len();
            self.read_details(client, caller, &first)?;
            if self.details.borrow().len() == before {
                break;
            }
            list.retain(|c| !self.done(c.url_id));
        }
        list.truncate(n);
        let details = self.details.borrow();
        for c in list.iter_mut() {
            if let Some(d) = details.get(&c.url_id).filter(|_| self.pending.contains_key(&c.url_id)) {
                c.url = d.url.clone();
            }
        }
        Ok(())
    }

    pub fn follows(&self, batch: Option<i32>) -> bool {
        batch.is_some_and(|b| self.followed.binary_search(&b).is_ok())
    }

    fn pending_ids(&self) -> Vec<i32> {
        let mut ids: Vec<i32> = self.pending.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

fn int<T: FromDatum + IntoDatum>(row: &SpiHeapTupleData<'_>, n: usize) -> SpiResult<Option<T>> {
    row.get::<T>(n)
}

/// Reads the context for `caller`. Runs as the owner (access::as_owner).
pub fn context(client: &mut SpiClient<'_>, caller: &Caller) -> SpiResult<Context> {
    let mut ctx = Context::default();
    // The caller's followed batches, and whether anything waits to be folded: most calls find
    // nothing, and then the rest is not read at all; most of those that do find writes to URLs,
    // not follow changes.
    let (mut urls, mut batches) = (false, false);
    let args: [DatumWithOid; 1] = [caller.user().into()];
    st::CONTEXT_START.rows(client, &args, |r| {
        ctx.followed = r.get::<Vec<Option<i32>>>(1)?.unwrap_or_default().into_iter().flatten().collect();
        urls = r.get::<bool>(2)?.unwrap_or(true);
        batches = r.get::<bool>(3)?.unwrap_or(true);
        Ok(())
    })?;
    ctx.followed.sort_unstable();
    if batches {
        st::CONTEXT_BATCHES.rows(client, &[], |r| {
            if let Some(b) = int(&r, 1)? {
                ctx.refollowed.insert(b, r.get(2)?.unwrap_or(false));
            }
            Ok(())
        })?;
    }
    if !urls {
        return Ok(ctx);
    }
    st::CONTEXT.rows(client, &[], |r| {
        let url_id: i32 = int(&r, 1)?.unwrap_or_default();
        let candidate = Candidate {
            url_id,
            url: String::new(),
            batch_id: int(&r, 2)?,
            followed_by_user: false,
            followed_by_any_user: r.get(3)?.unwrap_or(false),
            is_manual: r.get(5)?.unwrap_or(false),
            user_url_type_count: int(&r, 6)?.unwrap_or(0),
            anon_url_type_count: int(&r, 7)?.unwrap_or(0),
            auto_url_type_count: int(&r, 8)?.unwrap_or(0),
        };
        ctx.pending.insert(
            url_id,
            Pending {
                candidate,
                existed: r.get(13)?.unwrap_or(false),
                eligible: r.get(4)?.unwrap_or(false),
                leased: r.get(9)?.unwrap_or(false),
                lease_user: int(&r, 10)?,
                lease_session: r.get(11)?,
                lease_until: timestamp(&r, 12)?,
            },
        );
        Ok(())
    })?;
    if ctx.pending.len() >= crate::fold::WAKE_AT {
        ctx.fold_alone = !crate::fold::wake() && ctx.pending.len() >= crate::fold::FOLD_ALONE_AT;
    }
    // A pending URL in a batch with pending follow changes follows the batch's state now.
    for p in ctx.pending.values_mut() {
        if let Some(&f) = p.candidate.batch_id.and_then(|b| ctx.refollowed.get(&b)) {
            p.candidate.followed_by_any_user = f;
        }
    }
    Ok(ctx)
}

/// A candidate row as the walks lay it out: url_id, batch_id, followed_any, is_manual, the
/// three counts, scheme, url, trailing_slash.
pub fn walked(row: SpiHeapTupleData<'_>) -> SpiResult<Candidate> {
    let scheme: Option<String> = row.get(8)?;
    let url: Option<String> = row.get(9)?;
    Ok(Candidate {
        url_id: int(&row, 1)?.unwrap_or_default(),
        url: compose_url(scheme.as_deref(), &url.unwrap_or_default(), row.get(10)?.unwrap_or(false)),
        batch_id: int(&row, 2)?,
        followed_by_user: false,
        followed_by_any_user: row.get(3)?.unwrap_or(false),
        is_manual: row.get(4)?.unwrap_or(false),
        user_url_type_count: int(&row, 5)?.unwrap_or(0),
        anon_url_type_count: int(&row, 6)?.unwrap_or(0),
        auto_url_type_count: int(&row, 7)?.unwrap_or(0),
    })
}

/// One walk's arguments.
struct Walk<'a> {
    caller: &'a Caller,
    leave_out: &'a [i32],
    leases: Leases,
}

impl Walk<'_> {
    /// Runs one of the walk statements, which all take the same six arguments: the caller, the
    /// URLs to leave out, a batch list (to skip, or to keep), how many, whether leases count.
    fn run(
        &self,
        client: &mut SpiClient<'_>,
        stmt: &st::Statement,
        batches: &[i32],
        n: i64,
    ) -> SpiResult<Vec<Candidate>> {
        let args: [DatumWithOid; 6] = [
            self.caller.user().into(),
            self.caller.session().into(),
            self.leave_out.to_vec().into(),
            batches.to_vec().into(),
            n.into(),
            (self.leases == Leases::Count).into(),
        ];
        self.kind(stmt).rows(client, &args, walked)
    }

    /// `stmt` as this walk's caller runs it (its twin for an anonymous session:
    /// st::for_caller).
    fn kind<'s>(&self, stmt: &'s st::Statement) -> &'s st::Statement {
        st::for_caller(stmt, self.caller.session().is_some())
    }

    /// `stmt` (walk_order.sql or walk_batches.sql, whose column 11 is the statement's snapshot)
    /// as `run` does it, prepared before it is measured: its rows, that snapshot, and what the
    /// walk cost (for a resume point: resume::Work).
    fn measured(
        &self,
        client: &mut SpiClient<'_>,
        stmt: &st::Statement,
        batches: &[i32],
        n: i64,
    ) -> SpiResult<(Vec<Candidate>, Option<String>, resume::Work)> {
        let stmt = self.kind(stmt);
        stmt.ready(client)?;
        let started = resume::Work::start();
        let args: [DatumWithOid; 6] = [
            self.caller.user().into(),
            self.caller.session().into(),
            self.leave_out.to_vec().into(),
            batches.to_vec().into(),
            n.into(),
            (self.leases == Leases::Count).into(),
        ];
        let mut snapshot: Option<String> = None;
        let rows = stmt.rows(client, &args, |r| {
            snapshot = r.get::<String>(11)?;
            walked(r)
        })?;
        let work = started.done(rows.len());
        Ok((rows, snapshot, work))
    }

    fn order(&self, client: &mut SpiClient<'_>, skip_batches: &[i32], n: i64) -> SpiResult<Vec<Candidate>> {
        self.run(client, &st::WALK_ORDER, skip_batches, n)
    }

    /// The global order without `skip_batches` (the caller's followed batches, sorted; no batch
    /// may have a follow change waiting to be folded), leased URLs counted: from the caller's
    /// resume point for that set when it has a valid one (src/resume.rs). A walk from the start
    /// that passed over many leaves one (one that found nothing, past the end), and one that
    /// passed over too few forgets the point that was void.
    fn order_resuming(
        &self,
        client: &mut SpiClient<'_>,
        skip_batches: &[i32],
        n: i64,
    ) -> SpiResult<Vec<Candidate>> {
        let scope = resume::Scope::order_without(skip_batches);
        let point = resume::point(self.caller, scope);
        if let Some(point) = &point {
            let k = point.key;
            let args: [DatumWithOid; 12] = [
                self.caller.user().into(),
                self.caller.session().into(),
                self.leave_out.to_vec().into(),
                n.into(),
                k.followed_any.into(),
                k.is_manual.into(),
                k.user_votes.into(),
                k.anon_votes.into(),
                k.auto_votes.into(),
                k.url_id.into(),
                point.snapshot.clone().into(),
                skip_batches.to_vec().into(),
            ];
            if let Some(found) =
                self.resumed(client, (&st::WALK_RESUME, &st::WALK_RESUME_MORE), &args, point, scope, n)?
            {
                return Ok(found);
            }
        }
        let (found, snapshot, work) = self.measured(client, &st::WALK_ORDER, skip_batches, n)?;
        if resume::heavy(work) {
            let next = found.first().map_or(resume::END, resume_key);
            if let Some(s) = snapshot.or(st::CURRENT_SNAPSHOT.one::<String>(client, &[])?) {
                resume::record(self.caller, scope, next, &s);
            }
        } else if point.is_some() {
            resume::forget(self.caller, scope);
        }
        Ok(found)
    }

    /// The first `n` URLs of many batches together, by one walk of the global order.
    fn within(&self, client: &mut SpiClient<'_>, batches: &[i32], n: i64) -> SpiResult<Vec<Candidate>> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        self.run(client, &st::WALK_IN, batches, n)
    }

    /// The first `n` URLs of each of `batches`. Without leases (plain selection), a batch in
    /// which the caller has a resume point is walked from it (src/resume.rs, one statement per
    /// such batch); the others together, and a walk of them that passed over many leaves a point in
    /// each (a walk that passed over too few forgets those that were void).
    fn batches(&self, client: &mut SpiClient<'_>, batches: &[i32], n: i64) -> SpiResult<Vec<Candidate>> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        if self.leases != Leases::Count {
            return self.run(client, &st::WALK_BATCHES, batches, n);
        }
        let mut out = Vec::new();
        let mut rest = Vec::new();
        let mut had_point = Vec::new();
        for &b in batches {
            match resume::point(self.caller, resume::Scope::Batch(b)) {
                Some(point) => match self.batch_resumed(client, b, &point, n)? {
                    Some(rows) => out.extend(rows),
                    None => {
                        rest.push(b);
                        had_point.push(b);
                    }
                },
                None => rest.push(b),
            }
        }
        if rest.is_empty() {
            return Ok(out);
        }
        let (rows, snapshot, work) = self.measured(client, &st::WALK_BATCHES, &rest, n)?;
        let heavy = resume::heavy(work);
        let keep: Vec<i32> = if heavy { rest.clone() } else { Vec::new() };
        if !heavy {
            for &b in &had_point {
                resume::forget(self.caller, resume::Scope::Batch(b));
            }
        }
        if !keep.is_empty() {
            if let Some(s) = snapshot.or(st::CURRENT_SNAPSHOT.one::<String>(client, &[])?) {
                for b in keep {
                    let first = rows.iter().filter(|c| c.batch_id == Some(b)).min_by_key(|c| c.order_key());
                    resume::record(
                        self.caller,
                        resume::Scope::Batch(b),
                        first.map_or(resume::END, resume_key),
                        &s,
                    );
                }
            }
        }
        out.extend(rows);
        Ok(out)
    }

    /// One batch's first `n` URLs from the caller's resume point in it; None when the point is
    /// void.
    fn batch_resumed(
        &self,
        client: &mut SpiClient<'_>,
        batch: i32,
        point: &resume::Point,
        n: i64,
    ) -> SpiResult<Option<Vec<Candidate>>> {
        let k = point.key;
        let args: [DatumWithOid; 11] = [
            self.caller.user().into(),
            self.caller.session().into(),
            self.leave_out.to_vec().into(),
            n.into(),
            batch.into(),
            k.is_manual.into(),
            k.user_votes.into(),
            k.anon_votes.into(),
            k.auto_votes.into(),
            k.url_id.into(),
            point.snapshot.clone().into(),
        ];
        self.resumed(
            client,
            (&st::WALK_BATCH_RESUME, &st::WALK_BATCH_RESUME_MORE),
            &args,
            point,
            resume::Scope::Batch(batch),
            n,
        )
    }

    /// Runs a resumed walk (walk_resume.sql or walk_batch_resume.sql, whose columns 11-13 are
    /// the statement's snapshot, whether the point is void, and whether the second statement,
    /// with the same arguments, may add anything: the URLs before the point that changed since
    /// and the leased range) and keeps the caller's point for `scope` where it now stands. None
    /// when the point is void: the caller walks from the start.
    fn resumed(
        &self,
        client: &mut SpiClient<'_>,
        (stmt, more_stmt): (&st::Statement, &st::Statement),
        args: &[DatumWithOid<'_>],
        point: &resume::Point,
        scope: resume::Scope,
        n: i64,
    ) -> SpiResult<Option<Vec<Candidate>>> {
        let (stmt, more_stmt) = (self.kind(stmt), self.kind(more_stmt));
        let mut stale = true;
        let mut more = false;
        let mut snapshot: Option<String> = None;
        let rows = stmt.rows(client, args, |r| {
            stale = r.get::<bool>(12)?.unwrap_or(true);
            snapshot = r.get::<String>(11)?;
            more = r.get::<bool>(13)?.unwrap_or(true);
            Ok(if r.get::<i32>(1)?.is_some() { Some(walked(r)?) } else { None })
        })?;
        if stale || !resume::same_files(point) {
            return Ok(None);
        }
        let mut found: Vec<Candidate> = rows.into_iter().flatten().collect();
        if more {
            // Both statements read one snapshot (no point is used in a READ COMMITTED transaction
            // that wrote, whose statements each take their own: src/resume.rs), so the ranges do
            // not meet and nothing comes twice.
            found.extend(more_stmt.rows(client, args, walked)?);
        }
        sort(&mut found);
        found.truncate(n as usize);
        let next = found.first().map_or(resume::END, resume_key);
        if let Some(s) = snapshot {
            if next != point.key || s != point.snapshot {
                resume::record(self.caller, scope, next, &s);
            }
        }
        Ok(Some(found))
    }

    /// The first `n` URLs of several batches together, in SPEC 3.2 order, asking each batch for
    /// no more than it can contribute: first about `n / batches` each, then more only from a
    /// batch whose every row so far made the first `n` (it may hold more that do), its limit
    /// doubled each time. A follower of 30 batches asking for 50 URLs reads about 60 rows, not
    /// 1,500. `key` gives a walked row its follow keys (pending follow changes applied).
    fn batch_heads(
        &self,
        client: &mut SpiClient<'_>,
        batches: &[i32],
        n: i64,
        key: &dyn Fn(Candidate) -> Candidate,
    ) -> SpiResult<Vec<Candidate>> {
        let k = batches.len() as i64;
        if k <= 1 || n <= 1 {
            return Ok(self.batches(client, batches, n)?.into_iter().map(key).collect());
        }
        let mut limit: HashMap<i32, i64> = HashMap::new();
        let mut rows: HashMap<i32, Vec<Candidate>> = HashMap::new();
        let mut ask: Vec<i32> = batches.to_vec();
        let mut ask_limit = ((n + k - 1) / k + 1).min(n);
        loop {
            for c in self.batches(client, &ask, ask_limit)? {
                rows.entry(c.batch_id.unwrap_or_default()).or_default().push(key(c));
            }
            for b in &ask {
                limit.insert(*b, ask_limit);
            }
            let mut keyed: Vec<&Candidate> = rows.values().flatten().collect();
            keyed.sort_by_key(|c| c.order_key());
            let cut = keyed.get(n as usize - 1).map(|c| c.order_key());
            // A batch that filled its limit and whose last row is within the first n may hold more.
            let more: Vec<i32> = batches
                .iter()
                .copied()
                .filter(|b| {
                    let got = rows.get(b).map_or(0, Vec::len) as i64;
                    got >= limit[b]
                        && limit[b] < n
                        && rows[b]
                            .iter()
                            .map(Candidate::order_key)
                            .max()
                            .is_some_and(|last| cut.is_none_or(|c| last <= c))
                })
                .collect();
            if more.is_empty() {
                return Ok(rows.into_values().flatten().collect());
            }
            ask_limit = (more.iter().map(|b| limit[b]).max().unwrap_or(1) * 2).min(n);
            for b in &more {
                rows.remove(b);
            }
            ask = more;
        }
    }
}

/// A walked row's place in the global order, as resume points keep it.
fn resume_key(c: &Candidate) -> Key {
    Key {
        followed_any: c.followed_by_any_user,
        is_manual: c.is_manual,
        user_votes: c.user_url_type_count as i32,
        anon_votes: c.anon_url_type_count as i32,
        auto_votes: c.auto_url_type_count as i32,
        url_id: c.url_id,
    }
}

/// Past this many followed batches, one filtered walk of the global order beats a walk per batch:
/// the caller's batches are then a good share of the followed ones it passes over.
const MANY_FOLLOWED: usize = 8;

/// The time leases are judged against: now(), the transaction's start.
fn now() -> pg_sys::TimestampTz {
    // SAFETY: reading the transaction start time.
    unsafe { pg_sys::GetCurrentTransactionStartTimestamp() }
}

fn timestamp(row: &SpiHeapTupleData<'_>, n: usize) -> SpiResult<Option<pg_sys::TimestampTz>> {
    Ok(row.get::<TimestampWithTimeZone>(n)?.map(pg_sys::TimestampTz::from))
}

/// The eligible URLs for `caller` in SPEC 3.2 order, at most `want`. With `Leases::LeaveOut`,
/// URLs leased to others are left out too. Runs as the owner.
pub fn live(
    client: &mut SpiClient<'_>,
    ctx: &Context,
    caller: &Caller,
    want: i64,
    leases: Leases,
) -> SpiResult<Vec<Candidate>> {
    let now = now();
    let mut leave_out = ctx.pending_ids();
    leave_out.sort_unstable();
    let walk = Walk { caller, leave_out: &leave_out, leases };

    // The pending URLs this caller may get, with their keys now.
    let pending = |keep: &dyn Fn(&Candidate) -> bool| -> Vec<Candidate> {
        ctx.pending
            .values()
            .filter(|p| p.eligible && !ctx.done(p.candidate.url_id))
            .filter(|p| leases == Leases::Count || p.leasable(caller, now))
            .map(|p| Candidate { followed_by_user: ctx.follows(p.candidate.batch_id), ..p.candidate.clone() })
            .filter(|c| keep(c))
            .collect()
    };
    // A walked row's follow keys, with pending follow changes applied.
    let keyed = |mut c: Candidate| -> Candidate {
        c.followed_by_user = ctx.follows(c.batch_id);
        if let Some(&f) = c.batch_id.and_then(|b| ctx.refollowed.get(&b)) {
            c.followed_by_any_user = f;
        }
        c
    };

    if let Some(url_id) = caller.url() {
        // A url_id filter: that URL, if every other rule lets it through.
        let found = match ctx.pending.get(&url_id) {
            Some(_) => {
                let mut found: Vec<Candidate> = pending(&|c| c.url_id == url_id);
                ctx.settle(client, caller, &mut found, 1)?;
                found.pop()
            }
            None => {
                let args: [DatumWithOid; 3] = [caller.user().into(), caller.session().into(), url_id.into()];
                st::WALK_URL
                    .rows(client, &args, |r| {
                        let eligible: bool = r.get(11)?.unwrap_or(false);
                        let done: bool = r.get(12)?.unwrap_or(false);
                        let leased: bool = r.get(13)?.unwrap_or(false);
                        let lease_user: Option<i32> = int(&r, 14)?;
                        let lease_session: Option<Uuid> = r.get(15)?;
                        let lease_until = timestamp(&r, 16)?;
                        Ok((done, Pending {
                            candidate: walked(r)?,
                            existed: true,
                            eligible,
                            leased,
                            lease_user,
                            lease_session,
                            lease_until,
                        }))
                    })?
                    .into_iter()
                    .find(|(done, p)| p.eligible && !done && (leases == Leases::Count || p.leasable(caller, now)))
                    .map(|(_, p)| keyed(p.candidate))
            }
        };
        return Ok(found
            .filter(|c| caller.batch().is_none() || c.batch_id == caller.batch())
            .into_iter()
            .collect());
    }

    if let Some(batch) = caller.batch() {
        // A batch filter: that batch's head, merged with its pending URLs.
        let mut out: Vec<Candidate> = walk.batches(client, &[batch], want)?.into_iter().map(keyed).collect();
        out.extend(pending(&|c| c.batch_id == Some(batch)));
        sort(&mut out);
        ctx.settle(client, caller, &mut out, want as usize)?;
        return Ok(out);
    }

    // The caller's followed batches first: each batch's head, merged; or, past a few batches,
    // one walk of the global order keeping theirs (batches with pending follow changes, whose
    // rows the index may still hold as unfollowed, walked apart).
    let mut head: Vec<Candidate> = if ctx.followed.len() > MANY_FOLLOWED {
        let (apart, together): (Vec<i32>, Vec<i32>) =
            ctx.followed.iter().partition(|b| ctx.refollowed.contains_key(b));
        let mut h: Vec<Candidate> = walk.within(client, &together, want)?.into_iter().map(keyed).collect();
        h.extend(walk.batch_heads(client, &apart, want, &keyed)?);
        h
    } else {
        walk.batch_heads(client, &ctx.followed, want, &keyed)?
    };
    head.extend(pending(&|c| c.followed_by_user));
    sort(&mut head);
    ctx.settle(client, caller, &mut head, want as usize)?;

    let rest = want - head.len() as i64;
    if rest > 0 {
        // Then everything else: the global order, without the followed batches, and without
        // batches whose follow state changed since the last fold (walked apart, re-keyed).
        let refollowed: Vec<i32> = {
            let mut b: Vec<i32> = ctx.refollowed.keys().copied().filter(|b| !ctx.follows(Some(*b))).collect();
            b.sort_unstable();
            b
        };
        let mut skip_batches = ctx.followed.clone();
        skip_batches.extend_from_slice(&refollowed);
        let walked = if ctx.refollowed.is_empty() && leases == Leases::Count {
            walk.order_resuming(client, &skip_batches, rest)?
        } else {
            walk.order(client, &skip_batches, rest)?
        };
        let mut tail: Vec<Candidate> = walked.into_iter().map(keyed).collect();
        tail.extend(walk.batch_heads(client, &refollowed, rest, &keyed)?);
        tail.extend(pending(&|c| !c.followed_by_user));
        sort(&mut tail);
        ctx.settle(client, caller, &mut tail, rest as usize)?;
        head.extend(tail);
    }
    Ok(head)
}

/// Snapshot mode: the upstream PR's query (SPEC 3.4). Runs as the owner.
fn snapshot(
    client: &mut SpiClient<'_>,
    caller: &Caller,
    max_urls: i64,
    skip: i64,
) -> SpiResult<Vec<Candidate>> {
    let args: [DatumWithOid; 6] = [
        caller.user().into(),
        caller.session().into(),
        caller.batch().into(),
        caller.url().into(),
        max_urls.into(),
        skip.into(),
    ];
    st::SNAPSHOT.rows(client, &args, |r| {
        let scheme: Option<String> = r.get(2)?;
        let url: Option<String> = r.get(3)?;
        Ok(Candidate {
            url_id: int(&r, 1)?.unwrap_or_default(),
            url: compose_url(scheme.as_deref(), &url.unwrap_or_default(), r.get(4)?.unwrap_or(false)),
            batch_id: int(&r, 11)?,
            followed_by_user: r.get(10)?.unwrap_or(false),
            followed_by_any_user: r.get(5)?.unwrap_or(false),
            is_manual: r.get(6)?.unwrap_or(false),
            user_url_type_count: int(&r, 7)?.unwrap_or(0),
            anon_url_type_count: int(&r, 8)?.unwrap_or(0),
            auto_url_type_count: int(&r, 9)?.unwrap_or(0),
        })
    })
}

/// The eligible URLs for `caller`, in order, after `skip`, at most `max_urls` (SPEC 3):
/// selection without leases. The caller's rights were checked by the API.
pub fn candidates(caller: &Caller, max_urls: i64, skip: i64) -> Vec<Candidate> {
    crate::access::as_owner(|| {
        with_spi("selection", |client| match guc::SELECTION.get() {
            Selection::Snapshot => snapshot(client, caller, max_urls, skip),
            Selection::Live => {
                let ctx = context(client, caller)?;
                let mut out = live(client, &ctx, caller, skip + max_urls, Leases::Count)?;
                out.drain(..(skip as usize).min(out.len()));
                if ctx.fold_alone {
                    crate::fold::fold_after_reading(client)?;
                }
                Ok(out)
            }
        })
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    fn c(url_id: i32, fu: bool, fa: bool, manual: bool, votes: (i64, i64, i64)) -> Candidate {
        Candidate {
            url_id,
            url: String::new(),
            batch_id: None,
            followed_by_user: fu,
            followed_by_any_user: fa,
            is_manual: manual,
            user_url_type_count: votes.0,
            anon_url_type_count: votes.1,
            auto_url_type_count: votes.2,
        }
    }

    #[test]
    fn the_order_is_spec_3_2_key_by_key() {
        let mut list = vec![
            c(1, false, false, false, (0, 0, 0)),
            c(2, false, false, false, (0, 0, 1)),
            c(3, false, false, false, (0, 1, 0)),
            c(4, false, false, false, (1, 0, 0)),
            c(5, false, false, true, (0, 0, 0)),
            c(6, false, true, false, (0, 0, 0)),
            c(7, true, true, false, (0, 0, 0)),
            c(0, false, false, false, (0, 0, 0)),
        ];
        sort(&mut list);
        let ids: Vec<i32> = list.iter().map(|c| c.url_id).collect();
        assert_eq!(ids, vec![7, 6, 5, 4, 3, 2, 0, 1]);
    }

    #[test]
    fn more_votes_of_a_kind_outrank_any_number_of_a_later_kind() {
        let mut list = vec![c(1, false, false, false, (0, 9, 9)), c(2, false, false, false, (1, 0, 0))];
        sort(&mut list);
        assert_eq!(list[0].url_id, 2);
    }
}
