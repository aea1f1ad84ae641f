//! Qualification lint (SPEC 7): every operator and every function or aggregate called in the
//! statements under sql/queries/ and in the bodies of the SQL and PL/pgSQL functions under sql/
//! is schema-qualified, so that nothing a role plants in a schema on the caller's search_path
//! can run in their place. (tests/pg_regress/sql/security.sql plants such objects and shows that
//! none runs; this catches a bare reference before any test has to meet it.) What SQL cannot
//! qualify (the "=" behind IN, IS DISTINCT FROM and CASE x WHEN, the "<=" of BETWEEN) is
//! resolved under the search_path every function pins, pg_catalog then pg_temp, and pg_temp is
//! never searched for operators or functions.

use std::fs;
use std::path::Path;

/// SQL text with comments, string literals and quoted identifiers blanked out, keeping the
/// text of dollar-quoted bodies (they are code) and the length of everything.
fn code_only(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                out.push(if b[i] == b'\n' { '\n' } else { ' ' });
                i += 1;
            }
            out.push_str("  ");
            i += 2;
        } else if c == b'\'' || c == b'"' {
            out.push(' ');
            i += 1;
            while i < b.len() {
                if b[i] == c && b.get(i + 1) == Some(&c) {
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == c {
                    out.push(' ');
                    i += 1;
                    break;
                } else {
                    out.push(if b[i] == b'\n' { '\n' } else { ' ' });
                    i += 1;
                }
            }
        } else {
            out.push(c as char);
            i += 1;
        }
    }
    out
}

/// Words that are followed by "(" without being a call of a function found by name.
const NOT_CALLS: &[&str] = &[
    "select", "in", "exists", "values", "any", "all", "some", "coalesce", "nullif", "greatest", "least", "cast",
    "extract", "array", "row", "over", "filter", "as", "on", "using", "into", "returns", "table", "from", "join",
    "where", "and", "or", "not", "when", "then", "else", "case", "if", "elsif", "while", "return", "query", "by",
    "with", "materialized", "lateral", "union", "intersect", "except", "is", "set", "operator", "distinct",
    "conflict", "do", "perform", "raise", "grouping", "numeric", "varchar", "char", "character", "interval",
    "limit", "offset", "update", "check", "unique", "key", "primary", "references", "include", "default",
    "execute", "format", "for", "loop", "foreach", "slice", "of", "constraint", "partition", "order", "group",
    "having", "window", "recursive", "returning", "between", "like", "ilike", "similar", "escape", "position",
    "substring", "overlay", "trim", "collate", "at", "zone", "to", "only", "exclude",
];

/// Words after which "(" starts a column list or a definition, not a call.
const BEFORE_LISTS: &[&str] = &[
    "table", "into", "index", "view", "function", "procedure", "type", "aggregate", "trigger", "key", "unique",
    "references", "include", "as", "using", "on", "exists", "constraint", "check", "values", "returns",
];

