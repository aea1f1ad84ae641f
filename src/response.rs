//! The whole response body in one call: `next_annotation`, `next_anonymous_annotation` and
//! `annotation_for_url`. Each phase is one or two small indexed queries for one URL; the
//! counting and ranking rules live in `payload`.

use pgrx::datum::{Interval, Uuid};
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiHeapTupleData, SpiResult};
use pgrx::JsonB;

use crate::claims;
use crate::payload::{
    compose_url, rank_entities, rank_names, top_labels, Annotation, BatchInfo, EntityVotes, HtmlInfo,
    NameSuggestions, NameVotes, RecordTypeSuggestion, RecordTypeSuggestions, Response, SuggestionList,
    UrlInfo, UrlTypeSuggestion, Vote,
};
use crate::selection::{self, Caller};
use crate::timing::{CallTimer, Phase};

mod q {
    pub const URL: &str = include_str!("../sql/queries/url.sql");
    pub const HTML: &str = include_str!("../sql/queries/html_content.sql");
    pub const URL_TYPE_VOTES: &str = include_str!("../sql/queries/url_type_votes.sql");
    pub const RECORD_TYPE_VOTES: &str = include_str!("../sql/queries/record_type_votes.sql");
    pub const AGENCY_VOTES: &str = include_str!("../sql/queries/agency_votes.sql");
    pub const LOCATION_VOTES: &str = include_str!("../sql/queries/location_votes.sql");
    pub const AGENCY_NOT_FOUND: &str = include_str!("../sql/queries/agency_not_found.sql");
    pub const LOCATION_NOT_FOUND: &str = include_str!("../sql/queries/location_not_found.sql");
    pub const NAME_VOTES: &str = include_str!("../sql/queries/name_votes.sql");
    pub const BATCH_INFO: &str = include_str!("../sql/queries/batch_info.sql");
}

use crate::plans::by_id as rows;

