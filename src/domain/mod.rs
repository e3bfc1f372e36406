//! Domain types that validate on construction: once a value has the type,
//! it is valid, and nothing downstream checks it again.

pub mod attachment;
mod cleaned_markdown;
pub mod furniture;
mod html;
mod lang;
mod lifecycle;
mod month;
#[cfg(test)]
mod proptests;
mod release;
mod removed;
pub mod search;
mod slug;
mod tag_uri;
mod text;

pub use cleaned_markdown::cleaned_markdown;
pub use furniture::{MediaContact, MediaContactInput};
pub use html::{
    BodyError, MAX_BODY_BYTES, MAX_NESTING, check_body, check_markdown, markdown_to_html,
    markdown_to_html_reporting, resolve_relative_urls, sanitize_html, sanitize_html_reporting,
};
pub use lang::Lang;
pub use lifecycle::{Lifecycle, State};
pub use month::Month;
pub use release::{ReleaseDraft, ReleaseInput, Status, parse_instant};
pub use removed::Removed;
pub use slug::Slug;
pub use tag_uri::is_tag_uri;
pub use text::{Title, clean_name, clean_optional, clean_text};

/// A value a user supplied that cannot be accepted, and which field it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The message as a sentence on its own, for people: capitalised, and
    /// with the field named when the message only continues it ("is 301
    /// characters long" becomes "Title is 301 characters long").
    pub fn sentence(&self) -> String {
        let label = match self.field {
            // What the form calls it.
            "slug" => "address".to_owned(),
            field => field.replace('_', " "),
        };
        crate::wording::sentence(&label, &self.message)
    }
}
