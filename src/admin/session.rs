//! The session cookie: signed and encrypted with a key that survives
//! restarts, HttpOnly, SameSite=Strict, Secure under https, limited to
//! `/admin` (under https: `__Host-` and the whole site, as that prefix asks). What it holds is small: who, since when, and the CSRF token.

use super::CurrentAdmin;
use super::credentials::{constant_time_eq, random_hex};
use super::error::AdminError;
use crate::config::Settings;
use crate::http::AppState;
use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::web;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

pub const COOKIE_NAME: &str = "pressfeed_admin";
/// The name under an https base URL. Browsers accept a `__Host-` cookie
/// only when it is Secure, has `Path=/` and no Domain, so neither a plain
/// http answer nor a sibling subdomain can plant or replace it.
pub const HOST_COOKIE_NAME: &str = "__Host-pressfeed_admin";
const UID: &str = "uid";
const STAMP: &str = "pw";
const SEEN: &str = "seen";
const CSRF: &str = "csrf";

pub fn middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    // The prefix needs Secure (so https) and Path=/; over plain http the
    // cookie keeps to /admin instead.
    let (name, path) = if secure {
        (HOST_COOKIE_NAME, "/")
    } else {
        (COOKIE_NAME, "/admin")
    };
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(name.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_path(path.to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        // The cookie lives as long as the browser; idle expiry is checked
        // on the server against the app's clock.
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// What a request's session says, read once.
#[derive(Debug, Default, Clone)]
pub struct SessionData {
    pub uid: Option<i64>,
    pub stamp: Option<i64>,
    pub seen: Option<i64>,
    pub csrf: Option<String>,
}

impl SessionData {
    pub fn read(s: &Session) -> Self {
        Self {
            uid: s.get(UID).ok().flatten(),
            stamp: s.get(STAMP).ok().flatten(),
            seen: s.get(SEEN).ok().flatten(),
            csrf: s.get(CSRF).ok().flatten(),
        }
    }

    pub fn csrf_matches(&self, submitted: &str) -> bool {
        match &self.csrf {
            Some(token) => !submitted.is_empty() && constant_time_eq(token, submitted),
            None => false,
        }
    }
}

/// The session's CSRF token, made (for an anonymous visitor too) if absent.
pub fn csrf_token(s: &Session) -> String {
    if let Ok(Some(t)) = s.get::<String>(CSRF) {
        return t;
    }
    let t = random_hex(32);
    let _ = s.insert(CSRF, &t);
    t
}

/// Replaces whatever the session held by a fresh anonymous one with a new
/// CSRF token (after an expiry, so the sign-in form works at once).
pub fn restart_anonymous(s: &Session) -> String {
    s.clear();
    s.renew();
    let t = random_hex(32);
    let _ = s.insert(CSRF, &t);
    t
}

/// Signs `admin` in: a new session id, a new CSRF token.
pub fn sign_in(s: &Session, admin: &crate::store::AdminAccount, now: DateTime<Utc>) -> String {
    s.clear();
    s.renew();
    let csrf = random_hex(32);
    let _ = s.insert(UID, admin.id);
    let _ = s.insert(STAMP, admin.password_changed_at.timestamp_millis());
    let _ = s.insert(SEEN, now.timestamp_millis());
    let _ = s.insert(CSRF, &csrf);
    csrf
}

pub fn sign_out(s: &Session) {
    s.purge();
}

/// Records activity, for the idle timeout.
pub fn touch(s: &Session, now: DateTime<Utc>) {
    let _ = s.insert(SEEN, now.timestamp_millis());
}

/// The signed-in admin, or `None` when there is no session, it has been
/// idle too long, or the password changed since it began.
pub async fn current_admin(
    session: &Session,
    data: &SessionData,
    state: &web::Data<AppState>,
    now: DateTime<Utc>,
) -> Result<Option<CurrentAdmin>, AdminError> {
    let (Some(uid), Some(stamp), Some(seen)) = (data.uid, data.stamp, data.seen) else {
        return Ok(None);
    };
    let idle_ms = i64::from(state.settings.session_idle_minutes) * 60_000;
    if now.timestamp_millis() - seen > idle_ms {
        return Ok(None);
    }
    let st = state.clone();
    let account = web::block(move || st.store.admin_by_id(uid)).await??;
    let Some(account) = account.filter(|a| a.password_changed_at.timestamp_millis() == stamp)
    else {
        return Ok(None);
    };
    Ok(Some(CurrentAdmin {
        id: account.id,
        username: account.username,
        csrf: csrf_token(session),
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("session_key must be at least 32 bytes long")]
    TooShort,
    #[error("session key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("session key file {0} does not hold 64 or more hex-encoded bytes")]
    Malformed(PathBuf),
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The key that signs and encrypts session cookies: `session_key` from the
/// settings, else the key file (made on first start, owner-only), so a
/// restart does not sign everyone out.
pub fn load_key(settings: &Settings) -> Result<Key, KeyError> {
    if let Some(secret) = settings.session_key.as_deref().filter(|s| !s.is_empty()) {
        if secret.len() < 32 {
            return Err(KeyError::TooShort);
        }
        return Ok(Key::derive_from(secret.as_bytes()));
    }
    let path = settings.session_key_path();
    let io = |source| KeyError::Io {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => key_from_file(&path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let hex = random_hex(64);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            match opts.open(&path) {
                Ok(mut f) => {
                    use std::io::Write;
                    f.write_all(format!("{hex}\n").as_bytes()).map_err(io)?;
                    tracing::info!(path = %path.display(), "session key created");
                    key_from_file(&path, &hex)
                }
                // Another process made it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).map_err(io)?;
                    key_from_file(&path, &text)
                }
                Err(e) => Err(io(e)),
            }
        }
        Err(e) => Err(io(e)),
    }
}

fn key_from_file(path: &Path, text: &str) -> Result<Key, KeyError> {
    match from_hex(text) {
        Some(bytes) if bytes.len() >= 64 => Ok(Key::from(&bytes)),
        _ => Err(KeyError::Malformed(path.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            db: dir.path().join("data/p.db"),
            ..Default::default()
        };
        let a = load_key(&settings).unwrap();
        let b = load_key(&settings).unwrap();
        assert_eq!(a.master(), b.master());
        let path = settings.session_key_path();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "zz").unwrap();
        assert!(load_key(&settings).is_err());
        let short = Settings {
            session_key: Some("short".into()),
            ..settings
        };
        assert!(matches!(load_key(&short), Err(KeyError::TooShort)));
    }
}
