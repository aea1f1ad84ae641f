//! Leases (`claim_for`): each URL handed out is leased to its caller until now() + claim_for,
//! and other callers pass over it while the lease runs (SPEC 5, Claims).
//!
//! A lease lives in the URL's queue row, and leased rows sort into their own range of the order
//! indexes, so a leasing walk never passes over other callers' leases: its cost does not grow
//! with how many are held. One call: end the leases that ran out (they return to the unleased
//! range), take the caller's own running leases first (asking again, a page refresh, gives the
//! same URL), then lease from the head of the unleased range. When the global order alone
//! answers the caller (no followed batch, no pending write it could get, no `skip`), one
//! statement walks and leases, passing over rows another transaction holds, as pgmq's read()
//! does (sql/queries/walk_lease.sql). Otherwise the call walks as selection does, merging its
//! walks, and leases what they returned in one statement that passes over rows another
//! transaction holds (sql/queries/lease.sql); only a URL taken by someone else between the walk
//! and the lease makes the call walk again.

use std::collections::HashSet;

use pgrx::datum::{DatumWithOid, Interval};
use pgrx::spi::{SpiClient, SpiResult};

use crate::caller::Caller;
use crate::head::{self, Key};
use crate::selection::{self, Candidate, Context, Leases};
use crate::statements::{self as st, with_spi};

/// At most this many rounds of walk-and-lease when racing callers keep taking the URLs chosen
/// or other transactions hold them: the last round walks SLACK << (ROUNDS - 1) URLs (32,768),
/// so a call gives up only after passing over some 65,000 URLs it could not lease.
const ROUNDS: usize = 14;

/// The first round walks this many URLs more than it needs, for callers racing for the same
/// head of the queue; each later round twice as many. Every URL walked costs its annotation
/// probes: 4 rather than 16 made leasing calls of followers 1.1-1.4x as fast at 8 clients, M,
/// eight of them racing for the head of one batch included (fewer walked in most calls
/// outweighs the rounds walked again under contention).
const SLACK: i64 = 4;

/// How long a lease waits for the folder to give URLs created since the last fold their queue
/// rows (a lease is taken on that row). The folder wakes at once and a fold takes milliseconds;
/// this bounds the wait after a bulk import of many URLs.
const ROW_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a leasing call inside a transaction block waits for the folder to end the leases
/// that ran out before ending them itself (src/fold.rs, expire_leases_by_folder()).
const EXPIRE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// The caller's running leases, still eligible, as candidates in SPEC 3.2 order.
fn own(client: &mut SpiClient<'_>, ctx: &Context, caller: &Caller) -> SpiResult<Vec<Candidate>> {
    let args: [DatumWithOid; 2] = [caller.user().into(), caller.session().into()];
    let mut own: Vec<Candidate> = st::OWN_LEASES
        .rows(client, &args, |r| {
            let eligible: bool = r.get(11)?.unwrap_or(false);
            let done: bool = r.get(12)?.unwrap_or(false);
            let scheme: Option<String> = r.get(8)?;
            let url: Option<String> = r.get(9)?;
            let candidate = Candidate {
                url_id: r.get(1)?.unwrap_or_default(),
                url: crate::payload::compose_url(
                    scheme.as_deref(),
                    &url.unwrap_or_default(),
                    r.get(10)?.unwrap_or(false),
                ),
                batch_id: r.get(2)?,
                followed_by_user: false,
                followed_by_any_user: r.get(3)?.unwrap_or(false),
                is_manual: r.get(4)?.unwrap_or(false),
                user_url_type_count: r.get(5)?.unwrap_or(0),
                anon_url_type_count: r.get(6)?.unwrap_or(0),
                auto_url_type_count: r.get(7)?.unwrap_or(0),
            };
            Ok((candidate, done, eligible && !done))
        })?
        .into_iter()
        .filter_map(|(c, done, ok)| match ctx.pending.get(&c.url_id) {
            // Pending writes decide: still eligible, not annotated by the caller, still leased.
            Some(p) => (p.eligible && !done && p.leased).then(|| Candidate { url: c.url, ..p.candidate.clone() }),
            None => ok.then_some(c),
        })
        .map(|mut c| {
            c.followed_by_user = ctx.follows(c.batch_id);
            if let Some(&f) = c.batch_id.and_then(|b| ctx.refollowed.get(&b)) {
                c.followed_by_any_user = f;
            }
            c
        })
        .filter(|c| caller.batch().is_none() || c.batch_id == caller.batch())
        .filter(|c| caller.url().is_none() || Some(c.url_id) == caller.url())
        .collect();
    selection::sort(&mut own);
    Ok(own)
}

