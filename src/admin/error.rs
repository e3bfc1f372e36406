//! Failures of newsroom handlers, mapped to small HTML pages.

use crate::http::error::Failure;
use crate::service::WriteError;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("not found")]
    NotFound,
    #[error("bad request")]
    BadRequest,
    #[error("request body too large")]
    TooLarge,
    #[error("no session on a protected route")]
    NoSession,
    #[error("the newsroom is not configured on this app")]
    Misconfigured,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the server is busy: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("template: {0}")]
    Template(#[from] askama::Error),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("storing an upload: {0}")]
    Media(#[from] crate::media::UploadError),
}

impl AdminError {
    pub fn into_response(self) -> HttpResponse {
        self.error_response()
    }
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            AdminError::NotFound => StatusCode::NOT_FOUND,
            AdminError::BadRequest => StatusCode::BAD_REQUEST,
            AdminError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AdminError::NoSession
            | AdminError::Misconfigured
            | AdminError::Template(_)
            | AdminError::Media(_) => Failure::INTERNAL.status,
            AdminError::Store(e) => Failure::of_store(e).status,
            AdminError::Blocking(_) => Failure::BUSY.status,
            AdminError::Write(e) => Failure::of_write(e).status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "newsroom request failed");
        }
        let message = match (status, self) {
            (_, AdminError::Write(WriteError::Invalid(errs))) => errs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            (StatusCode::NOT_FOUND, _) => "There is nothing at this address.".to_owned(),
            (StatusCode::BAD_REQUEST, _) => "The request could not be read.".to_owned(),
            (StatusCode::PAYLOAD_TOO_LARGE, _) => {
                "The form is larger than the newsroom accepts (2 MiB).".to_owned()
            }
            (_, AdminError::Store(e) | AdminError::Write(WriteError::Store(e)))
                if let Some(why) = Failure::of_store(e).reason =>
            {
                // e.g. "The database cannot be written: the disk is full."
                format!("{}{}.", why[..1].to_uppercase(), &why[1..])
            }
            (StatusCode::SERVICE_UNAVAILABLE, _) => {
                "The service is briefly unavailable. Please try again.".to_owned()
            }
            _ => "Something went wrong on our side. It has been logged.".to_owned(),
        };
        super::views::error_page(status, &message)
    }
}
