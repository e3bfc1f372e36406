//! Accounts and API tokens (the command line's `create-admin`,
//! `reset-password`, `create-token`, `revoke-token`).

use super::WriteError;
use crate::authentication as cred;
use crate::store::{Conflict, Store, StoreError};
use chrono::{DateTime, Utc};

/// A valid username and the hash of a password good enough to set.
fn account_credentials(username: &str, password: &str) -> Result<(String, String), WriteError> {
    let username = cred::parse_username(username).map_err(|e| WriteError::Invalid(vec![e]))?;
    cred::check_new_password(password).map_err(|e| WriteError::Invalid(vec![e]))?;
    Ok((username, cred::hash_password(password)?))
}

/// Creates an admin account (CLI `create-admin`).
pub fn create_admin(
    store: &Store,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    let (username, hash) = account_credentials(username, password)?;
    match store.create_admin(&username, &hash, now) {
        Ok(_) => Ok(username),
        Err(StoreError::Conflict(Conflict::UsernameTaken(_))) => {
            Err(WriteError::Exists(format!("admin {username:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Sets a new password (CLI `reset-password`); the account's sessions end.
pub fn reset_password(
    store: &Store,
    username: &str,
    password: &str,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    let (username, hash) = account_credentials(username, password)?;
    if store.set_admin_password(&username, &hash, now)? {
        Ok(username)
    } else {
        Err(WriteError::NotFound)
    }
}

/// Makes an API token called `name`; returns the token, which is shown
/// once and stored only as a hash.
pub fn create_token(
    store: &Store,
    name: &str,
    expires_in_days: Option<u32>,
    now: DateTime<Utc>,
) -> Result<String, WriteError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
        return Err(WriteError::invalid(
            "name",
            "use 1 to 100 printable characters",
        ));
    }
    let expires_at = match expires_in_days {
        None => None,
        Some(days @ 1..=MAX_TOKEN_DAYS) => Some(now + chrono::Duration::days(days.into())),
        Some(_) => {
            return Err(WriteError::invalid(
                "expires-in-days",
                format!("use 1 to {MAX_TOKEN_DAYS} days"),
            ));
        }
    };
    let token = cred::new_token();
    match store.create_token(name, &cred::token_digest(&token), expires_at, now) {
        Ok(()) => Ok(token),
        Err(StoreError::Conflict(Conflict::TokenNameTaken(_))) => {
            Err(WriteError::Exists(format!("token {name:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Longest lifetime `create-token --expires-in-days` accepts (ten years).
pub const MAX_TOKEN_DAYS: u32 = 3660;

/// Revokes the token called `name`.
pub fn revoke_token(store: &Store, name: &str, now: DateTime<Utc>) -> Result<(), WriteError> {
    if store.revoke_token(name.trim(), now)? {
        Ok(())
    } else {
        Err(WriteError::NotFound)
    }
}