/// Walks the unleased range from `start` and leases what it reaches (sql/queries/walk_lease.sql,
/// walk_lease_anon.sql for an anonymous session): the URLs leased, and the first live entry the
/// walk saw from `start` on.
fn walk_lease(
    client: &mut SpiClient<'_>,
    caller: &Caller,
    lease: Interval,
    max_urls: i64,
    start: Key,
) -> SpiResult<(Vec<Candidate>, Option<Key>)> {
    let args: [DatumWithOid; 10] = [
        caller.user().into(),
        caller.session().into(),
        lease.into(),
        max_urls.into(),
        start.followed_any.into(),
        start.is_manual.into(),
        start.user_votes.into(),
        start.anon_votes.into(),
        start.auto_votes.into(),
        start.url_id.into(),
    ];
    let mut first = None;
    let mut leased = Vec::new();
    st::for_caller(&st::WALK_LEASE, caller.session().is_some()).rows(client, &args, |r| {
        first = Some(Key {
            followed_any: r.get(11)?.unwrap_or(false),
            is_manual: r.get(12)?.unwrap_or(false),
            user_votes: r.get(13)?.unwrap_or(0),
            anon_votes: r.get(14)?.unwrap_or(0),
            auto_votes: r.get(15)?.unwrap_or(0),
            url_id: r.get(16)?.unwrap_or(0),
        });
        if r.get::<i32>(1)?.is_some() {
            leased.push(selection::walked(r)?);
        }
        Ok(())
    })?;
    Ok((leased, first))
}

