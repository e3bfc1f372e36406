//! `POST /websub`: a subscription request (W3C WebSub §5.1), checked here
//! and answered 202; intent is verified afterwards (`verify.rs`).

use super::callback::{Callback, CallbackError};
use super::topic::{FeedTopic, TopicError};
use super::{Hub, verify};
use crate::http::AppState;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use std::sync::Arc;

/// A subscription request is a few short fields.
pub const MAX_BODY: usize = 8 * 1024;
/// `hub.secret` must be shorter than 200 bytes (§5.1).
pub const MAX_SECRET: usize = 199;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Subscribe,
    Unsubscribe,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// A request that passed every check, ready for intent verification.
#[derive(Debug, Clone)]
pub struct Request {
    pub mode: Mode,
    pub topic: FeedTopic,
    pub callback: Callback,
    pub lease_seconds: i64,
    pub secret: Option<String>,
}

/// Why a request is refused; each says so to the subscriber.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("send the request as application/x-www-form-urlencoded")]
    ContentType,
    #[error("the request body is not form data: {0}")]
    Form(String),
    #[error("{0} is given more than once")]
    Repeated(String),
    #[error("hub.mode must be subscribe or unsubscribe")]
    Mode,
    #[error(transparent)]
    Topic(#[from] TopicError),
    #[error(transparent)]
    Callback(#[from] CallbackError),
    #[error("hub.lease_seconds must be a whole number of seconds")]
    Lease,
    #[error("hub.secret must be shorter than 200 bytes")]
    Secret,
    #[error("this hub holds its limit of {0} subscriptions; try again later")]
    Full(i64),
    #[error("this feed has its limit of {0} subscribers; try again later")]
    TopicFull(i64),
    #[error("a verification for this callback is already in progress; try again when it ends")]
    Verifying,
    #[error("the hub is briefly unavailable; try again")]
    Unavailable,
}

impl ResponseError for SubscribeError {
    fn status_code(&self) -> StatusCode {
        match self {
            SubscribeError::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SubscribeError::Callback(CallbackError::Private(_)) => StatusCode::FORBIDDEN,
            SubscribeError::Full(_) | SubscribeError::TopicFull(_) | SubscribeError::Verifying => {
                StatusCode::TOO_MANY_REQUESTS
            }
            SubscribeError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header(ContentType::plaintext())
            .insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status_code() == StatusCode::TOO_MANY_REQUESTS {
            res.insert_header((header::RETRY_AFTER, "60"));
        }
        res.body(format!("{self}\n"))
    }
}

/// Reads the form fields; each at most once.
fn fields(body: &[u8]) -> Result<std::collections::HashMap<String, String>, SubscribeError> {
    let text = std::str::from_utf8(body).map_err(|_| SubscribeError::Form("not UTF-8".into()))?;
    let mut out = std::collections::HashMap::new();
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        if k.starts_with("hub.") && out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(SubscribeError::Repeated(k.into_owned()));
        }
    }
    Ok(out)
}

impl Request {
    /// Checks everything that needs no network or database.
    pub fn parse(body: &[u8], hub: &Hub) -> Result<Self, SubscribeError> {
        let f = fields(body)?;
        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
        let mode = match get("hub.mode") {
            "subscribe" => Mode::Subscribe,
            "unsubscribe" => Mode::Unsubscribe,
            _ => return Err(SubscribeError::Mode),
        };
        let s = hub.settings();
        let topic = FeedTopic::parse(get("hub.topic"), &s.base_url)?;
        let callback = Callback::parse(get("hub.callback"), s.allow_private)?;
        // The hub decides the lease (§5.1): a request outside the bounds
        // gets the nearest bound, and verification says which.
        let lease_seconds = match f.get("hub.lease_seconds").map(|v| v.trim()) {
            None | Some("") => s.lease_default,
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| SubscribeError::Lease)?
                .clamp(s.lease_min, s.lease_max),
        };
        let secret = match f.get("hub.secret") {
            None => None,
            Some(v) if v.len() > MAX_SECRET => return Err(SubscribeError::Secret),
            Some(v) if v.is_empty() => None,
            Some(v) => Some(v.clone()),
        };
        Ok(Self {
            mode,
            topic,
            callback,
            lease_seconds,
            secret,
        })
    }
}

pub async fn post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
) -> Result<HttpResponse, SubscribeError> {
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return Err(SubscribeError::ContentType);
    }
    let hub: Arc<Hub> = hub.into_inner();
    let request = Request::parse(&body, &hub)?;
    request
        .callback
        .check_resolves(hub.settings().allow_private)
        .await?;
    // The topic must exist now (a topic slug nobody created is a typo).
    let exists = crate::http::feeds::document(&state, request.topic.key.clone())
        .await
        .map_err(|_| SubscribeError::Unavailable)?
        .is_some();
    if !exists {
        return Err(TopicError::Unknown.into());
    }
    if request.mode == Mode::Subscribe {
        let st = Arc::clone(&hub);
        let r = request.clone();
        let now = state.clock.now();
        web::block(move || verify::check_caps(&st, &r, now))
            .await
            .map_err(|_| SubscribeError::Unavailable)?
            .inspect_err(|e| {
                if matches!(e, SubscribeError::Full(_) | SubscribeError::TopicFull(_)) {
                    verify::deny_later(&hub, &request, &e.to_string());
                }
            })?;
    }
    let what = request.mode.as_str();
    verify::begin(state, hub, request).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(ContentType::plaintext())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "Accepted: the hub will confirm this {what} request with a GET to your callback (hub.challenge).\n"
        )))
}