/// The bare references in one piece of SQL: operators outside OPERATOR(schema.op), and names
/// called as functions without a schema.
fn bare_references(sql: &str) -> Vec<String> {
    let code = code_only(sql);
    let lower = code.to_lowercase();
    let b = lower.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    let word_before = |at: usize| -> (String, Option<u8>) {
        let mut j = at;
        while j > 0 && b[j - 1].is_ascii_whitespace() {
            j -= 1;
        }
        let end = j;
        while j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_') {
            j -= 1;
        }
        let mut k = j;
        while k > 0 && b[k - 1].is_ascii_whitespace() {
            k -= 1;
        }
        (lower[j..end].to_string(), if k > 0 { Some(b[k - 1]) } else { None })
    };
    while i < b.len() {
        let c = b[i];
        if lower[i..].starts_with("operator(") {
            // OPERATOR(pg_catalog.op): qualified by construction when a dot is inside.
            let close = lower[i..].find(')').map_or(b.len(), |p| i + p);
            if !lower[i..close].contains('.') {
                found.push(format!("operator without a schema: {}", &code[i..=close.min(b.len() - 1)]));
            }
            i = close + 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let word = &lower[start..i];
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let qualified = start > 0 && b[start - 1] == b'.';
            let is_cast_type = start > 1 && &lower[start - 2..start] == "::";
            if j < b.len() && b[j] == b'(' && !qualified && !is_cast_type && !NOT_CALLS.contains(&word) {
                let (before, _) = word_before(start);
                if !BEFORE_LISTS.contains(&before.as_str()) && !word.starts_with('$') {
                    found.push(format!("function without a schema: {word}("));
                }
            }
            continue;
        }
        if b"=<>!+-*/%|&^~@#?:".contains(&c) {
            let start = i;
            while i < b.len() && b"=<>!+-*/%|&^~@#?:".contains(&b[i]) {
                i += 1;
            }
            let op = &lower[start..i];
            let allowed = match op {
                ":=" | "=>" | "::" | ":" => true,
                // SELECT *, count(*), x.*.
                "*" => {
                    let (w, p) = word_before(start);
                    w == "select" || w == "perform" || (w.is_empty() && matches!(p, Some(b'(' | b',' | b'.')))
                }
                // Assignments: UPDATE ... SET a = b, c = d; SET setting = value; DEFAULT;
                // storage parameters; named arguments with =>.
                "=" => is_assignment(&lower, start),
                // A negative number.
                "-" => b.get(i).is_some_and(u8::is_ascii_digit) && {
                    let (w, p) = word_before(start);
                    w.is_empty() && matches!(p, Some(b'(' | b',' | b'='))
                        || ["select", "then", "else", "return", "default"].contains(&w.as_str())
                },
                _ => false,
            };
            if !allowed {
                let line = lower[..start].matches('\n').count() + 1;
                found.push(format!("operator without a schema: {op} (line {line})"));
            }
            continue;
        }
        i += 1;
    }
    found
}

/// Whether the "=" at `at` assigns (a SET clause, a setting, a storage parameter) rather than
/// compares: the statement or clause it is in starts with SET, or it sits in a WITH (...) list.
fn is_assignment(lower: &str, at: usize) -> bool {
    // The text before it, CASE ... END expressions that closed before it blanked out (their
    // keywords say nothing of the clause it is in).
    let head = &without_closed_cases(&lower[..at]);
    let clause_start = ["where", "when", "if", "elsif", "on", "and", "or", "case", "select", "return", "having", "check"]
        .iter()
        .filter_map(|k| find_word_back(head, k))
        .max();
    let set_start = ["set", "with (", "using", "diagnostics"].iter().filter_map(|k| find_word_back(head, k)).max();
    match (set_start, clause_start) {
        (Some(s), Some(c)) => s > c,
        (Some(_), None) => true,
        _ => false,
    }
}

fn without_closed_cases(head: &str) -> String {
    let mut out = head.to_string();
    loop {
        // The last CASE that has an END after it, innermost first.
        let ends: Vec<usize> = word_positions(&out, "end");
        let mut done = true;
        for &e in ends.iter().rev() {
            if let Some(c) = word_positions(&out[..e], "case").last().copied() {
                out.replace_range(c..e + 3, &" ".repeat(e + 3 - c));
                done = false;
                break;
            }
        }
        if done {
            return out;
        }
    }
}

fn word_positions(text: &str, word: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut end = text.len();
    while let Some(p) = find_word_back(&text[..end], word) {
        found.push(p);
        end = p;
    }
    found.reverse();
    found
}

fn find_word_back(head: &str, word: &str) -> Option<usize> {
    let mut end = head.len();
    while let Some(p) = head[..end].rfind(word) {
        let before_ok = p == 0 || !head.as_bytes()[p - 1].is_ascii_alphanumeric() && head.as_bytes()[p - 1] != b'_';
        let after = p + word.len();
        let after_ok = after >= head.len()
            || !head.as_bytes()[after].is_ascii_alphanumeric() && head.as_bytes()[after] != b'_';
        if before_ok && after_ok {
            return Some(p);
        }
        end = p;
    }
    None
}

/// The bodies of the SQL and PL/pgSQL functions a script creates.
fn function_bodies(script: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lower = script.to_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].find("create function ") {
        let start = from + p;
        let name: String = script[start + 16..].chars().take_while(|c| *c != '(').collect();
        let Some(open) = lower[start..].find("as $") else { break };
        let tag_start = start + open + 3;
        let Some(tag_len) = script[tag_start + 1..].find('$') else { break };
        let tag = &script[tag_start..tag_start + tag_len + 2];
        let body_start = tag_start + tag.len();
        let Some(body_len) = script[body_start..].find(tag) else { break };
        out.push((name.trim().to_string(), script[body_start..body_start + body_len].to_string()));
        from = body_start + body_len + tag.len();
    }
    out
}

