//! The one response builder every feed and the OPML go through: content
//! negotiation between precompressed variants, validators, and conditional
//! GET per RFC 9110 §13 (If-None-Match first, If-Modified-Since only when
//! it is absent), with Vary and Cache-Control on every answer, 304 included.
//!
//! `Last-Modified` is a whole second that can be up to a second after the
//! change it stands for (see `store/scopes.rs`: two versions never share
//! one). It is sent once that second has come, never before: it must not be
//! later than `Date`. Meanwhile If-Modified-Since is still judged against
//! it and the ETag validates as always.

use super::freshness::Freshness;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

/// What a conditional GET of a document is judged by: every variant's
/// strong ETag and the Last-Modified. Kept by the cache after the body is
/// evicted, so a 304 never needs a render.
#[derive(Debug)]
pub struct Validators {
    pub content_type: &'static str,
    /// Whole seconds, as HTTP dates carry no more; may be after the render.
    pub last_modified: DateTime<Utc>,
    last_modified_header: HeaderValue,
    /// Whether an answer carried `last_modified` (see [`Validators::follow`]).
    last_modified_sent: AtomicBool,
    /// When the content changes by itself (a scheduled release becomes
    /// visible): the cached copy ends then, and caches are told so.
    pub next_change: Option<DateTime<Utc>>,
    etags: [HeaderValue; 3],
}

/// A finished document: its validators, the identity body made at render
/// time and each compressed body made once, the first time a client asks
/// for it in full. Every variant has its own strong ETag from the start, so
/// a 304 never waits for compression.
#[derive(Debug)]
pub struct Representation {
    meta: Arc<Validators>,
    identity: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

fn http_date(t: DateTime<Utc>) -> HeaderValue {
    let secs = t.timestamp().max(0) as u64;
    let st = UNIX_EPOCH + Duration::from_secs(secs);
    let s = header::HttpDate::from(st).to_string();
    HeaderValue::from_str(&s)
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// The `Date` header for `t`, formatted once per second per thread.
/// Sent by us rather than actix's cached clock, which lags by up to half a
/// second: Last-Modified is sent when the clock we judge it by has reached
/// it, and Date must not then be earlier.
fn date_header(t: DateTime<Utc>) -> HeaderValue {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, HeaderValue)> =
            const { std::cell::RefCell::new((i64::MIN, HeaderValue::from_static(""))) };
    }
    let secs = t.timestamp();
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        if last.0 != secs {
            *last = (secs, http_date(t));
        }
        last.1.clone()
    })
}

