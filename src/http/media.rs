//! Attachments served: `GET /media/{sha256}/{filename}` (the upload,
//! `POST /api/v1/media`, is in `api::media`). [`serve_stored`] serves a
//! stored file with given cache headers, for any route that needs to
//! (private URLs).

use crate::domain::attachment::{MediaType, Sha256Hex, is_served_filename};
use crate::http::AppState;
use crate::http::blocking;
use crate::media::MediaFiles;
use crate::store::MediaRecord;
use actix_files::NamedFile;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, HeaderValue,
};
use actix_web::{HttpRequest, HttpResponse, web};

/// `Cache-Control` of public attachments: the URL names the bytes.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The public URL path of a stored file.
pub fn media_path(sha256: &Sha256Hex, filename: &str) -> String {
    format!("/media/{sha256}/{filename}")
}

/// `GET /media/{sha256}/{filename}`: a file some public release uses;
/// 404 otherwise (a draft's, a scheduled or retracted release's, unused).
pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (sha, name) = path.into_inner();
    let Some(sha) = Sha256Hex::parse(&sha).filter(|_| is_served_filename(&name)) else {
        return not_found();
    };
    let now = state.clock.now();
    let found = blocking(&state, move |st| st.store.public_media(&sha, now)).await;
    match found {
        Ok(Ok(Some(record))) => serve_stored(&req, &state.media, &record, IMMUTABLE),
        Ok(Ok(None)) => not_found(),
        Ok(Err(e)) => {
            let f = super::error::Failure::of_store(&e);
            super::error::error_page(f.status, f.reason.unwrap_or("The file cannot be read now."))
        }
        Err(_) => super::error::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is busy. Please try again in a few seconds.",
        ),
    }
}

fn not_found() -> HttpResponse {
    super::error::error_page(StatusCode::NOT_FOUND, "There is no such file.")
}

/// Serves a stored file: its real type, a strong ETag (its hash), Range
/// (one range; a multi-range request gets its first range), HEAD, and
/// `cache_control`. Streamed from disk by actix-files, never read whole.
pub fn serve_stored(
    req: &HttpRequest,
    files: &MediaFiles,
    record: &MediaRecord,
    cache_control: &'static str,
) -> HttpResponse {
    let etag = format!("\"{}\"", record.sha256);
    let cache = HeaderValue::from_static(cache_control);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == etag || t == "*")
        });
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    let file = match NamedFile::open(files.path_of(&record.sha256)) {
        Ok(f) => f,
        Err(e) => {
            // Known to the database but gone from the folder: a restore
            // without the media folder, or someone deleted it.
            tracing::error!(sha256 = %record.sha256, error = %e, "stored attachment missing");
            return not_found();
        }
    };
    let disposition = ContentDisposition {
        disposition: if inline(record.media_type) {
            DispositionType::Inline
        } else {
            DispositionType::Attachment
        },
        parameters: vec![DispositionParam::Filename(record.filename.clone())],
    };
    let mime: actix_web::mime::Mime = record
        .media_type
        .mime()
        .parse()
        .unwrap_or(actix_web::mime::APPLICATION_OCTET_STREAM);
    // actix-files' own ETag is of the inode and mtime, and its
    // Last-Modified differs between copies of the folder: ours is the hash.
    let mut res = file
        .set_content_type(mime)
        .set_content_disposition(disposition)
        .use_etag(false)
        .use_last_modified(false)
        .into_response(req);
    if res.status().is_success() {
        let headers = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        headers.insert(header::CACHE_CONTROL, cache);
    }
    res
}

/// Images and PDFs open in the browser; anything else is downloaded.
fn inline(t: MediaType) -> bool {
    matches!(
        t,
        MediaType::Jpeg | MediaType::Png | MediaType::Webp | MediaType::Pdf
    )
}
