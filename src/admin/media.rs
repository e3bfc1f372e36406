//! `GET /admin/media/{sha256}/{filename}`: any uploaded file or rendition
//! for a signed-in admin, so the preview of a draft or scheduled release
//! shows its images, which `/media/` does not serve until the release is
//! public. Never cached by anyone (the newsroom's `no-store`).

use super::AdminError;
use crate::domain::attachment::{Sha256Hex, is_served_filename};
use crate::http::media::serve_stored;
use crate::http::{AppState, blocking};
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn serve(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AdminError> {
    let (sha, name) = path.into_inner();
    let Some(sha) = Sha256Hex::parse(&sha).filter(|_| is_served_filename(&name)) else {
        return Err(AdminError::NotFound);
    };
    let found = blocking(&state, move |st| st.store.any_media(&sha)).await??;
    let record = found.ok_or(AdminError::NotFound)?;
    Ok(serve_stored(
        &req,
        &state.media,
        &record,
        "private, no-store",
    ))
}
