//! Limits on what a client may send, in front of every route: request heads
//! over a sane size are refused, a request body that stops arriving ends
//! the request (actix's `client_request_timeout` only covers the head, so a
//! client that promises a body and then sends nothing would otherwise hold
//! its connection, and the handler waiting for it, for ever), and the
//! bodies all connections are sending together may hold at most
//! `body_memory_bytes` of memory (400 clients trickling 2 MiB forms held
//! 1.1 GB before).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::rt::time::{Instant, Sleep, sleep_until};
use actix_web::{HttpMessage, HttpResponse};
use bytes::Bytes;
use futures_util::Stream;
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// Bytes of request bodies taken in by all requests in flight together.
#[derive(Debug)]
pub struct BodyBudget {
    used: AtomicUsize,
    limit: usize,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Self {
        Self {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    /// Bytes held now.
    pub fn in_use(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    fn take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::SeqCst);
    }
}

/// What one request has taken from the [`BodyBudget`]; given back when
/// both the request's body and its middleware are done with it.
struct Reservation {
    budget: Arc<BodyBudget>,
    taken: Cell<usize>,
    refused: Cell<bool>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.give_back(self.taken.get());
    }
}

/// Largest request target accepted; longer ones get 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// Largest total of header field lines accepted; more gets 431. actix
/// itself only refuses a request head over 128 KiB, which lets a single
/// 64 KiB header through; a feed reader sends well under 2 KiB.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// A body that sends nothing for this long is abandoned (408), like a head
/// that takes longer than the server's `client_request_timeout`.
pub const BODY_IDLE: Duration = Duration::from_secs(10);
/// A body still arriving after this long is abandoned too (a client that
/// trickles a byte every few seconds). The largest form, 2 MiB, needs
/// under 300 kbit/s to make it.
pub const BODY_TOTAL: Duration = Duration::from_secs(60);

/// Refuses oversized request heads before any routing or handler runs, and
/// puts a deadline on the request body.
pub async fn limit_requests(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let target = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    let headers = req.headers();
    let refuse = if target > MAX_TARGET_BYTES {
        Some(StatusCode::URI_TOO_LONG)
    } else if header_bytes > MAX_HEADER_BYTES {
        Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
    } else if headers.contains_key(header::TRANSFER_ENCODING)
        && headers.contains_key(header::CONTENT_LENGTH)
    {
        // Both framings at once is how requests are smuggled past a proxy
        // (RFC 9112 §6.1): refuse, and close the connection.
        Some(StatusCode::BAD_REQUEST)
    } else {
        None
    };
    if let Some(status) = refuse {
        // The rest of the request is not read, so the connection ends.
        let res = HttpResponse::build(status).force_close().finish();
        return Ok(req.into_response(res).map_into_right_body());
    }

    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
    if !has_body {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let timed_out = Rc::new(Cell::new(false));
    let to_disk = streams_to_disk(&req);
    let reservation = req
        .app_data::<actix_web::web::Data<super::AppState>>()
        .map(|s| {
            Rc::new(Reservation {
                // An upload is written to a temporary file as it arrives:
                // it takes disk, not memory, so three 25 MiB uploads at
                // once do not starve every form of the memory budget.
                budget: if to_disk {
                    s.upload_budget.clone()
                } else {
                    s.body_budget.clone()
                },
                taken: Cell::new(0),
                refused: Cell::new(false),
            })
        });
    let inner = req.take_payload();
    let mut body = BodyDeadline::new(inner, timed_out.clone());
    body.reservation = reservation.clone();
    req.set_payload(Payload::from(
        Box::pin(body) as Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>
    ));
    let is_api = req.path().starts_with("/api/");
    let mut res = next.call(req).await?;
    if reservation.as_ref().is_some_and(|r| r.refused.get()) {
        // Whatever the handler made of the cut-off body: the server was
        // holding too many bodies at once, so this one was not read.
        let message = "The server is receiving too much at once, so this request was not read. \
             Nothing was changed. Please send it again in a few seconds.";
        let busy = if is_api {
            // API clients parse every answer as JSON, errors included.
            HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({ "error": message }))
        } else {
            super::error::error_page(StatusCode::SERVICE_UNAVAILABLE, message)
        };
        let mut res = res.into_response(busy);
        res.response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        return Ok(res.map_into_right_body());
    }
    if timed_out.get() {
        // Whatever the handler made of the cut-off body, the client was
        // too slow: say so, and do not wait for the rest.
        let head = res.response_mut().head_mut();
        head.status = StatusCode::REQUEST_TIMEOUT;
        head.set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res.map_into_left_body())
}

/// Requests whose bodies go to files in the media folder while they
/// arrive: the upload API, and the release form when it carries files
/// (multipart; its text fields, at most `MAX_FORM_BYTES`, are counted
/// there too).
fn streams_to_disk(req: &ServiceRequest) -> bool {
    if req.method() != actix_web::http::Method::POST {
        return false;
    }
    let path = req.path();
    path == "/api/v1/media"
        || (path.starts_with("/admin/releases/")
            && req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.trim_start()
                        .to_ascii_lowercase()
                        .starts_with("multipart/form-data")
                }))
}

/// A request body that fails with a time-out when it stalls for
/// [`BODY_IDLE`] or is still arriving after [`BODY_TOTAL`], and fails when
/// the next chunk would take the [`BodyBudget`] over its limit.
struct BodyDeadline {
    inner: Payload,
    timer: Pin<Box<Sleep>>,
    end: Instant,
    timed_out: Rc<Cell<bool>>,
    done: bool,
    reservation: Option<Rc<Reservation>>,
}

impl BodyDeadline {
    fn new(inner: Payload, timed_out: Rc<Cell<bool>>) -> Self {
        let now = Instant::now();
        Self {
            inner,
            timer: Box::pin(sleep_until(now + BODY_IDLE)),
            end: now + BODY_TOTAL,
            timed_out,
            done: false,
            reservation: None,
        }
    }
}

impl Stream for BodyDeadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(r) = &this.reservation {
                    if !r.budget.take(chunk.len()) {
                        this.done = true;
                        r.refused.set(true);
                        return Poll::Ready(Some(Err(PayloadError::Overflow)));
                    }
                    r.taken.set(r.taken.get() + chunk.len());
                }
                let next = (Instant::now() + BODY_IDLE).min(this.end);
                this.timer.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                this.done = other.is_none();
                Poll::Ready(other)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    this.timed_out.set(true);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body stopped arriving",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