fn etag(hash: u64, suffix: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{hash:016x}{suffix}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

impl Validators {
    pub fn etag(&self, enc: Encoding) -> &HeaderValue {
        &self.etags[enc as usize]
    }

    /// Makes this document, which replaces `previous` in the cache, keep a
    /// Last-Modified later than the one `previous` was sent with. The
    /// stored stamps give that already, unless a write committed after a
    /// request had read the time it judged `previous` against (a long
    /// import, or one that waited for the lock, crossing into the second
    /// its write-time reasoning took as not yet sent).
    /// The same bytes again keep the later of the two.
    pub fn follow(&mut self, previous: &Validators) {
        let at_least = if previous.etags[0] == self.etags[0] {
            previous.last_modified
        } else if previous.last_modified_sent.load(Ordering::Relaxed) {
            previous.last_modified + chrono::Duration::seconds(1)
        } else {
            return;
        };
        if self.last_modified < at_least {
            self.last_modified = at_least;
            self.last_modified_header = http_date(at_least);
        }
    }

    fn not_modified(&self, headers: &HeaderMap, enc: Encoding) -> bool {
        match headers.get(header::IF_NONE_MATCH) {
            Some(inm) => inm
                .to_str()
                .is_ok_and(|v| etag_list_matches(v, self.etag(enc))),
            None => headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
                .is_some_and(|since| self.last_modified <= since),
        }
    }

    /// Whether `req` gets a 304 from these validators (no body needed).
    pub fn answers_not_modified(&self, req: &HttpRequest) -> bool {
        self.not_modified(req.headers(), negotiate(req.headers()))
    }

    /// The status line and headers of an answer at `now`: 304 when `req`'s
    /// validators match, else 200 still without its body.
    fn head(
        &self,
        req: &HttpRequest,
        freshness: &Freshness,
        now: DateTime<Utc>,
    ) -> (HttpResponseBuilder, Encoding, bool) {
        let headers = req.headers();
        let enc = negotiate(headers);
        let not_modified = self.not_modified(headers, enc);
        let mut res = HttpResponse::build(if not_modified {
            StatusCode::NOT_MODIFIED
        } else {
            StatusCode::OK
        });
        res.insert_header((header::ETAG, self.etag(enc).clone()))
            .insert_header((
                header::CACHE_CONTROL,
                freshness.header(self.next_change, now),
            ))
            .insert_header((header::VARY, HeaderValue::from_static("Accept-Encoding")))
            .insert_header((header::DATE, date_header(now)));
        if self.last_modified <= now {
            res.insert_header((header::LAST_MODIFIED, self.last_modified_header.clone()));
            // Read first: a store on every answer would bounce the cache
            // line between the workers.
            if !self.last_modified_sent.load(Ordering::Relaxed) {
                self.last_modified_sent.store(true, Ordering::Relaxed);
            }
        }
        (res, enc, not_modified)
    }

    /// The 304 answer to `req` at `now`, or `None` when it needs the body.
    pub fn respond_not_modified(
        &self,
        req: &HttpRequest,
        freshness: &Freshness,
        now: DateTime<Utc>,
    ) -> Option<HttpResponse> {
        if !self.answers_not_modified(req) {
            return None;
        }
        Some(self.head(req, freshness, now).0.finish())
    }
}

/// A document's validators are read through it (`rep.etag(..)`,
/// `rep.next_change`), as when they were its own fields.
impl std::ops::Deref for Representation {
    type Target = Validators;

    fn deref(&self) -> &Validators {
        &self.meta
    }
}

/// `body` as `Bytes` holding only its length. `Bytes::from(Vec)` keeps the
/// vector's whole allocation: a topic feed rendered into the renderer's
/// estimate (4 KiB an item) held 2.6 times its length, a gzip copy into a
/// third of the identity's up to 8 times its own, so the cache, which counts
/// lengths, held well over its `cache_bytes` in memory (peak RSS over 200 MB
/// with the 64 MiB default at 10,000 topics, issue 17). Shrinking in place
/// gives the tail back without copying the body.
fn exact(mut body: Vec<u8>) -> Bytes {
    body.shrink_to_fit();
    Bytes::from(body)
}

impl Representation {
    /// Hashes once; compression waits until a client wants that encoding.
    /// `last_modified` is truncated to its second.
    pub fn new(
        content_type: &'static str,
        body: Vec<u8>,
        last_modified: DateTime<Utc>,
        next_change: Option<DateTime<Utc>>,
    ) -> Self {
        let hash = xxhash_rust::xxh3::xxh3_64(&body);
        let last_modified =
            DateTime::from_timestamp(last_modified.timestamp(), 0).unwrap_or_default();
        Self {
            meta: Arc::new(Validators {
                content_type,
                last_modified,
                last_modified_header: http_date(last_modified),
                last_modified_sent: AtomicBool::new(false),
                next_change,
                etags: [etag(hash, ""), etag(hash, "-gz"), etag(hash, "-br")],
            }),
            identity: exact(body),
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The document `meta` describes, from its identity body kept
    /// elsewhere (the cache directory): its variants are made from it.
    pub fn from_identity(meta: Arc<Validators>, identity: Bytes) -> Self {
        Self {
            meta,
            identity,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    pub fn validators(&self) -> &Arc<Validators> {
        &self.meta
    }

    /// See [`Validators::follow`]; before the document is shared.
    pub fn follow(&mut self, previous: &Validators) {
        if let Some(meta) = Arc::get_mut(&mut self.meta) {
            meta.follow(previous);
        }
    }

    /// The body in `enc`, compressing it now if this is the first time.
    /// Compression takes milliseconds: call it off the async threads
    /// (see [`Representation::pending_body`]).
    pub fn body(&self, enc: Encoding) -> &Bytes {
        match enc {
            Encoding::Identity => &self.identity,
            Encoding::Gzip => self.gzip.get_or_init(|| {
                let mut out = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.identity.len() / 3),
                    flate2::Compression::default(),
                );
                // Writing to a Vec cannot fail.
                let _ = out.write_all(&self.identity);
                exact(out.finish().unwrap_or_default())
            }),
            Encoding::Brotli => self.brotli.get_or_init(|| {
                let mut out = Vec::with_capacity(self.identity.len() / 4);
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 9,
                    lgwin: 22,
                    ..Default::default()
                };
                let _ = brotli::BrotliCompress(&mut &self.identity[..], &mut out, &params);
                exact(out)
            }),
        }
    }

    /// The encoding whose body `req` will need and that is not made yet.
    pub fn pending_body(&self, req: &HttpRequest) -> Option<Encoding> {
        let enc = negotiate(req.headers());
        let ready = match enc {
            Encoding::Identity => true,
            Encoding::Gzip => self.gzip.get().is_some(),
            Encoding::Brotli => self.brotli.get().is_some(),
        };
        (!ready && !self.meta.not_modified(req.headers(), enc)).then_some(enc)
    }

    /// Memory the document's bodies take now: the identity and each
    /// compressed variant made so far (the cache counts it again when a
    /// variant is added).
    pub fn size(&self) -> usize {
        self.identity.len()
            + self.gzip.get().map_or(0, Bytes::len)
            + self.brotli.get().map_or(0, Bytes::len)
    }

    /// Answers `req` (GET or HEAD) at `now` with 200 or 304.
    pub fn respond(
        &self,
        req: &HttpRequest,
        freshness: &Freshness,
        now: DateTime<Utc>,
    ) -> HttpResponse {
        self.meta
            .respond_with(req, freshness, now, |enc| self.body(enc).clone())
    }
}

impl Validators {
    /// Answers `req` (GET or HEAD) at `now` with 200 or 304, the body of
    /// the negotiated encoding from `body` (not called for a 304).
    pub fn respond_with(
        &self,
        req: &HttpRequest,
        freshness: &Freshness,
        now: DateTime<Utc>,
        body: impl FnOnce(Encoding) -> Bytes,
    ) -> HttpResponse {
        let (mut res, enc, not_modified) = self.head(req, freshness, now);
        if not_modified {
            return res.finish();
        }
        res.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        ));
        match enc {
            Encoding::Identity => {}
            Encoding::Gzip => {
                res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            }
            Encoding::Brotli => {
                res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("br")));
            }
        }
        res.body(body(enc))
    }
}