/// Every `<> ALL (subquery)` in `sql`'s code (comments and strings left out). The planner hashes
/// an `= ANY` subplan but rescans a `<> ALL` one for every outer row, so "not among the caller's
/// rows" is written `NOT (x = ANY (SELECT ...))`, as `NOT IN` parses.
fn unhashed_not_in(sql: &str) -> Vec<String> {
    let code: String = code_only(sql).to_lowercase().split_whitespace().collect();
    let mut found = Vec::new();
    for pattern in ["<>all(select", "<>)all(select", "<>all((select", "<>)all((select"] {
        for (at, _) in code.match_indices(pattern) {
            let from = code[..at].char_indices().rev().nth(40).map_or(0, |(i, _)| i);
            found.push(format!("...{}", &code[from..at + pattern.len()]));
        }
    }
    found
}

#[cfg(test)]
mod unit {
    use super::*;

    fn sql_files(dir: &str) -> Vec<(String, String)> {
        let mut files: Vec<_> = fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .expect("the directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), fs::read_to_string(&p).unwrap()))
            .collect()
    }

    #[test]
    fn the_lint_sees_what_it_should() {
        assert!(bare_references("SELECT a = b FROM t").iter().any(|f| f.contains("=")));
        assert!(bare_references("SELECT count(*) FROM t").iter().any(|f| f.contains("count(")));
        assert!(bare_references("SELECT x || y, z->>'k'").len() == 2);
        assert!(bare_references("SELECT a OPERATOR(=) b").iter().any(|f| f.contains("OPERATOR(=)")));
        assert!(bare_references("SELECT pg_catalog.count(*) FROM t WHERE a OPERATOR(pg_catalog.=) $1").is_empty());
        assert!(bare_references("UPDATE t SET a = 1, b = -2 WHERE c OPERATOR(pg_catalog.=) 3").is_empty());
        assert!(bare_references("UPDATE t SET a = 1 WHERE c = 3").len() == 1);
        assert!(bare_references("SELECT 'a = b' -- x = y\n").is_empty());
        assert!(bare_references("SELECT x::integer, f(a => 1) FROM public.t").iter().all(|f| f.contains("f(")));
    }

    #[test]
    fn statements_qualify_every_operator_and_function() {
        let mut bad = Vec::new();
        for (name, text) in sql_files("sql/queries") {
            for f in bare_references(&text) {
                bad.push(format!("sql/queries/{name}: {f}"));
            }
        }
        assert!(bad.is_empty(), "bare references:\n{}", bad.join("\n"));
    }

    #[test]
    fn function_bodies_qualify_every_operator_and_function() {
        let mut bad = Vec::new();
        let mut bodies = 0;
        for (file, script) in sql_files("sql") {
            if file.starts_with("annotate_ext--") {
                continue; // generated from these files
            }
            for (function, body) in function_bodies(&script) {
                bodies += 1;
                for f in bare_references(&body) {
                    bad.push(format!("sql/{file}: {function}: {f}"));
                }
            }
        }
        assert!(bodies > 20, "found only {bodies} function bodies");
        assert!(bad.is_empty(), "bare references:\n{}", bad.join("\n"));
    }

    #[test]
    fn exclusions_are_hashable() {
        assert_eq!(unhashed_not_in("SELECT 1 WHERE x OPERATOR(pg_catalog.<>) ALL (\n SELECT y FROM t)").len(), 1);
        assert_eq!(unhashed_not_in("SELECT 1 WHERE x <> ALL (SELECT y FROM t)").len(), 1);
        assert!(unhashed_not_in("SELECT 1 WHERE NOT (x OPERATOR(pg_catalog.=) ANY (SELECT y FROM t)) -- <> ALL (SELECT").is_empty());
        assert!(unhashed_not_in("SELECT 1 WHERE x <> ALL ($1::integer[])").is_empty());
        let mut bad = Vec::new();
        for dir in ["sql", "sql/queries"] {
            for (file, text) in sql_files(dir) {
                if file.starts_with("annotate_ext--") {
                    continue;
                }
                bad.extend(unhashed_not_in(&text).into_iter().map(|f| format!("{dir}/{file}: {f}")));
            }
        }
        assert!(bad.is_empty(), "<> ALL over a subquery (write NOT (x = ANY (SELECT ...))):\n{}", bad.join("\n"));
    }
}
