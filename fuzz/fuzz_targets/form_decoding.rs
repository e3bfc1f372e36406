//! A URL-encoded body as the newsroom's release form sends it, decoded two
//! ways: with the newsroom's own decoder (`FormFields`, repeated `topics`,
//! then `admin::edit_from_fields`), and with serde_urlencoded into a
//! struct of the form's shape. Both then go through the service's own
//! form-to-input step (`service::edit_input`: inline topics, Markdown,
//! sanitising) and `ReleaseInput::validate`. Never panics; whatever
//! validates is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressfeed::admin::{FormFields, edit_from_fields};
use pressfeed::domain::{Slug, Status, parse_instant};
use pressfeed::service::{ReleaseEdit, edit_input};
use pressfeed_fuzz::{assert_safe_html, assert_valid_draft, assert_xml_text};
use serde::Deserialize;

/// The release form's fields, as a serde form extractor would see them.
#[derive(Debug, Deserialize)]
struct ReleaseForm {
    #[serde(default)]
    slug: String,
    title: String,
    #[serde(default)]
    summary: Option<String>,
    body: String,
    #[serde(default)]
    organization: Option<String>,
    lang: String,
    /// Comma-separated (serde_urlencoded cannot collect repeated keys).
    #[serde(default)]
    topics: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    publish_at: Option<String>,
}

const WHEN: &str = "2026-03-01T12:00:00.000Z";

/// The slug the service would give: as typed, or made from the title (the
/// service then makes it unique in the store).
fn slug_of(edit: &ReleaseEdit) -> String {
    if edit.slug.trim().is_empty() {
        Slug::from_text(&edit.title).map_or_else(|| "release-1".to_owned(), |s| s.to_string())
    } else {
        edit.slug.trim().to_owned()
    }
}

fn check(edit: &ReleaseEdit, status: Status, when: chrono::DateTime<chrono::Utc>) {
    let out = edit_input(edit, slug_of(edit), status, when, None);
    let input = &out.input;
    assert_xml_text("markdown body", &input.body_html);
    assert_safe_html("markdown body", &input.body_html);
    for t in &out.new_topics {
        assert!(
            input.topics.iter().any(|s| s == t.slug.as_str()),
            "new topic {:?} is among the release's topics",
            t.slug
        );
    }
    if let Ok(draft) = input.validate() {
        assert_valid_draft(&draft);
    }
}

fuzz_target!(|data: &[u8]| {
    let when = parse_instant("published_at", WHEN).expect("a valid instant");
    // The newsroom's decoder (what the form really goes through).
    let f = FormFields::parse(data);
    let status = match f.get("action") {
        "draft" => Status::Draft,
        _ => Status::Published,
    };
    check(&edit_from_fields(&f), status, when);
    let _ = f.with_prefix("draft.").get("title");

    // serde_urlencoded into the form's shape.
    if let Ok(form) = serde_urlencoded::from_bytes::<ReleaseForm>(data) {
        let when = form
            .publish_at
            .as_deref()
            .and_then(|t| parse_instant("publish_at", t).ok())
            .unwrap_or(when);
        let status = match form.status.as_deref() {
            Some("draft") => Status::Draft,
            Some("retracted") => Status::Retracted,
            _ => Status::Published,
        };
        let edit = ReleaseEdit {
            slug: form.slug,
            title: form.title,
            summary: form.summary.unwrap_or_default(),
            body: form.body,
            organization: form.organization.unwrap_or_else(|| "Office".to_owned()),
            lang: form.lang,
            topics: form.topics.split(',').map(str::to_owned).collect(),
            ..Default::default()
        };
        check(&edit, status, when);
    }
});
