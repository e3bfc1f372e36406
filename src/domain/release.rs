use super::text::clean_optional;
use super::{
    BodyError, Lang, MAX_BODY_BYTES, Slug, Title, ValidationError, check_body, clean_text,
    sanitize_html,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Published,
    Retracted,
}

impl Status {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "draft" => Ok(Self::Draft),
            "published" => Ok(Self::Published),
            "retracted" => Ok(Self::Retracted),
            other => Err(ValidationError::new(
                "status",
                format!("{other:?} is not one of draft, published, retracted"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Retracted => "retracted",
        }
    }
}

/// Most topics one release may have: each is a channel the release goes
/// out on, and every one of them is rendered again when it changes.
pub const MAX_TOPICS: usize = 20;

/// A release as the import format (and the API) carries it, before
/// validation. Unknown fields are refused so a typo is not silently lost.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// The stable feed id; only set when moving releases between servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub slug: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub body_html: String,
    /// The Markdown the body was written in (the newsroom form keeps it);
    /// `body_html` is still what readers get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    pub organization: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dateline: Option<String>,
    pub lang: String,
    pub published_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retraction_note: Option<String>,
    /// The slug of the release this one translates. Its topics are taken
    /// over when `topics` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_of: Option<String>,
    /// Files uploaded with `POST /api/v1/media`, by hash, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<super::attachment::AttachmentInput>,
    /// Who journalists call (README "Press-release furniture"), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_contacts: Vec<super::MediaContactInput>,
    /// Markdown, shown after the end mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_to_editors: Option<String>,
}

/// A validated release, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseDraft {
    pub uid: Option<String>,
    pub slug: Slug,
    pub title: Title,
    pub summary: Option<String>,
    pub body_html: String,
    /// The Markdown `body_html` was made from, when known.
    pub body_source: Option<String>,
    pub organization: String,
    pub department: Option<String>,
    pub dateline: Option<String>,
    pub lang: Lang,
    pub status: Status,
    pub published_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub topics: Vec<Slug>,
    pub correction_note: Option<String>,
    pub retraction_note: Option<String>,
    /// The release this one translates (its slug); never its own.
    pub translation_of: Option<Slug>,
    pub attachments: Vec<super::attachment::AttachmentRef>,
    pub media_contacts: Vec<super::MediaContact>,
    /// Markdown as typed (trimmed); rendered and sanitised when shown.
    pub notes_to_editors: Option<String>,
}

impl ReleaseDraft {
    pub fn lifecycle(&self) -> super::Lifecycle {
        super::Lifecycle {
            status: self.status,
            published_at: self.published_at,
        }
    }
}

fn keep<T>(errors: &mut Vec<ValidationError>, r: Result<T, ValidationError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

pub fn parse_instant(field: &'static str, s: &str) -> Result<DateTime<Utc>, ValidationError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            ValidationError::new(
                field,
                format!("{s:?} is not an RFC 3339 time such as 2026-03-01T09:30:00+01:00 ({e})"),
            )
        })
}

