//! The one write path: import, demo content, the newsroom and the API all
//! go through here, so validation, sanitising and ids live in one place.

mod accounts;
mod accreditations;
mod export;
mod horizon;
mod import;
mod releases;
mod topics;

pub use accounts::{MAX_TOKEN_DAYS, create_admin, create_token, reset_password, revoke_token};
pub use accreditations::{NewAccreditation, accredit, private_base_url, revoke_accreditation};
pub use export::{ExportReport, export};
pub use horizon::{SCHEDULE_HORIZON_YEARS, schedule_horizon};
pub use import::{
    ImportError, ImportFile, ImportReport, LineError, OrganizationLine, import, parse_jsonl,
    parse_line,
};
pub use releases::{
    ApiWrite, EditInput, FormAction, PreparedRelease, Publish, ReleaseEdit, Submitted, TypedTime,
    edit_input, prepare_release_edit, restore_release, retract_release, save_api_release,
    submit_release_edit,
};
pub use topics::{MAX_NEW_TOPICS, create_topic, delete_topic, update_topic};

use crate::domain::ValidationError;
use crate::store::StoreError;

/// Why a newsroom or API write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    #[error("no such release")]
    NotFound,
    #[error("{0} already exists")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] crate::authentication::HashError),
}

impl WriteError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        WriteError::Invalid(vec![ValidationError::new(field, message)])
    }
}