fn spi<T>(f: impl FnOnce(&SpiClient<'_>) -> SpiResult<T>) -> T {
    Spi::connect(|client| f(client)).unwrap_or_else(|e| error!("annotate: response query failed: {e}"))
}

fn entity_votes(row: SpiHeapTupleData<'_>) -> SpiResult<EntityVotes> {
    Ok(EntityVotes {
        id: row.get(1)?.unwrap_or_default(),
        display_name: row.get(2)?.unwrap_or_default(),
        user_rows: row.get(3)?.unwrap_or(0),
        anon_rows: row.get(4)?.unwrap_or(0),
        max_confidence: row.get(5)?,
    })
}

fn vote(row: SpiHeapTupleData<'_>) -> SpiResult<Vote> {
    Ok(Vote { label: row.get(1)?.unwrap_or_default(), anonymous: row.get(2)?.unwrap_or(false) })
}

/// The inner object of the response for one URL whose composed address is already known.
fn annotation(t: &mut CallTimer, url_id: i32, url: String, batch_id: Option<i32>) -> Annotation {
    let (agencies, agency_not_found) = t.phase(Phase::AgencySuggestions, || {
        spi(|c| {
            let list = rows(c, q::AGENCY_VOTES, url_id, entity_votes)?;
            let not_found = rows(c, q::AGENCY_NOT_FOUND, url_id, |r| r.get::<i64>(1))?;
            Ok((rank_entities(list), not_found.first().copied().flatten().unwrap_or(0)))
        })
    });
    let (locations, location_not_found) = t.phase(Phase::LocationSuggestions, || {
        spi(|c| {
            let list = rows(c, q::LOCATION_VOTES, url_id, entity_votes)?;
            let not_found = rows(c, q::LOCATION_NOT_FOUND, url_id, |r| r.get::<i64>(1))?;
            Ok((rank_entities(list), not_found.first().copied().flatten().unwrap_or(0)))
        })
    });
    let names = t.phase(Phase::NameSuggestions, || {
        spi(|c| {
            rows(c, q::NAME_VOTES, url_id, |r| {
                Ok(NameVotes {
                    id: r.get(1)?.unwrap_or_default(),
                    suggestion: r.get(2)?.unwrap_or_default(),
                    user_endorsements: r.get(3)?.unwrap_or(0),
                    anon_endorsements: r.get(4)?.unwrap_or(0),
                    from_html_title: r.get(5)?.unwrap_or(false),
                })
            })
        })
    });
    let batch_info = batch_id.map(|b| t.phase(Phase::BatchInfo, || batch_info(b)));
    let (html_info, url_types, record_types) = t.phase(Phase::Format, || {
        spi(|c| {
            let mut html = HtmlInfo::default();
            for (kind, content) in rows(c, q::HTML, url_id, |r| {
                Ok((r.get::<String>(1)?.unwrap_or_default(), r.get::<String>(2)?))
            })? {
                html.set(&kind, content.unwrap_or_default());
            }
            let url_types = top_labels(rows(c, q::URL_TYPE_VOTES, url_id, vote)?);
            let record_types = top_labels(rows(c, q::RECORD_TYPE_VOTES, url_id, vote)?);
            Ok((html, url_types, record_types))
        })
    });
    Annotation {
        url_info: UrlInfo { url_id, url },
        html_info,
        batch_info,
        agency_suggestions: SuggestionList { suggestions: agencies, not_found_count: agency_not_found },
        location_suggestions: SuggestionList { suggestions: locations, not_found_count: location_not_found },
        url_type_suggestions: url_types
            .into_iter()
            .map(|(url_type, endorsement_count)| UrlTypeSuggestion { url_type, endorsement_count })
            .collect(),
        record_type_suggestions: RecordTypeSuggestions {
            suggestions: record_types
                .into_iter()
                .map(|(record_type, user_count)| RecordTypeSuggestion {
                    record_type,
                    user_count,
                    robo_confidence: 0,
                })
                .collect(),
        },
        name_suggestions: NameSuggestions { suggestions: rank_names(names) },
    }
}

fn batch_info(batch_id: i32) -> BatchInfo {
    spi(|c| {
        let row = rows(c, q::BATCH_INFO, batch_id, |r| Ok((r.get::<i64>(1)?, r.get::<i64>(2)?)))?;
        let (total, annotated) = row.first().copied().unwrap_or((None, None));
        Ok(BatchInfo::new(total.unwrap_or(0), annotated.unwrap_or(0)))
    })
}

fn to_jsonb(t: &mut CallTimer, body: &impl serde::Serialize) -> JsonB {
    t.phase(Phase::Format, || {
        JsonB(serde_json::to_value(body).unwrap_or_else(|e| error!("annotate: cannot encode response: {e}")))
    })
}

/// Selection (leasing the URL when `claim_for` is given) plus the response body for its first URL.
fn respond(
    function: &str,
    caller: Caller,
    skip: i64,
    claim_for: Option<Interval>,
    session_id: Option<String>,
) -> JsonB {
    let mut t = CallTimer::start();
    let first =
        t.phase(Phase::MainQuery, || claims::serve(function, caller, 1, skip, claim_for)).into_iter().next();
    let batch_id = match caller {
        Caller::User { batch_id, .. } => batch_id,
        Caller::Anonymous { .. } => None,
    };
    let next_annotation = first.map(|c| annotation(&mut t, c.url_id, c.url, batch_id));
    let body = to_jsonb(&mut t, &Response { next_annotation, session_id });
    t.finish();
    body
}

/// The complete response body of `GET /annotate/all` for a user (SPEC 4).
#[pg_extern]
fn next_annotation(
    user_id: Option<i32>,
    batch_id: default!(Option<i32>, "NULL"),
    url_id: default!(Option<i32>, "NULL"),
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> JsonB {
    const F: &str = "next_annotation";
    let user_id = selection::required(F, "user_id", user_id);
    let (_, skip) = selection::check_paging(F, Some(1), skip);
    respond(F, Caller::User { user_id, batch_id, url_id }, skip, claim_for, None)
}

/// The complete response body for an anonymous session, with its `session_id` (SPEC 3.3, 4).
#[pg_extern]
fn next_anonymous_annotation(
    session_id: Option<Uuid>,
    skip: default!(Option<i32>, 0),
    claim_for: default!(Option<Interval>, "NULL"),
) -> JsonB {
    const F: &str = "next_anonymous_annotation";
    let session_id = selection::required(F, "session_id", session_id);
    let (_, skip) = selection::check_paging(F, Some(1), skip);
    respond(F, Caller::Anonymous { session_id }, skip, claim_for, Some(session_id.to_string()))
}

/// The inner `next_annotation` object for one URL, ignoring eligibility (for review screens).
/// NULL when the URL does not exist.
#[pg_extern]
fn annotation_for_url(url_id: Option<i32>, batch_id: default!(Option<i32>, "NULL")) -> Option<JsonB> {
    let url_id = selection::required("annotation_for_url", "url_id", url_id);
    let mut t = CallTimer::disabled();
    let url = spi(|c| {
        let found = rows(c, q::URL, url_id, |r| {
            let scheme: Option<String> = r.get(1)?;
            let url: Option<String> = r.get(2)?;
            Ok(compose_url(scheme.as_deref(), &url.unwrap_or_default(), r.get(3)?.unwrap_or(false)))
        })?;
        Ok(found.into_iter().next())
    })?;
    let body = annotation(&mut t, url_id, url, batch_id);
    Some(to_jsonb(&mut t, &body))
}