impl ReleaseInput {
    /// Checks every field and reports all problems at once.
    pub fn validate(&self) -> Result<ReleaseDraft, Vec<ValidationError>> {
        let mut errors = Vec::new();

        let slug = keep(&mut errors, Slug::parse(&self.slug));
        let title = keep(&mut errors, Title::parse(&self.title));
        let lang = keep(&mut errors, Lang::parse(&self.lang));
        let status = keep(
            &mut errors,
            Status::parse(self.status.as_deref().unwrap_or("published")),
        );
        let published_at = keep(
            &mut errors,
            parse_instant("published_at", &self.published_at),
        );
        let updated_at = match self.updated_at.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(s) => keep(&mut errors, parse_instant("updated_at", s).map(Some)),
        };
        let organization = clean_optional(Some(&self.organization));
        if organization.is_none() {
            errors.push(ValidationError::new(
                "organization",
                "an organisation is required",
            ));
        }
        let body_html = match check_body(&self.body_html) {
            Ok(()) => sanitize_html(&self.body_html),
            Err(e) => {
                errors.push(ValidationError::new("body_html", e.to_string()));
                String::new()
            }
        };
        if body_html.trim().is_empty() && errors.iter().all(|e| e.field != "body_html") {
            errors.push(ValidationError::new("body_html", "the body is empty"));
        }
        if let Some(md) = self.body_markdown.as_deref()
            && md.len() > MAX_BODY_BYTES
        {
            errors.push(ValidationError::new(
                "body_markdown",
                BodyError::TooLarge(md.len()).to_string(),
            ));
        }
        let mut topics: Vec<Slug> = Vec::new();
        for t in &self.topics {
            match Slug::parse_field("topics", t) {
                Ok(s) if !topics.contains(&s) => topics.push(s),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if topics.len() > MAX_TOPICS {
            errors.push(ValidationError::new(
                "topics",
                format!(
                    "{} topics; a release has at most {MAX_TOPICS}",
                    topics.len()
                ),
            ));
        }
        let uid = self.id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        if let Some(uid) = uid
            && !super::is_tag_uri(uid)
        {
            errors.push(ValidationError::new(
                "id",
                format!(
                    "{uid:?} is not a tag: URI like the ids pressfeed makes \
                     (tag:example.org,2026-01-31:release/1); leave it out for a new release"
                ),
            ));
        }
        let translation_of = match self.translation_of.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => keep(&mut errors, Slug::parse_field("translation_of", t)),
        };
        if let (Some(of), Some(own)) = (&translation_of, &slug)
            && of == own
        {
            errors.push(ValidationError::new(
                "translation_of",
                "names this release itself; a release cannot be a translation of itself",
            ));
        }
        if let (Some(Some(u)), Some(p)) = (updated_at, published_at)
            && u < p
        {
            errors.push(ValidationError::new(
                "updated_at",
                "is earlier than published_at",
            ));
        }
        let attachments = keep(
            &mut errors,
            super::attachment::validate_attachments(&self.attachments),
        );
        let media_contacts = keep(
            &mut errors,
            super::furniture::validate_contacts(&self.media_contacts),
        );
        let notes_to_editors = keep(
            &mut errors,
            super::furniture::validate_notes(self.notes_to_editors.as_deref()),
        );
        if !errors.is_empty() {
            return Err(errors);
        }
        match (
            slug,
            title,
            lang,
            status,
            published_at,
            updated_at,
            organization,
        ) {
            (
                Some(slug),
                Some(title),
                Some(lang),
                Some(status),
                Some(published_at),
                Some(updated_at),
                Some(organization),
            ) => Ok(ReleaseDraft {
                uid: uid.map(str::to_owned),
                slug,
                title,
                summary: clean_optional(self.summary.as_deref()),
                body_html,
                body_source: self
                    .body_markdown
                    .as_deref()
                    .map(clean_text)
                    .filter(|s| !s.trim().is_empty()),
                organization,
                department: clean_optional(self.department.as_deref()),
                dateline: clean_optional(self.dateline.as_deref()),
                lang,
                status,
                published_at,
                updated_at,
                topics,
                correction_note: clean_optional(self.correction_note.as_deref()),
                retraction_note: clean_optional(self.retraction_note.as_deref()),
                translation_of,
                attachments: attachments.unwrap_or_default(),
                media_contacts: media_contacts.unwrap_or_default(),
                notes_to_editors: notes_to_editors.flatten(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ReleaseInput {
        ReleaseInput {
            slug: "a-release".into(),
            title: "A release".into(),
            body_html: "<p>Body</p>".into(),
            organization: "Office".into(),
            lang: "en".into(),
            published_at: "2024-01-02T03:04:05+03:00".into(),
            topics: vec!["health".into(), "health".into()],
            ..Default::default()
        }
    }

    #[test]
    fn valid_input_becomes_a_draft_in_utc() {
        let d = input().validate().unwrap();
        assert_eq!(d.published_at.to_rfc3339(), "2024-01-02T00:04:05+00:00");
        assert_eq!(d.status, Status::Published);
        assert_eq!(d.topics.len(), 1);
    }

    #[test]
    fn reports_every_bad_field() {
        let mut i = input();
        i.slug = "Bad Slug".into();
        i.title = " ".into();
        i.published_at = "yesterday".into();
        let errs = i.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["slug", "title", "published_at"]);
    }

    #[test]
    fn a_release_cannot_translate_itself() {
        let mut i = input();
        i.translation_of = Some("a-release".into());
        let errs = i.validate().unwrap_err();
        assert_eq!(errs[0].field, "translation_of");
        assert!(errs[0].message.contains("itself"), "{}", errs[0].message);
        i.translation_of = Some(" ".into());
        assert_eq!(i.validate().unwrap().translation_of, None);
        i.translation_of = Some("the-original".into());
        assert_eq!(
            i.validate().unwrap().translation_of.map(|s| s.to_string()),
            Some("the-original".to_owned())
        );
    }
}