/// Picks the best stored encoding the client accepts (q > 0): br, then gzip.
pub fn negotiate(headers: &HeaderMap) -> Encoding {
    let Some(value) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let mut gzip = false;
    let mut br = false;
    let mut star = None;
    for item in value.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .or_else(|| p.trim().strip_prefix("Q="))
            })
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let ok = q > 0.0;
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = ok,
            "br" => br = ok,
            "*" => star = Some(ok),
            _ => {}
        }
    }
    if br || (star == Some(true) && !value.contains("br")) {
        Encoding::Brotli
    } else if gzip || (star == Some(true) && !value.contains("gzip")) {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// If-None-Match evaluation with weak comparison (RFC 9110 §13.1.2, §8.8.3.2).
pub fn etag_list_matches(header_value: &str, current: &HeaderValue) -> bool {
    let current = opaque(current.to_str().unwrap_or(""));
    let v = header_value.trim();
    if v == "*" {
        return true;
    }
    // Entity-tags cannot contain commas inside quotes except as data;
    // walk quoted strings so `"a,b"` stays one tag.
    let bytes = v.as_bytes();
    let mut i = 0;
    let mut tags = 0;
    while i < bytes.len() && tags < 1000 {
        while i < bytes.len() && (bytes[i] == b',' || bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        if v[i..].starts_with("W/") {
            i += 2;
        }
        if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && bytes[i] != b',' {
                i += 1;
            }
        }
        tags += 1;
        if opaque(&v[start..i]) == current && !current.is_empty() {
            return true;
        }
    }
    false
}

fn opaque(tag: &str) -> &str {
    tag.trim().strip_prefix("W/").unwrap_or(tag.trim())
}

/// Parses an HTTP-date (IMF-fixdate and the two obsolete forms); `None`
/// for anything else, which makes the header ignored as RFC 9110 requires.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    if s.len() > 64 {
        return None;
    }
    let st: SystemTime = s.parse::<header::HttpDate>().ok()?.into();
    let secs = st.duration_since(UNIX_EPOCH).ok()?.as_secs();
    DateTime::from_timestamp(i64::try_from(secs).ok()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &'static str) -> HeaderValue {
        HeaderValue::from_static(s)
    }

    #[test]
    fn weak_comparison_lists_and_star() {
        let cur = tag("\"abc\"");
        assert!(etag_list_matches("\"abc\"", &cur));
        assert!(etag_list_matches("W/\"abc\"", &cur));
        assert!(etag_list_matches("\"x\", W/\"y\" ,\"abc\"", &cur));
        assert!(etag_list_matches("*", &cur));
        assert!(!etag_list_matches("\"abcd\"", &cur));
        assert!(!etag_list_matches("\"ab\"", &cur));
        assert!(!etag_list_matches("", &cur));
        assert!(!etag_list_matches("\"a,bc\"", &cur));
        assert!(etag_list_matches("W/\"abc\"", &tag("W/\"abc\"")));
    }

    #[test]
    fn negotiates_by_quality() {
        let enc = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, tag(v));
            negotiate(&h)
        };
        assert_eq!(enc("gzip"), Encoding::Gzip);
        assert_eq!(enc("gzip, deflate, br"), Encoding::Brotli);
        assert_eq!(enc("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(enc("gzip;q=0"), Encoding::Identity);
        assert_eq!(enc("identity"), Encoding::Identity);
        assert_eq!(enc("*"), Encoding::Brotli);
        assert_eq!(negotiate(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn http_dates_parse_or_are_ignored() {
        assert!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").is_some());
        assert!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT").is_some());
        assert!(parse_http_date("Sun Nov  6 08:49:37 1994").is_some());
        assert!(parse_http_date("yesterday").is_none());
        assert!(parse_http_date("Sun, 06 Nov 99999 08:49:37 GMT").is_none());
    }
}
