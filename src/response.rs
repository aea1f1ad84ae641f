//! The whole response body in one call: `next_annotation`, `next_anonymous_annotation` and
//! `annotation_for_url`. Each phase is one or two small indexed queries for one URL; the
//! counting and ranking rules live in `payload`.

use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiHeapTupleData, SpiResult};
use pgrx::JsonB;

use crate::payload::{
    compose_url, rank_entities, rank_names, top_labels, Annotation, BatchInfo, EntityVotes, HtmlInfo,
    NameSuggestions, NameVotes, RecordTypeSuggestion, RecordTypeSuggestions, Response, SuggestionList,
    UrlInfo, UrlTypeSuggestion, Vote,
};
use crate::selection::Candidate;
use crate::statements::{self as st, with_spi, Statement};
use crate::timing::{CallTimer, Phase};

/// Runs a statement whose only argument is a url_id (or batch_id) and maps its rows.
fn rows<T>(
    client: &mut SpiClient<'_>,
    statement: &Statement,
    id: i32,
    each: impl FnMut(SpiHeapTupleData<'_>) -> SpiResult<T>,
) -> SpiResult<Vec<T>> {
    statement.rows(client, &[id.into()], each)
}

fn spi<T>(f: impl FnOnce(&mut SpiClient<'_>) -> SpiResult<T>) -> T {
    with_spi("building the response", f)
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
            let list = rows(c, &st::AGENCY_VOTES, url_id, entity_votes)?;
            let not_found = rows(c, &st::AGENCY_NOT_FOUND, url_id, |r| r.get::<i64>(1))?;
            Ok((rank_entities(list), not_found.first().copied().flatten().unwrap_or(0)))
        })
    });
    let (locations, location_not_found) = t.phase(Phase::LocationSuggestions, || {
        spi(|c| {
            let list = rows(c, &st::LOCATION_VOTES, url_id, entity_votes)?;
            let not_found = rows(c, &st::LOCATION_NOT_FOUND, url_id, |r| r.get::<i64>(1))?;
            Ok((rank_entities(list), not_found.first().copied().flatten().unwrap_or(0)))
        })
    });
    let names = t.phase(Phase::NameSuggestions, || {
        spi(|c| {
            rows(c, &st::NAME_VOTES, url_id, |r| {
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
            for (kind, content) in rows(c, &st::HTML, url_id, |r| {
                Ok((r.get::<String>(1)?.unwrap_or_default(), r.get::<String>(2)?))
            })? {
                html.set(&kind, content.unwrap_or_default());
            }
            let url_types = top_labels(rows(c, &st::URL_TYPE_VOTES, url_id, vote)?);
            let record_types = top_labels(rows(c, &st::RECORD_TYPE_VOTES, url_id, vote)?);
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

/// batch_info (SPEC 4) from the counts the queue keeps per batch: O(1) in the batch's size.
/// The folded counts alone when no write waits to be folded (batch_info_folded.sql), else with
/// the pending writes added (batch_info.sql). They are internal, so they are read as the owner;
/// the API checked the caller's rights on the tables they count.
fn batch_info(batch_id: i32) -> BatchInfo {
    crate::access::as_owner(|| {
        spi(|c| {
            let folded = rows(c, &st::BATCH_INFO_FOLDED, batch_id, |r| {
                Ok((r.get::<i64>(1)?, r.get::<i64>(2)?, r.get::<bool>(3)?.unwrap_or(false)))
            })?;
            let (total, annotated) = match folded.first() {
                Some(&(total, annotated, true)) => (total, annotated),
                _ => {
                    let row = rows(c, &st::BATCH_INFO, batch_id, |r| Ok((r.get::<i64>(1)?, r.get::<i64>(2)?)))?;
                    row.first().copied().unwrap_or((None, None))
                }
            };
            Ok(BatchInfo::new(total.unwrap_or(0), annotated.unwrap_or(0)))
        })
    })
}

fn to_jsonb(t: &mut CallTimer, body: &impl serde::Serialize) -> JsonB {
    t.phase(Phase::Format, || {
        JsonB(serde_json::to_value(body).unwrap_or_else(|e| error!("annotate: cannot encode response: {e}")))
    })
}

/// The response body for the first URL of a selection (or `{"next_annotation": null}`), with
/// the phases timed: `select` runs the main query.
pub fn respond(
    select: impl FnOnce() -> Vec<Candidate>,
    batch_id: Option<i32>,
    session_id: Option<String>,
) -> JsonB {
    let mut t = CallTimer::start();
    let first = t.phase(Phase::MainQuery, select).into_iter().next();
    let next_annotation = first.map(|c| annotation(&mut t, c.url_id, c.url, batch_id));
    let body = to_jsonb(&mut t, &Response { next_annotation, session_id });
    t.finish();
    body
}

/// The inner `next_annotation` object for one URL, ignoring eligibility (for review screens);
/// None when the URL does not exist.
pub fn for_url(url_id: i32, batch_id: Option<i32>) -> Option<JsonB> {
    let mut t = CallTimer::disabled();
    let url = spi(|c| {
        let found = rows(c, &st::URL, url_id, |r| {
            let scheme: Option<String> = r.get(1)?;
            let url: Option<String> = r.get(2)?;
            Ok(compose_url(scheme.as_deref(), &url.unwrap_or_default(), r.get(3)?.unwrap_or(false)))
        })?;
        Ok(found.into_iter().next())
    })?;
    let body = annotation(&mut t, url_id, url, batch_id);
    Some(to_jsonb(&mut t, &body))
}