/// The URLs for `caller`, as selection gives them but leaving out URLs leased to others, each
/// leased to the caller for `lease`: after `skip` of them, at most `max_urls`. Never waits for
/// another caller. Also returns how many URLs other callers leased between this call's walk and
/// its lease (contention). The caller's rights were checked by the API.
pub fn claim(caller: &Caller, max_urls: i64, skip: i64, lease: Interval) -> (Vec<Candidate>, usize) {
    crate::access::as_owner(|| {
        with_spi("leasing", |client| {
            // Ending leases is a locking statement that fires the queue's statement trigger, and
            // reading the caller's leases starts its annotation probes: two probes (in the
            // call's snapshot) say first whether any lease has run out and whether the caller
            // holds one; in most calls neither.
            let args: [DatumWithOid; 2] = [caller.user().into(), caller.session().into()];
            let (mut due, mut held) = (false, false);
            st::LEASE_CHECK.rows(client, &args, |r| {
                due = r.get::<bool>(1)?.unwrap_or(true);
                held = r.get::<bool>(2)?.unwrap_or(true);
                Ok(())
            })?;
            // Inside a transaction block the rows a call ends stay locked until the block ends,
            // and other leasing callers pass over them all that time: the folder ends them then.
            // SAFETY: reading this backend's transaction state.
            let in_block = unsafe { pgrx::pg_sys::IsTransactionBlock() };
            if due && !(in_block && crate::fold::expire_leases_by_folder(client, EXPIRE_WAIT)?) {
                crate::fold::expire_leases(client)?;
            }
            let ctx = selection::context(client, caller)?;
            let mine = if held { own(client, &ctx, caller)? } else { Vec::new() };
            if skip == 0
                && mine.is_empty()
                && caller.url().is_none()
                && caller.batch().is_none()
                && ctx.order_alone(caller)
            {
                // The common caller (a new user, one who follows nothing, an anonymous
                // session): walk and lease in one statement.
                let start = head::read();
                let (mut leased, first) = walk_lease(client, caller, lease, max_urls, start.start)?;
                if !head::after(&start, first) {
                    // A URL may have been put back ahead of where the walk started, before its
                    // snapshot: undo, and walk from the start of the range.
                    head::moving();
                    let ids: Vec<i32> = leased.iter().map(|c| c.url_id).collect();
                    st::LEASE_UNDO.run(client, &[ids.into()])?;
                    leased = walk_lease(client, caller, lease, max_urls, Key::START)?.0;
                }
                selection::sort(&mut leased);
                return Ok((leased, 0));
            }
            let take = |client: &mut SpiClient<'_>, ids: Vec<i32>, n: i64| -> SpiResult<HashSet<i32>> {
                let args: [DatumWithOid; 5] =
                    [caller.user().into(), caller.session().into(), ids.into(), lease.into(), n.into()];
                Ok(st::LEASE.rows(client, &args, |r| r.get::<i32>(1))?.into_iter().flatten().collect())
            };
            if skip == 0 && max_urls > 0 && mine.len() as i64 >= max_urls {
                // The caller asks again while holding as many leases as it wants: the walk below
                // would offer those first and lease the first max_urls of them again, so they
                // are renewed without it (it would probe SLACK more URLs for nothing). Should one
                // not be the caller's to lease any more, the walk runs after all.
                let first: Vec<Candidate> = mine.iter().take(max_urls as usize).cloned().collect();
                let got = take(client, first.iter().map(|c| c.url_id).collect(), max_urls)?;
                if got.len() == first.len() {
                    return Ok((first, 0));
                }
            }
            let mut passed: Vec<i32> = Vec::new(); // skipped, or taken by someone else meanwhile
            let mut result: Vec<Candidate> = Vec::new();
            let mut skipped = 0i64;
            let mut conflicts = 0usize;
            for round in 0..ROUNDS {
                let mut taken: Vec<i32> = mine.iter().map(|c| c.url_id).collect();
                taken.extend(result.iter().map(|c| c.url_id));
                taken.extend_from_slice(&passed);
                let need = max_urls - result.len() as i64;
                // A few more than needed, for callers racing for the same head; twice as many
                // each round, so that a run of URLs another transaction holds is walked past
                // rather than given up on (a fold of a followed batch holds all its rows until
                // it commits, and every caller following the batch finds them at its head).
                let want = (skip - skipped) + need + (SLACK << round);
                let mut list: Vec<Candidate> = if round == 0 { mine.clone() } else { Vec::new() };
                // Each walk starts from the head again (a walk reads as of the call's start);
                // what this call already took or passed is dropped here, not left out by the
                // walk's statement, which would test every row it passes against the list.
                let seen: HashSet<i32> = taken.iter().copied().collect();
                let reach = want + taken.len() as i64;
                let walked = selection::live(client, &ctx, caller, reach, Leases::LeaveOut)?;
                let exhausted = (walked.len() as i64) < reach;
                list.extend(walked.into_iter().filter(|c| !seen.contains(&c.url_id)));

                let mut offer = Vec::new();
                for c in list {
                    if skipped < skip {
                        skipped += 1;
                        passed.push(c.url_id);
                    } else {
                        offer.push(c);
                    }
                }
                if offer.is_empty() {
                    break;
                }
                let ids: Vec<i32> = offer.iter().map(|c| c.url_id).collect();
                // URLs created since the last fold have no queue row to lease yet. Those the
                // lease would reach (the first `need` offered) get theirs first, so that the
                // lease keeps the order and never passes over a new URL for a later one.
                let first_new: Vec<i32> = offer
                    .iter()
                    .take(need as usize)
                    .filter(|c| ctx.pending.get(&c.url_id).is_some_and(|p| !p.existed))
                    .map(|c| c.url_id)
                    .collect();
                if !first_new.is_empty() {
                    crate::fold::wait_for_rows(client, &first_new, ROW_WAIT)?;
                }
                let mut got = take(client, ids.clone(), need)?;
                // URLs created since the last fold have no queue row to lease yet: have the
                // folder fold them now, and lease them then.
                let new: Vec<i32> = ids
                    .iter()
                    .copied()
                    .filter(|id| !got.contains(id) && ctx.pending.get(id).is_some_and(|p| !p.existed))
                    .collect();
                if (got.len() as i64) < need
                    && !new.is_empty()
                    && crate::fold::wait_for_rows(client, &new, ROW_WAIT)?
                {
                    let more = need - got.len() as i64;
                    let rest: Vec<i32> = ids.iter().copied().filter(|id| !got.contains(id)).collect();
                    got.extend(take(client, rest, more)?);
                }
                let complete = got.len() as i64 >= need;
                for c in offer {
                    if got.contains(&c.url_id) {
                        result.push(c);
                    } else if !complete {
                        passed.push(c.url_id); // taken by someone else meanwhile
                        conflicts += 1;
                    }
                }
                if complete || exhausted {
                    break;
                }
            }
            Ok((result, conflicts))
        })
    })
}

/// Ends the caller's own lease on `url_id`; true when a running lease was ended.
pub fn release(url_id: i32, user_id: Option<i32>, session_id: Option<pgrx::datum::Uuid>) -> bool {
    crate::access::as_owner(|| {
        with_spi("releasing a lease", |client| {
            let args: [DatumWithOid; 3] = [url_id.into(), user_id.into(), session_id.into()];
            // The URL goes back into the unleased range, even when its lease had run out and
            // was not ended yet (then the answer is false).
            head::moving();
            Ok(st::RELEASE.one::<bool>(client, &args)?.unwrap_or(false))
        })
    })
}
