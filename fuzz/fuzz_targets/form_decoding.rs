//! A URL-encoded body as the newsroom's release form sends it, decoded two
//! ways: with the admin's own `FormFields` (repeated `topics`) into the
//! service's `ReleaseEdit`, and with serde_urlencoded into a struct of the
//! form's shape. Both then go through Markdown, sanitising and
//! `ReleaseInput::validate`. Never panics; whatever validates is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressfeed::admin::FormFields;
use pressfeed::domain::{ReleaseInput, Slug, clean_optional, markdown_to_html, parse_instant};
use pressfeed::service::ReleaseEdit;
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

/// What `service::prepare_release_edit` hands to validation (minus the
/// store look-ups: the slug comes from the title, the status is given).
fn input_from_edit(edit: &ReleaseEdit, status: &str, when: &str) -> ReleaseInput {
    let slug = if edit.slug.trim().is_empty() {
        Slug::from_text(&edit.title).map_or_else(|| "release-1".to_owned(), |s| s.to_string())
    } else {
        edit.slug.trim().to_owned()
    };
    let mut topics: Vec<String> = edit.topics.iter().map(|t| t.trim().to_owned()).collect();
    for name in edit.new_topics.split(',') {
        if let Some(name) = clean_optional(Some(name))
            && let Some(s) = Slug::from_text(&name)
        {
            topics.push(s.to_string());
        }
    }
    ReleaseInput {
        id: None,
        slug,
        title: edit.title.clone(),
        summary: Some(edit.summary.clone()),
        body_html: markdown_to_html(&edit.body),
        body_markdown: Some(edit.body.clone()),
        organization: edit.organization.clone(),
        department: Some(edit.department.clone()),
        dateline: Some(edit.dateline.clone()),
        lang: edit.lang.clone(),
        published_at: when.to_owned(),
        updated_at: None,
        topics,
        status: Some(status.to_owned()),
        correction_note: Some(edit.correction_note.clone()),
        retraction_note: None,
    }
}

fn check(input: &ReleaseInput) {
    assert_xml_text("markdown body", &input.body_html);
    assert_safe_html("markdown body", &input.body_html);
    if let Ok(draft) = input.validate() {
        assert_valid_draft(&draft);
    }
}

fuzz_target!(|data: &[u8]| {
    // The admin's decoder (what the newsroom really uses).
    let f = FormFields::parse(data);
    let edit = ReleaseEdit {
        slug: f.get("slug").to_owned(),
        title: f.get("title").to_owned(),
        summary: f.get("summary").to_owned(),
        body: f.get("body").to_owned(),
        organization: f.get("organization").to_owned(),
        department: f.get("department").to_owned(),
        dateline: f.get("dateline").to_owned(),
        lang: f.get("lang").to_owned(),
        topics: f.all("topics"),
        new_topics: f.get("new_topics").to_owned(),
        correction_note: f.get("correction_note").to_owned(),
    };
    let status = match f.get("action") {
        "draft" => "draft",
        _ => "published",
    };
    check(&input_from_edit(&edit, status, WHEN));
    let _ = f.with_prefix("draft.").get("title");

    // serde_urlencoded into the form's shape.
    if let Ok(form) = serde_urlencoded::from_bytes::<ReleaseForm>(data) {
        let when = form.publish_at.as_deref().unwrap_or(WHEN);
        if let Ok(t) = parse_instant("publish_at", when) {
            let _ = t.to_rfc3339();
        }
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
        check(&input_from_edit(
            &edit,
            form.status.as_deref().unwrap_or("published"),
            when,
        ));
    }
});
