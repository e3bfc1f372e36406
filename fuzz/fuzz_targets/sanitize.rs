//! Body HTML and Markdown from an admin: the sanitised output never runs
//! script (no `<script`, no `on*=` handler, no `javascript:`-like URL) and
//! is XML-safe; `clean_text` output is XML-valid and stable. Deeply nested
//! input finishes in time too (run.sh gives this target `-timeout=1`;
//! 26,000 nested `<div>` took longer before the nesting cap).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressfeed::domain::{clean_text, markdown_to_html, sanitize_html};
use pressfeed_fuzz::{assert_safe_html, assert_xml_text};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    let html = sanitize_html(&text);
    assert_xml_text("sanitize_html", &html);
    assert_safe_html("sanitize_html", &html);

    let md = markdown_to_html(&text);
    assert_xml_text("markdown_to_html", &md);
    assert_safe_html("markdown_to_html", &md);

    let clean = clean_text(&text);
    assert_xml_text("clean_text", &clean);
    assert!(!clean.contains('\r'), "clean_text kept a CR: {clean:?}");
    assert_eq!(clean_text(&clean), clean, "clean_text is not idempotent");
});
