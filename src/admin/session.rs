//! Sessions: a row on the server per sign-in (`admin_sessions`), named by
//! a random id in a cookie that is signed and encrypted with a key that
//! survives restarts, HttpOnly, SameSite=Strict, Secure under https,
//! limited to `/admin` (under https: `__Host-` and the whole site, as that
//! prefix asks). The cookie holds that id and the CSRF token; the server
//! decides whether the session is still open.

use super::CurrentAdmin;
use super::error::AdminError;
use crate::authentication::{constant_time_eq, random_hex, token_digest};
use crate::config::Settings;
use crate::http::AppState;
use crate::http::blocking;
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
/// The random session id; the server keeps its SHA-256 (`admin_sessions`).
const SID: &str = "sid";
const CSRF: &str = "csrf";
/// On an anonymous session made after a session of this admin lapsed with
/// a release form in flight: the draft on the sign-in page is theirs.
const RESCUE: &str = "rescue";

/// `last_seen_at` is written at most this often: every write invalidates
/// the feed cache, so a busy editor must not cause one per click.
const TOUCH_EVERY_MS: i64 = 60_000;

pub fn middleware(key: Key, secure: bool) -> SessionMiddleware<CookieSessionStore> {
    // The prefix needs Secure (so https) and Path=/; over plain http the
    // cookie keeps to /admin instead.
    let (name, path) = if secure {
        (HOST_COOKIE_NAME, "/")
    } else {
        (COOKIE_NAME, crate::http::routes::ADMIN.prefix)
    };
    SessionMiddleware::builder(CookieSessionStore::default(), key)
        .cookie_name(name.to_owned())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Strict)
        .cookie_path(path.to_owned())
        .cookie_content_security(CookieContentSecurity::Private)
        // The cookie lives as long as the browser; the server decides
        // whether the session it names is still open.
        .session_lifecycle(BrowserSession::default())
        .build()
}

/// What a request's session cookie says, read once.
#[derive(Debug, Default, Clone)]
pub struct SessionData {
    pub sid: Option<String>,
    pub csrf: Option<String>,
    pub rescue: Option<i64>,
}

impl SessionData {
    pub fn read(s: &Session) -> Self {
        Self {
            sid: s.get(SID).ok().flatten(),
            csrf: s.get(CSRF).ok().flatten(),
            rescue: s.get(RESCUE).ok().flatten(),
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

/// Replaces a lapsed session by a fresh anonymous one with a new CSRF
/// token (so the sign-in form works at once); `rescue` marks the draft the
/// sign-in page carries as the lapsed session's admin's own.
pub fn restart_anonymous(s: &Session, rescue: Option<i64>) -> String {
    s.clear();
    s.renew();
    let t = random_hex(32);
    let _ = s.insert(CSRF, &t);
    if let Some(admin) = rescue {
        let _ = s.insert(RESCUE, admin);
    }
    t
}

/// Signs `admin` in: a new session row, a new id, a new CSRF token. The
/// session the cookie named before (if any) ends.
pub async fn sign_in(
    s: &Session,
    state: &web::Data<AppState>,
    admin: &crate::store::AdminAccount,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let before = SessionData::read(s).sid;
    let sid = random_hex(32);
    let (digest, admin_id) = (token_digest(&sid), admin.id);
    blocking(state, move |st| {
        if let Some(old) = before {
            st.store.end_session(&token_digest(&old), now)?;
        }
        st.store.create_session(&digest, admin_id, now)
    })
    .await??;
    s.clear();
    s.renew();
    let csrf = random_hex(32);
    let _ = s.insert(SID, &sid);
    let _ = s.insert(CSRF, &csrf);
    Ok(csrf)
}

/// Ends this session on the server and removes the cookie.
pub async fn sign_out(
    s: &Session,
    state: &web::Data<AppState>,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    if let Some(sid) = SessionData::read(s).sid {
        blocking(state, move |st| {
            st.store.end_session(&token_digest(&sid), now)
        })
        .await??;
    }
    s.purge();
    Ok(())
}

/// Ends every session of `admin_id` (this one included); how many.
pub async fn sign_out_everywhere(
    s: &Session,
    state: &web::Data<AppState>,
    admin_id: i64,
    now: DateTime<Utc>,
) -> Result<usize, AdminError> {
    let n = blocking(state, move |st| st.store.end_sessions_of(admin_id, now)).await??;
    s.purge();
    Ok(n)
}

/// What the server knows about the session a request names.
#[derive(Debug)]
pub enum SessionStatus {
    /// No session id, or one the server never issued.
    Anonymous,
    /// A session of this admin that was ended or ran out: nothing it asks
    /// for is done, but a release form it carried may be kept.
    Lapsed { admin_id: i64 },
    /// Signed in.
    Active(Box<ActiveSession>),
}

#[derive(Debug)]
pub struct ActiveSession {
    pub admin: CurrentAdmin,
    sid_digest: String,
    last_seen: DateTime<Utc>,
}

/// Looks the cookie's session up: open, not idle longer than
/// `session_idle_minutes` (measured from the server's record, so a copied
/// cookie cannot extend it), younger than `session_max_hours`, and its
/// account still there.
pub async fn status(
    data: &SessionData,
    state: &web::Data<AppState>,
    now: DateTime<Utc>,
) -> Result<SessionStatus, AdminError> {
    let (Some(sid), Some(csrf)) = (&data.sid, &data.csrf) else {
        return Ok(SessionStatus::Anonymous);
    };
    let digest = token_digest(sid);
    let d = digest.clone();
    let found = blocking(state, move |st| -> Result<_, crate::store::StoreError> {
        let Some(row) = st.store.session_by_id(&d)? else {
            return Ok(None);
        };
        let account = st.store.admin_by_id(row.admin_id)?;
        Ok(Some((row, account)))
    })
    .await??;
    let Some((row, account)) = found else {
        return Ok(SessionStatus::Anonymous);
    };
    let settings = &state.settings;
    let idle = chrono::Duration::minutes(i64::from(settings.session_idle_minutes));
    let max = chrono::Duration::hours(i64::from(settings.session_max_hours));
    let open =
        row.ended_at.is_none() && now - row.last_seen_at <= idle && now - row.created_at <= max;
    match account {
        Some(account) if open => Ok(SessionStatus::Active(Box::new(ActiveSession {
            admin: CurrentAdmin {
                id: account.id,
                username: account.username,
                csrf: csrf.clone(),
            },
            sid_digest: digest,
            last_seen: row.last_seen_at,
        }))),
        Some(_) => Ok(SessionStatus::Lapsed {
            admin_id: row.admin_id,
        }),
        None => Ok(SessionStatus::Anonymous),
    }
}

/// Records activity, for the idle limit (coarsely; see [`TOUCH_EVERY_MS`]).
pub async fn touch(
    active: &ActiveSession,
    state: &web::Data<AppState>,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    if (now - active.last_seen).num_milliseconds() < TOUCH_EVERY_MS {
        return Ok(());
    }
    let d = active.sid_digest.clone();
    blocking(state, move |st| st.store.touch_session(&d, now)).await??;
    Ok(())
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
