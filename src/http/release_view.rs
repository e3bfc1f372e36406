//! One release as a page shows it: the public page, and the newsroom's
//! preview of a release not saved yet, which is built the same way so it
//! shows exactly what readers will get.

use super::AppState;
use super::routes::{Name, url};
use crate::domain::{Lang, ReleaseDraft};
use crate::i18n::{Ui, language_name};
use crate::model::{Attachment, Release, TopicRef};
use chrono::{DateTime, Utc};

/// One language of a release in its page's language switch.
pub struct LanguageLink {
    pub lang: String,
    pub dir: &'static str,
    /// The language named in itself ("العربية").
    pub name: String,
    pub href: String,
    /// The page's own language (shown, not linked).
    pub current: bool,
}

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
    /// The interface around the release's text (labels, dates).
    pub ui: &'static Ui,
    /// This release's languages, its own first, when it has visible
    /// translations; else empty.
    pub languages: Vec<LanguageLink>,
    /// The lead image, shown above the text (none or one).
    pub lead_figure: Vec<Figure>,
    /// The other images, in order, shown after the text.
    pub figures: Vec<Figure>,
    /// The documents, listed under "Downloads".
    pub downloads: Vec<Download>,
    /// Notes to editors, the organisation's boilerplate and the media
    /// contacts, as HTML shown after the end mark (the feeds' markup).
    pub furniture_html: String,
}

/// A time on a public page (and in the newsroom's preview of one), in the
/// interface's language.
pub fn display_time(state: &AppState, ui: &Ui, t: DateTime<Utc>) -> String {
    ui.date_time(&t.with_timezone(&state.settings.tz()))
}

/// The interface of the site's pages (home, topics, errors): the site's
/// configured language, English when the interface lacks it.
pub fn site_ui(state: &AppState) -> &'static Ui {
    Ui::for_lang(&state.settings.site_lang, "en")
}

/// The interface of a release's own page: its language, else the site's.
pub fn release_ui(state: &AppState, lang: &str) -> &'static Ui {
    Ui::for_lang(lang, &state.settings.site_lang)
}

fn language_link(lang: &str, slug: &str, current: bool) -> LanguageLink {
    let tag = Lang::parse(lang).ok();
    LanguageLink {
        lang: lang.to_owned(),
        dir: tag.map_or("ltr", |t| t.dir()),
        name: language_name(lang),
        href: url(Name::Release, &[slug]),
        current,
    }
}

/// Where a page's images and documents are fetched from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaUrls {
    /// `/media/…`: files of releases readers may see.
    Public,
    /// The newsroom's `/admin/media/…`: the preview of a release not
    /// public yet, whose files `/media/` does not serve.
    Newsroom,
}

impl MediaUrls {
    fn path(self, sha256: &str, filename: &str) -> String {
        match self {
            Self::Public => url(Name::Media, &[sha256, filename]),
            Self::Newsroom => url(Name::AdminMedia, &[sha256, filename]),
        }
    }
}

impl ReleaseView {
    /// A stored release, with the interface `ui` around it.
    pub fn of(state: &AppState, r: Release, ui: &'static Ui) -> Self {
        Self::build(state, r, ui, MediaUrls::Public)
    }

    fn build(state: &AppState, r: Release, ui: &'static Ui, media: MediaUrls) -> Self {
        let lang = r.lang_tag();
        let languages = if r.translations.is_empty() {
            Vec::new()
        } else {
            std::iter::once(language_link(&r.lang, &r.slug, true))
                .chain(
                    r.translations
                        .iter()
                        .map(|t| language_link(&t.lang, &t.slug, false)),
                )
                .collect()
        };
        // The same absolute URLs as in the feeds.
        let body_html = crate::feeds::body_html(&state.site, &r);
        let (lead_figure, figures, downloads) = files_of(&r.attachments, ui, media);
        let furniture_html = crate::feeds::furniture_html(&state.site, &r, ui);
        Self {
            published_iso: r.published_at.to_rfc3339(),
            published_display: display_time(state, ui, r.published_at),
            updated_display: r
                .is_updated()
                .then(|| display_time(state, ui, r.updated_at)),
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
            ui,
            languages,
            lead_figure,
            figures,
            downloads,
            furniture_html,
        }
    }

