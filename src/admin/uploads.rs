//! A release form sent as `multipart/form-data` (it has a file input):
//! its text fields become [`FormFields`] as a URL-encoded form's would, and
//! its files go through the same pipeline as `POST /api/v1/media` (name
//! cleaned, streamed to a temporary file while counted against
//! `media_max_bytes`, type sniffed from the bytes, PDFs searched for
//! script, images' pixels counted, renamed to their SHA-256, recorded).
//! A file accepted joins the form as a hidden `attachment` reference, so
//! a refusal of anything else never asks for it again; a file refused is
//! named in [`FormUploads::refused`] and the form comes back.
//!
//! Files are only taken after the form's CSRF token (its first field) has
//! been read and matched: a file part arriving before a matching token is
//! read and thrown away.

use super::forms::FormFields;
use super::{AdminError, session::SessionData};
use crate::domain::attachment::clean_filename;
use crate::http::{AppState, blocking};
use crate::media::UploadError;
use crate::store::MediaRecord;
use actix_multipart::{Field, Multipart};
use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage, web};
use futures_util::StreamExt;

/// The field of the form's file input.
pub const FILES_FIELD: &str = "files";
/// Each attachment of the form, in order, by its SHA-256.
pub const ATTACHMENT_FIELD: &str = "attachment";
/// The checkbox asking for images' metadata to be removed; it comes
/// before the file input in the form, so it has arrived when files do.
pub const STRIP_FIELD: &str = "strip_metadata";

/// A file of the submission that was not accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The name the browser sent (shown escaped, never used as a path).
    pub filename: String,
    pub message: String,
}

/// What became of the files of one submission (the accepted ones are in
/// the form's fields already).
#[derive(Debug, Clone, Default)]
pub struct FormUploads {
    pub refused: Vec<Refused>,
}

impl actix_web::FromRequest for FormUploads {
    type Error = AdminError;
    type Future = std::future::Ready<Result<Self, AdminError>>;

    /// A URL-encoded form has none: empty.
    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(req
            .extensions_mut()
            .remove::<FormUploads>()
            .unwrap_or_default()))
    }
}

pub fn is_multipart(req: &ServiceRequest) -> bool {
    req.content_type()
        .eq_ignore_ascii_case("multipart/form-data")
}

/// Where files go: the app (its media folder and store) and the session
/// whose CSRF token must come first.
pub struct FileTarget<'a> {
    pub state: &'a web::Data<AppState>,
    pub session: &'a SessionData,
}

async fn drain(field: &mut Field) -> Result<(), AdminError> {
    while let Some(chunk) = field.next().await {
        chunk.map_err(|_| AdminError::BadRequest)?;
    }
    Ok(())
}

/// Reads a multipart form: text fields (together at most `text_limit`
/// bytes) and, with a `target`, its files. Without one (no open session,
/// or a form that takes no files) file parts are read and dropped.
pub async fn read_multipart(
    req: &mut ServiceRequest,
    text_limit: usize,
    target: Option<FileTarget<'_>>,
) -> Result<(FormFields, FormUploads), AdminError> {
    let payload = req.take_payload();
    let mut parts = Multipart::new(req.headers(), payload);
    let mut fields = FormFields::default();
    let mut uploads = FormUploads::default();
    let mut text_bytes = 0usize;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(|_| AdminError::BadRequest)?;
        let name = field.name().unwrap_or_default().to_owned();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let Some(raw_name) = filename else {
            let mut text = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|_| AdminError::BadRequest)?;
                text_bytes += chunk.len();
                if text_bytes > text_limit {
                    return Err(AdminError::TooLarge);
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| AdminError::BadRequest)?;
            fields.0.push((name, text));
            continue;
        };
        let take = target
            .as_ref()
            .filter(|t| name == FILES_FIELD && t.session.csrf_matches(fields.get("csrf")));
        match take {
            // A file input left empty sends a part with no name and no bytes.
            Some(t) if !raw_name.is_empty() => {
                let strip = !fields.get(STRIP_FIELD).is_empty();
                match receive(t.state, &mut field, &raw_name, strip).await? {
                    Ok(record) => {
                        let sha = record.sha256.to_string();
                        if !fields.all(ATTACHMENT_FIELD).contains(&sha) {
                            fields.0.push((ATTACHMENT_FIELD.to_owned(), sha));
                        }
                    }
                    Err(message) => {
                        uploads.refused.push(Refused {
                            filename: raw_name,
                            message,
                        });
                    }
                }
            }
            _ => drain(&mut field).await?,
        }
    }
    Ok((fields, uploads))
}

/// One file through the upload pipeline: `Ok(Err(message))` when it is
/// refused (the part is read to its end either way: the fields after it
/// are wanted), `Err` when the server failed.
async fn receive(
    state: &web::Data<AppState>,
    field: &mut Field,
    raw_name: &str,
    strip_metadata: bool,
) -> Result<Result<MediaRecord, String>, AdminError> {
    let filename = match clean_filename(raw_name) {
        Ok(n) => n,
        Err(e) => {
            drain(field).await?;
            return Ok(Err(e.to_string()));
        }
    };
    let max = state.settings.media_max_bytes;
    let mut up = state.media.begin(max).map_err(UploadError::from)?;
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| AdminError::BadRequest)?;
        if let Err(e) = up.write(&chunk) {
            drain(field).await?;
            return refusal(e);
        }
    }
    if up.length() == 0 {
        return Ok(Err("the file is empty".to_owned()));
    }
    let max_pixels = state.settings.media_max_pixels;
    let stored = match web::block(move || up.finish(max_pixels, strip_metadata)).await? {
        Ok(s) => s,
        Err(e) => return refusal(e),
    };
    let record = MediaRecord {
        sha256: stored.sha256,
        media_type: stored.media_type,
        length: stored.length,
        filename,
        width: stored.width,
        height: stored.height,
        alt: None,
        caption: None,
    };
    let renditions = stored.renditions;
    let now = state.clock.now();
    let saved = blocking(state, move |st| {
        st.store.save_media(&record, &renditions, now)
    })
    .await??;
    Ok(Ok(saved))
}

fn refusal(e: UploadError) -> Result<Result<MediaRecord, String>, AdminError> {
    match e {
        UploadError::Io(_) => Err(e.into()),
        refused => Ok(Err(refused.to_string())),
    }
}
