//! The response body of SPEC section 4, as plain Rust types, and the counting and ranking rules
//! that turn raw rows into it. Nothing here touches PostgreSQL.

use serde::Serialize;

#[derive(Serialize, Debug, PartialEq)]
pub struct Response {
    pub next_annotation: Option<Annotation>,
    /// Only in the anonymous variant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct Annotation {
    pub url_info: UrlInfo,
    pub html_info: HtmlInfo,
    pub batch_info: Option<BatchInfo>,
    pub agency_suggestions: SuggestionList,
    pub location_suggestions: SuggestionList,
    pub url_type_suggestions: Vec<UrlTypeSuggestion>,
    pub record_type_suggestions: RecordTypeSuggestions,
    pub name_suggestions: NameSuggestions,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct UrlInfo {
    pub url_id: i32,
    pub url: String,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct HtmlInfo {
    pub index: i32,
    pub url: String,
    pub url_path: String,
    pub title: String,
    pub description: String,
    pub http_response: i32,
    pub h1: String,
    pub h2: String,
    pub h3: String,
    pub h4: String,
    pub h5: String,
    pub h6: String,
    pub div: String,
}

impl Default for HtmlInfo {
    fn default() -> Self {
        HtmlInfo {
            index: -1,
            url: String::new(),
            url_path: String::new(),
            title: String::new(),
            description: String::new(),
            http_response: -1,
            h1: String::new(),
            h2: String::new(),
            h3: String::new(),
            h4: String::new(),
            h5: String::new(),
            h6: String::new(),
            div: String::new(),
        }
    }
}

impl HtmlInfo {
    /// Sets the field that a `url_html_content.content_type` label maps to.
    pub fn set(&mut self, content_type: &str, content: String) {
        let field = match content_type {
            "Title" => &mut self.title,
            "Description" => &mut self.description,
            "H1" => &mut self.h1,
            "H2" => &mut self.h2,
            "H3" => &mut self.h3,
            "H4" => &mut self.h4,
            "H5" => &mut self.h5,
            "H6" => &mut self.h6,
            "Div" => &mut self.div,
            _ => return,
        };
        *field = content;
    }
}

#[derive(Serialize, Debug, PartialEq)]
pub struct BatchInfo {
    pub count_annotated: i64,
    pub total_urls: i64,
    pub count_not_annotated: i64,
}

impl BatchInfo {
    pub fn new(total_urls: i64, count_annotated: i64) -> Self {
        BatchInfo { count_annotated, total_urls, count_not_annotated: total_urls - count_annotated }
    }
}

#[derive(Serialize, Debug, PartialEq)]
pub struct SuggestionList {
    pub suggestions: Vec<Suggestion>,
    pub not_found_count: i64,
}

#[derive(Serialize, Debug, PartialEq, Clone)]
pub struct Suggestion {
    pub id: i64,
    pub display_name: String,
    pub user_count: i64,
    pub robo_confidence: Option<i64>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct UrlTypeSuggestion {
    pub url_type: String,
    pub endorsement_count: i64,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct RecordTypeSuggestions {
    pub suggestions: Vec<RecordTypeSuggestion>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct RecordTypeSuggestion {
    pub record_type: String,
    pub user_count: i64,
    pub robo_confidence: i64,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct NameSuggestions {
    pub suggestions: Vec<NameSuggestion>,
}

#[derive(Serialize, Debug, PartialEq)]
pub struct NameSuggestion {
    pub id: i64,
    pub display_name: String,
    pub user_count: i64,
    pub robo_count: i64,
}

/// `scheme || '://' || url`, plus `/` when `trailing_slash`; the bare url without a scheme.
pub fn compose_url(scheme: Option<&str>, url: &str, trailing_slash: bool) -> String {
    match scheme {
        Some(scheme) => {
            let mut s = format!("{scheme}://{url}");
            if trailing_slash {
                s.push('/');
            }
            s
        }
        None => url.to_string(),
    }
}

/// One vote for a label: user votes weigh 1, anonymous votes 0.5.
pub struct Vote {
    pub label: String,
    pub anonymous: bool,
}

/// The top three labels by weighted vote count; ties go to the label seen first.
/// Counts are returned floored, as the app's integer fields carry them.
pub fn top_labels(votes: impl IntoIterator<Item = Vote>) -> Vec<(String, i64)> {
    // Counted in halves to stay exact.
    let mut seen: Vec<(String, i64)> = Vec::new();
    for v in votes {
        let w = if v.anonymous { 1 } else { 2 };
        match seen.iter_mut().find(|(l, _)| *l == v.label) {
            Some((_, n)) => *n += w,
            None => seen.push((v.label, w)),
        }
    }
    seen.sort_by_key(|l| std::cmp::Reverse(l.1)); // stable: first seen wins ties
    seen.truncate(3);
    seen.into_iter().map(|(l, halves)| (l, halves / 2)).collect()
}

/// Raw per-entity aggregate for the agency and location lists.
pub struct EntityVotes {
    pub id: i64,
    pub display_name: String,
    pub user_rows: i64,
    pub anon_rows: i64,
    /// Max auto confidence on the 0..100 scale, if any auto suggestion exists.
    pub max_confidence: Option<i64>,
}

/// `user_count` = user rows + anon rows / 2 (integer division); `robo_confidence` = max auto
/// confidence or 0; sorted by `user_count + robo_confidence / 100` descending, then id.
pub fn rank_entities(rows: Vec<EntityVotes>) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = rows
        .into_iter()
        .map(|r| Suggestion {
            id: r.id,
            display_name: r.display_name,
            user_count: r.user_rows + r.anon_rows / 2,
            robo_confidence: Some(r.max_confidence.unwrap_or(0)),
        })
        .collect();
    // user_count + robo/100 compared exactly as user_count * 100 + robo.
    out.sort_by_key(|s| (std::cmp::Reverse(s.user_count * 100 + s.robo_confidence.unwrap_or(0)), s.id));
    out
}

pub struct NameVotes {
    pub id: i64,
    pub suggestion: String,
    pub user_endorsements: i64,
    pub anon_endorsements: i64,
    pub from_html_title: bool,
}

/// Top three name suggestions by `user_count` descending, then id ascending.
pub fn rank_names(rows: Vec<NameVotes>) -> Vec<NameSuggestion> {
    let mut out: Vec<NameSuggestion> = rows
        .into_iter()
        .map(|r| NameSuggestion {
            id: r.id,
            display_name: r.suggestion,
            user_count: r.user_endorsements + r.anon_endorsements / 2,
            robo_count: i64::from(r.from_html_title),
        })
        .collect();
    out.sort_by(|a, b| b.user_count.cmp(&a.user_count).then(a.id.cmp(&b.id)));
    out.truncate(3);
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    fn vote(label: &str, anonymous: bool) -> Vote {
        Vote { label: label.into(), anonymous }
    }

    #[test]
    fn urls_are_composed_as_the_app_does() {
        assert_eq!(compose_url(Some("https"), "example.com/a", false), "https://example.com/a");
        assert_eq!(compose_url(Some("http"), "example.com", true), "http://example.com/");
        assert_eq!(compose_url(None, "example.com/b", true), "example.com/b");
    }

    #[test]
    fn anonymous_votes_count_half_and_counts_floor() {
        let got = top_labels(vec![
            vote("data source", true),
            vote("meta url", false),
            vote("data source", true),
            vote("data source", true),
        ]);
        // data source: 1.5 -> 1; meta url: 1
        assert_eq!(got, vec![("data source".into(), 1), ("meta url".into(), 1)]);
    }

    #[test]
    fn ties_go_to_the_label_seen_first_and_only_three_are_kept() {
        let got = top_labels(vec![
            vote("b", false),
            vote("a", false),
            vote("c", false),
            vote("d", false),
            vote("d", false),
        ]);
        assert_eq!(got, vec![("d".into(), 2), ("b".into(), 1), ("a".into(), 1)]);
    }

    #[test]
    fn entities_rank_by_users_then_robot_confidence() {
        let e = |id, user_rows, anon_rows, max_confidence| EntityVotes {
            id,
            display_name: format!("e{id}"),
            user_rows,
            anon_rows,
            max_confidence,
        };
        let got = rank_entities(vec![
            e(1, 0, 0, Some(90)), // 0.9
            e(4, 1, 0, None),     // 1, after 2 (ties by id, whatever the input order)
            e(3, 0, 3, Some(50)), // 1 + 0.5
            e(2, 1, 1, None),     // 1 + 1/2 = 1
        ]);
        let order: Vec<_> = got.iter().map(|s| (s.id, s.user_count, s.robo_confidence)).collect();
        assert_eq!(order, vec![(3, 1, Some(50)), (2, 1, Some(0)), (4, 1, Some(0)), (1, 0, Some(90))]);
    }

    #[test]
    fn names_keep_top_three_by_users_then_id() {
        let n = |id, user_endorsements, anon_endorsements, from_html_title| NameVotes {
            id,
            suggestion: format!("n{id}"),
            user_endorsements,
            anon_endorsements,
            from_html_title,
        };
        let got = rank_names(vec![n(5, 0, 0, true), n(3, 0, 1, false), n(4, 1, 0, false), n(9, 0, 4, false)]);
        let order: Vec<_> = got.iter().map(|s| (s.id, s.user_count, s.robo_count)).collect();
        assert_eq!(order, vec![(9, 2, 0), (4, 1, 0), (3, 0, 0)]);
    }

    #[test]
    fn empty_response_and_session_key_shape() {
        let r = Response { next_annotation: None, session_id: None };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"next_annotation":null}"#);
        let r = Response { next_annotation: None, session_id: Some("abc".into()) };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"next_annotation":null,"session_id":"abc"}"#);
    }

    #[test]
    fn html_info_defaults_match_the_app() {
        let mut h = HtmlInfo::default();
        h.set("H3", "Heading".into());
        h.set("Unknown", "x".into());
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["index"], -1);
        assert_eq!(v["http_response"], -1);
        assert_eq!(v["h3"], "Heading");
        assert_eq!(v["title"], "");
        assert_eq!(v.as_object().unwrap().len(), 13);
    }
}
