//! Claims: with `claim_for`, each URL handed out is leased to its caller, and other callers
//! skip it while the lease is live (`sql/claims.sql`). The caller's own live leases come first
//! and are extended, so asking again (a page refresh) gives the same URL.

use pgrx::datum::{DatumWithOid, Interval};
use pgrx::pg_sys::BuiltinOid::{INT4OID, INTERVALOID, UUIDOID};
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiResult};

use crate::plans;
use crate::selection::{self, Caller, Candidate};

const OWN_CLAIMS: &str = include_str!("../sql/queries/claims_own.sql");
const TRY_CLAIM: &str = "SELECT annotate.try_claim($1, $2, $3, $4)";
const LEASED_TO_OTHER: &str = "SELECT annotate.leased_to_other($1, $2, $3)";

/// Refuses a lease that is not a positive length of time.
fn check_lease(function: &str, claim_for: Option<Interval>) -> Option<Interval> {
    let lease = claim_for?;
    let (months, days, micros) = (lease.months(), lease.days(), lease.micros());
    if months < 0 || days < 0 || micros < 0 || (months == 0 && days == 0 && micros == 0) {
        selection::bad_argument(function, "claim_for must be a positive interval, such as '5 minutes'");
    }
    Some(lease)
}

fn who(caller: Caller) -> (Option<i32>, Option<pgrx::datum::Uuid>) {
    match caller {
        Caller::User { user_id, .. } => (Some(user_id), None),
        Caller::Anonymous { session_id } => (None, Some(session_id)),
    }
}

fn try_claim(client: &SpiClient<'_>, caller: Caller, url_id: i32, lease: Interval) -> SpiResult<bool> {
    let (user_id, session_id) = who(caller);
    let types = [INT4OID, INT4OID, UUIDOID, INTERVALOID].map(PgOid::BuiltIn);
    let args: [DatumWithOid; 4] = [url_id.into(), user_id.into(), session_id.into(), lease.into()];
    let got = plans::query(client, TRY_CLAIM, || TRY_CLAIM.to_string(), &types, &args, |r| r.get::<bool>(1))?;
    Ok(got.first().copied().flatten().unwrap_or(false))
}

fn leased_to_other(client: &SpiClient<'_>, caller: Caller, url_id: i32) -> SpiResult<bool> {
    let (user_id, session_id) = who(caller);
    let types = [INT4OID, INT4OID, UUIDOID].map(PgOid::BuiltIn);
    let args: [DatumWithOid; 3] = [url_id.into(), user_id.into(), session_id.into()];
    let got = plans::query(
        client,
        LEASED_TO_OTHER,
        || LEASED_TO_OTHER.to_string(),
        &types,
        &args,
        |r| r.get::<bool>(1),
    )?;
    Ok(got.first().copied().flatten().unwrap_or(false))
}

/// The caller's live, still eligible leases, in selection order.
fn own_claims(client: &SpiClient<'_>, caller: Caller) -> SpiResult<Vec<Candidate>> {
    let (user_id, session_id) = who(caller);
    let (batch_id, url_id) = match caller {
        Caller::User { batch_id, url_id, .. } => (batch_id, url_id),
        Caller::Anonymous { .. } => (None, None),
    };
    let followed = selection::followed_batches(client, user_id)?;
    let types = [INT4OID, UUIDOID, INT4OID, INT4OID].map(PgOid::BuiltIn);
    let args: [DatumWithOid; 4] = [user_id.into(), session_id.into(), batch_id.into(), url_id.into()];
    let mut own = plans::query(
        client,
        "claims_own",
        || selection::expand_done(OWN_CLAIMS),
        &types,
        &args,
        |r| {
            let batch: Option<i32> = r.get(10)?;
            selection::candidate_row(r, batch.is_some_and(|b| followed.binary_search(&b).is_ok()))
        },
    )?;
    own.sort_by(|a, b| selection::order_key(b).cmp(&selection::order_key(a)).then(a.url_id.cmp(&b.url_id)));
    Ok(own)
}

/// The URLs for a caller: leased to it when `claim_for` is given (checked and named after
/// `function` in errors), exactly SPEC 3's answer otherwise.
pub fn serve(
    function: &str,
    caller: Caller,
    max_urls: i64,
    skip: i64,
    claim_for: Option<Interval>,
) -> Vec<Candidate> {
    match check_lease(function, claim_for) {
        Some(lease) => claim_candidates(caller, max_urls, skip, lease),
        None => selection::candidates(caller, max_urls, skip),
    }
}

/// Like `selection::candidates`, but every URL returned is leased to the caller for `lease`,
/// and URLs under someone else's live lease are passed over. Never waits on another caller.
fn claim_candidates(caller: Caller, max_urls: i64, skip: i64, lease: Interval) -> Vec<Candidate> {
    let own = Spi::connect(|client| own_claims(client, caller))
        .unwrap_or_else(|e| error!("annotate: reading claims failed: {e}"));
    let mut seen: Vec<i32> = own.iter().map(|c| c.url_id).collect();
    let mut available = own;
    let mut out = Vec::new();
    let mut skipped = 0i64;
    let mut offset = 0i64;
    let chunk = (skip + max_urls).max(8);
    let mut exhausted = false;
    loop {
        for c in available.drain(..) {
            if out.len() as i64 >= max_urls {
                break;
            }
            let ok = Spi::connect(|client| {
                if skipped < skip {
                    // Skipped URLs are counted, not leased.
                    if !leased_to_other(client, caller, c.url_id)? {
                        skipped += 1;
                    }
                    return Ok::<_, pgrx::spi::Error>(false);
                }
                try_claim(client, caller, c.url_id, lease)
            })
            .unwrap_or_else(|e| error!("annotate: claiming URL {} failed: {e}", c.url_id));
            if ok {
                out.push(c);
            }
        }
        if out.len() as i64 >= max_urls || exhausted {
            return out;
        }
        let next = selection::candidates(caller, chunk, offset);
        offset += chunk;
        exhausted = (next.len() as i64) < chunk;
        available = next.into_iter().filter(|c| !seen.contains(&c.url_id)).collect();
        seen.extend(available.iter().map(|c| c.url_id));
    }
}
