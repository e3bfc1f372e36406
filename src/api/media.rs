//! `POST /api/v1/media`: an attachment uploaded (README "Attachments").

use super::{ApiError, FieldError};
use crate::domain::attachment::clean_filename;
use crate::domain::clean_optional;
use crate::http::AppState;
use crate::http::blocking;
use crate::http::media::media_path;
use crate::media::UploadError;
use crate::store::MediaRecord;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;

/// A multipart body may carry this much beyond the file (boundaries, the
/// part headers, alt and caption) before it is refused unread.
const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// Longest alt text or caption, in bytes.
const MAX_TEXT_BYTES: usize = 2000;

#[derive(Serialize)]
struct Uploaded {
    sha256: String,
    url: String,
    #[serde(rename = "type")]
    mime: &'static str,
    length: u64,
    filename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: message.into(),
    }])
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooBig { .. } => {
            ApiError::Rejected(StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
        }
        UploadError::Unsupported => {
            ApiError::Rejected(StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string())
        }
        UploadError::PdfScript
        | UploadError::PdfTooDeep
        | UploadError::TooManyPixels { .. }
        | UploadError::BadImage(_) => invalid("file", e.to_string()),
        UploadError::Io(_) => {
            tracing::error!(error = %e, "storing an upload failed");
            ApiError::Rejected(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
    }
}

fn multipart_error(e: actix_multipart::MultipartError) -> ApiError {
    ApiError::BadRequest(format!("the multipart body cannot be read: {e}"))
}

/// `POST /api/v1/media`: one file in the field `file`, with optional `alt`,
/// `caption` and `strip_metadata` (`true`: an image's metadata is removed
/// before it is stored). 201 with where it is; the same bytes uploaded
/// again give the same answer (stored once).
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_multipart {
        return Err(ApiError::Rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send multipart/form-data with the file in the field `file`".to_owned(),
        ));
    }
    let max = state.settings.media_max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(upload_error(UploadError::TooBig { max }));
    }
    let mut parts = Multipart::new(req.headers(), payload);
    let mut received = None;
    let (mut alt, mut caption) = (None, None);
    let mut strip_metadata = false;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(multipart_error)?;
        match field.name() {
            Some("file") => {
                if received.is_some() {
                    return Err(invalid("file", "send one file per request"));
                }
                let raw = field
                    .content_disposition()
                    .and_then(|cd| cd.get_filename())
                    .unwrap_or_default()
                    .to_owned();
                let name = clean_filename(&raw).map_err(|e| invalid("file", e.to_string()))?;
                let mut up = state.media.begin(max).map_err(|e| upload_error(e.into()))?;
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    // Small writes into the page cache; the fsync and the
                    // inspection run off the workers (finish).
                    up.write(&chunk).map_err(upload_error)?;
                }
                if up.length() == 0 {
                    return Err(invalid("file", "the file is empty"));
                }
                received = Some((up, name));
            }
            Some("strip_metadata") => {
                let mut text = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    if text.len() + chunk.len() > 16 {
                        return Err(invalid("strip_metadata", "send `true` or `false`"));
                    }
                    text.extend_from_slice(&chunk);
                }
                strip_metadata = match text.trim_ascii() {
                    b"true" | b"1" | b"on" => true,
                    b"false" | b"0" | b"" => false,
                    _ => return Err(invalid("strip_metadata", "send `true` or `false`")),
                };
            }
            Some(which @ ("alt" | "caption")) => {
                let which = which.to_owned();
                let mut text = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk = chunk.map_err(multipart_error)?;
                    if text.len() + chunk.len() > MAX_TEXT_BYTES {
                        return Err(invalid(
                            &which,
                            format!("is longer than {MAX_TEXT_BYTES} bytes"),
                        ));
                    }
                    text.extend_from_slice(&chunk);
                }
                let text =
                    String::from_utf8(text).map_err(|_| invalid(&which, "is not UTF-8 text"))?;
                let text = clean_optional(Some(&text));
                if which == "alt" {
                    alt = text;
                } else {
                    caption = text;
                }
            }
            other => {
                return Err(invalid(
                    other.unwrap_or("(unnamed)"),
                    "unknown field: send `file`, `alt`, `caption` and `strip_metadata`",
                ));
            }
        }
    }
    let Some((up, filename)) = received else {
        return Err(invalid("file", "no file was sent in the field `file`"));
    };
    let max_pixels = state.settings.media_max_pixels;
    let stored = web::block(move || up.finish(max_pixels, strip_metadata))
        .await?
        .map_err(upload_error)?;
    let record = MediaRecord {
        sha256: stored.sha256,
        media_type: stored.media_type,
        length: stored.length,
        filename,
        width: stored.width,
        height: stored.height,
        alt,
        caption,
    };
    let renditions = stored.renditions;
    let now = state.clock.now();
    let saved = blocking(&state, move |st| {
        st.store.save_media(&record, &renditions, now)
    })
    .await??;
    let url = format!(
        "{}{}",
        state.site.base_url,
        media_path(&saved.sha256, &saved.filename)
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, url.clone()))
        .json(Uploaded {
            sha256: saved.sha256.to_string(),
            url,
            mime: saved.media_type.mime(),
            length: saved.length,
            filename: saved.filename,
            width: saved.width,
            height: saved.height,
        }))
}