    /// A release not stored yet (the newsroom's preview), with its topics
    /// by name and its organisation's boilerplate: made into the release it
    /// would be, then shown as stored ones are, its files from the
    /// newsroom's own media URLs (the public ones answer 404 until the
    /// release is public).
    pub fn of_draft(
        state: &AppState,
        draft: &ReleaseDraft,
        topics: Vec<TopicRef>,
        attachments: Vec<Attachment>,
        about: Option<String>,
    ) -> Self {
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
            translation_of: draft.translation_of.as_ref().map(ToString::to_string),
            translations: Vec::new(),
            attachments,
            media_contacts: draft.media_contacts.clone(),
            notes_to_editors: draft.notes_to_editors.clone(),
            about,
        };
        let ui = release_ui(state, &unsaved.lang);
        Self::build(state, unsaved, ui, MediaUrls::Newsroom)
    }
}

/// An image of a release as its page shows it.
pub struct Figure {
    /// The original.
    pub src: String,
    /// The renditions and the original with their widths
    /// (`… 480w, … 960w, … 4000w`), when it has renditions.
    pub srcset: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: String,
    pub caption: Option<String>,
}

/// A document of a release in the page's "Downloads" list.
pub struct Download {
    pub href: String,
    pub filename: String,
    /// "PDF".
    pub kind: String,
    pub mime: String,
    /// "2.4 MB", in the interface's language.
    pub size: String,
}

/// A file's length for people, in the interface's language (1 KB = 1024
/// bytes, as most file managers count).
pub fn human_size(ui: &Ui, bytes: u64) -> String {
    const K: u64 = 1024;
    match bytes {
        0..K => ui.t1("size-bytes", "n", &bytes.to_string()),
        K..1_048_576 => ui.t1("size-kb", "n", &bytes.div_ceil(K).to_string()),
        _ => {
            let mb = format!("{:.1}", bytes as f64 / 1_048_576.0);
            ui.t1("size-mb", "n", mb.strip_suffix(".0").unwrap_or(&mb))
        }
    }
}

/// A release's files as its page shows them: the lead image, the other
/// images, the documents.
fn files_of(
    files: &[Attachment],
    ui: &Ui,
    media: MediaUrls,
) -> (Vec<Figure>, Vec<Figure>, Vec<Download>) {
    let (mut lead, mut figures, mut downloads) = (Vec::new(), Vec::new(), Vec::new());
    for a in files {
        if a.is_image() {
            let src = media.path(&a.sha256, &a.filename);
            let srcset = match (a.renditions.is_empty(), a.width) {
                (false, Some(width)) => Some(
                    a.renditions
                        .iter()
                        .map(|r| format!("{} {}w", media.path(&r.sha256, &r.filename), r.width))
                        .chain(std::iter::once(format!("{src} {width}w")))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                _ => None,
            };
            let f = Figure {
                src,
                srcset,
                width: a.width,
                height: a.height,
                alt: a.alt.clone().unwrap_or_default(),
                caption: a.caption.clone(),
            };
            if a.lead {
                lead.push(f)
            } else {
                figures.push(f)
            }
        } else {
            downloads.push(Download {
                href: media.path(&a.sha256, &a.filename),
                filename: a.filename.clone(),
                kind: match a.mime.as_str() {
                    "application/pdf" => "PDF".to_owned(),
                    other => other.to_owned(),
                },
                size: human_size(ui, a.length),
                mime: a.mime.clone(),
            });
        }
    }
    (lead, figures, downloads)
}
