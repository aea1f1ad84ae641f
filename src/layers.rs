//! The modules in layers, dependencies pointing one way: a module uses only modules of the
//! layers below its own. The request path reads down the list (api -> leases -> selection ->
//! resume points -> the folder -> the statement cache); the write path enters at the triggers.
//! A unit test reads every `crate::` reference under src/ and fails on one that points up or
//! sideways, or on a module the list does not place.

/// Top to bottom.
pub const LAYERS: &[&[&str]] = &[
    // Entry points: the SQL functions, the server's hooks, the trigger functions.
    &["api", "hooks", "triggers"],
    // The maintenance functions, and the response body around a selection.
    &["ops", "response"],
    &["leases"],
    &["selection"],
    &["resume"],
    &["fold"],
    &["head", "held"],
    &["access", "timing"],
    &["caller", "errors", "guc", "locks", "payload", "statements"],
];

/// The crate's modules named by `crate::` paths in `source` (comments left out), `self` and
/// the module's own items aside.
pub fn references(source: &str) -> Vec<String> {
    let code: String = source
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // use crate::{a, b::{c, d}, e}: the first name of each top-level path.
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(ident(&group[start..i]));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found.sort();
    found.dedup();
    found
}

#[cfg(test)]
mod unit {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn layer(module: &str) -> Option<usize> {
        LAYERS.iter().position(|l| l.contains(&module))
    }

    #[test]
    fn references_are_read_from_paths_and_groups() {
        let src = "use crate::a::B;\nuse crate::{c, d::{self, E}, f};\n// crate::g\nx = crate::h::i(); crate::self_test";
        assert_eq!(references(src), ["a", "c", "d", "f", "h", "self_test"]);
    }

    #[test]
    fn every_module_uses_only_the_layers_below_its_own() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut modules = Vec::new();
        let mut wrong = Vec::new();
        for entry in fs::read_dir(&dir).expect("src/") {
            let path = entry.expect("an entry").path();
            let module = path.file_stem().unwrap().to_string_lossy().into_owned();
            // The crate root declares the modules; the tests only read files.
            if path.extension().is_none_or(|e| e != "rs")
                || ["lib", "lint", "layers"].contains(&module.as_str())
            {
                continue;
            }
            let Some(own) = layer(&module) else {
                wrong.push(format!("{module}: not in LAYERS (src/layers.rs)"));
                continue;
            };
            for used in references(&fs::read_to_string(&path).unwrap()) {
                match layer(&used) {
                    Some(l) if l > own => {}
                    Some(_) => wrong.push(format!("{module} uses {used}, of its own layer or one above")),
                    None => wrong.push(format!("{module} uses {used}, which is not in LAYERS")),
                }
            }
            modules.push(module);
        }
        assert!(modules.len() >= 18, "read {modules:?}");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
