//! The layers the modules run in, and a test that keeps them that way:
//! a module may use its own layer and those below it, never one above
//! (so the store cannot reach for the newsroom, nor the service for HTTP).

/// Lowest first. `main.rs` and `lib.rs` are the top and are not checked.
const LAYERS: &[&[&str]] = &[
    &["domain", "clock", "wording"],
    &["model", "authentication", "config", "i18n"],
    &["store", "feeds", "media"],
    &["service", "http", "websub", "demo"],
    &["admin", "api"],
    &["startup", "cli", "telemetry", "router"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `crate::name` a source text mentions.
fn crate_paths(text: &str) -> Vec<&str> {
    text.match_indices("crate::")
        .map(|(i, _)| {
            let rest = &text[i + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).expect("under src");
            let top = rel
                .components()
                .next()
                .and_then(|c| c.as_os_str().to_str())
                .map(|s| s.trim_end_matches(".rs"))
                .unwrap_or_default();
            if matches!(top, "main" | "lib" | "layers") {
                continue;
            }
            let own = layer_of(top)
                .unwrap_or_else(|| panic!("src/{top} is in no layer; add it to LAYERS"));
            let text = std::fs::read_to_string(&path).expect("a source file");
            for used in crate_paths(&text) {
                if let Some(theirs) = layer_of(used)
                    && theirs > own
                {
                    wrong.push(format!("{} uses crate::{used}", rel.display()));
                }
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports from a layer above: {wrong:#?}");
}
