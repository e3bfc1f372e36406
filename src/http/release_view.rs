//! One release as a page shows it: the public page, and the newsroom's
//! preview of a release not saved yet, which is built the same way so it
//! shows exactly what readers will get.

use super::AppState;
use crate::domain::ReleaseDraft;
use crate::model::{Release, TopicRef};
use chrono::{DateTime, Utc};

/// A release prepared for display in the office's time zone.
pub struct ReleaseView {
    pub slug: String,
    pub title: String,
    pub summary: Option<String>,
    pub body_html: String,
    pub organization: String,
    pub department: Option<String>,
    pub dateline: Option<String>,
    pub lang: String,
    pub dir: &'static str,
    pub published_iso: String,
    pub published_display: String,
    pub updated_display: Option<String>,
    pub correction_note: Option<String>,
    pub topics: Vec<TopicRef>,
}

/// A time on a public page (and in the newsroom's preview of one).
pub fn display_time(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.settings.tz())
        .format("%-d %B %Y, %H:%M %Z")
        .to_string()
}

impl ReleaseView {
    /// A stored release.
    pub fn of(state: &AppState, r: Release) -> Self {
        let lang = r.lang_tag();
        // The same absolute URLs as in the feeds.
        let body_html = crate::feeds::body_html(&state.site, &r);
        Self {
            published_iso: r.published_at.to_rfc3339(),
            published_display: display_time(state, r.published_at),
            updated_display: r.is_updated().then(|| display_time(state, r.updated_at)),
            slug: r.slug,
            title: r.title,
            summary: r.summary,
            body_html,
            organization: r.organization,
            department: r.department,
            dateline: r.dateline,
            dir: lang.dir(),
            lang: lang.as_str().to_owned(),
            correction_note: r.correction_note,
            topics: r.topics,
        }
    }

    /// A release not stored yet (the newsroom's preview), with its topics
    /// by name: made into the release it would be, then shown as stored
    /// ones are.
    pub fn of_draft(state: &AppState, draft: &ReleaseDraft, topics: Vec<TopicRef>) -> Self {
        let published_at = draft.published_at;
        let unsaved = Release {
            id: 0,
            uid: draft.uid.clone().unwrap_or_default(),
            slug: draft.slug.to_string(),
            title: draft.title.as_str().to_owned(),
            summary: draft.summary.clone(),
            body_html: draft.body_html.clone(),
            body_source: draft.body_source.clone(),
            organization: draft.organization.clone(),
            department: draft.department.clone(),
            dateline: draft.dateline.clone(),
            lang: draft.lang.to_string(),
            status: draft.status,
            published_at,
            updated_at: draft.updated_at.unwrap_or(published_at),
            created_at: published_at,
            changed_at: published_at,
            correction_note: draft.correction_note.clone(),
            retraction_note: draft.retraction_note.clone(),
            topics,
        };
        Self::of(state, unsaved)
    }
}
