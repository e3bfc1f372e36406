//! Usernames, passwords (argon2id) and API tokens (random, stored as SHA-256).

use crate::domain::ValidationError;
use argon2::Argon2;
use argon2::password_hash::PasswordHasher;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub(crate) String);

/// A username: 1 to 64 of a-z, 0-9, `.`, `_`, `-`, `@`, stored lowercase.
pub fn parse_username(s: &str) -> Result<String, ValidationError> {
    let u = s.trim().to_lowercase();
    let ok = !u.is_empty()
        && u.len() <= 64
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if ok {
        Ok(u)
    } else {
        Err(ValidationError::new(
            "username",
            "use 1 to 64 letters a-z, digits, '.', '_', '-' or '@'",
        ))
    }
}

/// Checks a new password's length (long passphrases are the point).
pub fn check_new_password(p: &str) -> Result<(), ValidationError> {
    let n = p.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(ValidationError::new(
            "password",
            format!("is {n} characters long; use at least {MIN_PASSWORD_CHARS}"),
        ));
    }
    if p.len() > MAX_PASSWORD_BYTES {
        return Err(ValidationError::new(
            "password",
            format!("is longer than {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// An argon2id PHC string with a fresh random salt. CPU-heavy: call it off
/// the async executor.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// A hash nobody's password matches, verified when the username is unknown
/// so that a wrong username costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> =
    LazyLock::new(|| hash_password("not the password of anyone at all").ok());

pub(crate) fn dummy_hash() -> Option<&'static str> {
    DUMMY_HASH.as_deref()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new API token: 32 random bytes, hex, with a recognisable prefix.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("pft_{}", to_hex(&bytes))
}

/// What is stored for a token.
pub fn token_digest(token: &str) -> String {
    to_hex(&Sha256::digest(token.as_bytes()))
}

/// A random value for CSRF tokens.
pub fn random_hex(bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    to_hex(&v)
}

/// Compares secrets without an early exit.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    constant_time_eq_bytes(a.as_bytes(), b.as_bytes())
}

pub fn constant_time_eq_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_a_fresh_salt() {
        let (a, b) = (
            hash_password("correct horse battery").unwrap(),
            hash_password("correct horse battery").unwrap(),
        );
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn usernames_and_passwords_have_rules() {
        assert_eq!(parse_username(" Editor@Office ").unwrap(), "editor@office");
        assert!(parse_username("a b").is_err());
        assert!(parse_username("").is_err());
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars").is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(token_digest(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &b));
    }
}
