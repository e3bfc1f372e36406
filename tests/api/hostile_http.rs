//! Malformed and hostile HTTP, spoken over a raw socket (reqwest refuses to
//! send most of it): every answer is a 4xx (or the stated 200/304), never a
//! 5xx, and nothing hangs. Every socket has read and write timeouts, so each
//! test ends within seconds whatever the server does.

use crate::helpers::{TestApp, release, spawn_app};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long any one exchange may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(5);

/// What came back on the socket.
#[derive(Debug)]
struct Answer {
    /// `None` when the server closed without a status line.
    status: Option<u16>,
    head: String,
    elapsed: Duration,
}

pub(crate) fn connect(port: u16, timeout: Duration) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_read_timeout(Some(timeout)).unwrap();
    s.set_write_timeout(Some(timeout)).unwrap();
    s
}

/// Reads until the response head is complete, the server closes, or the
/// read timeout passes (then the status is whatever arrived, maybe none).
/// The flag tells whether the server closed (or reset) the connection.
pub(crate) fn read_head(s: &mut TcpStream) -> (Option<u16>, String, bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut closed = false;
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 256 * 1024 {
        match s.read(&mut chunk) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let status = head
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok());
    (status, head, closed)
}

/// Sends `request` (best effort: the server may stop reading and answer
/// early) and reads the answer's head.
fn exchange(port: u16, request: &[u8]) -> Answer {
    let t0 = Instant::now();
    let mut s = connect(port, HANG);
    for piece in request.chunks(64 * 1024) {
        if s.write_all(piece).is_err() {
            break;
        }
    }
    let (status, head, _) = read_head(&mut s);
    Answer {
        status,
        head,
        elapsed: t0.elapsed(),
    }
}

/// Runs blocking socket work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("no panic")
}

fn get(path: &str, extra_headers: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: press.test\r\n{extra_headers}Connection: close\r\n\r\n")
        .into_bytes()
}

#[track_caller]
fn assert_client_error(case: &str, a: &Answer) {
    eprintln!("{case:.70}: {:?} in {:?}", a.status, a.elapsed);
    let status = a
        .status
        .unwrap_or_else(|| panic!("{case}: no status line (closed or hung): {:?}", a.head));
    assert!(
        (400..500).contains(&status),
        "{case}: expected 4xx, got {status}\n{}",
        a.head
    );
    assert!(a.elapsed < HANG, "{case}: took {:?}", a.elapsed);
}

#[track_caller]
fn assert_status_in(case: &str, a: &Answer, allowed: &[u16]) {
    eprintln!("{case:.70}: {:?} in {:?}", a.status, a.elapsed);
    let status = a
        .status
        .unwrap_or_else(|| panic!("{case}: no status line (closed or hung): {:?}", a.head));
    assert!(
        allowed.contains(&status),
        "{case}: expected one of {allowed:?}, got {status}\n{}",
        a.head
    );
    assert!(a.elapsed < HANG, "{case}: took {:?}", a.elapsed);
}

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.save(&[
        release("one", 2, &["health"]),
        release("two", 1, &["health"]),
    ]);
    app
}

#[tokio::test]
async fn oversized_headers_get_a_4xx() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let big = "a".repeat(64 * 1024);
        let many: String = (0..2000)
            .map(|i| format!("X-Filler-{i}: {i}\r\n"))
            .collect();
        [
            (
                "one 64 KiB header",
                exchange(port, &get("/feed.rss", &format!("X-Big: {big}\r\n"))),
            ),
            (
                "64 KiB cookie",
                exchange(port, &get("/admin/login", &format!("Cookie: id={big}\r\n"))),
            ),
            ("2000 headers", exchange(port, &get("/", &many))),
            (
                "16 KiB request target",
                exchange(port, &get(&format!("/releases/{}", &big[..16 * 1024]), "")),
            ),
            (
                "64 KiB request target",
                exchange(port, &get(&format!("/releases/{big}"), "")),
            ),
        ]
    })
    .await;
    for (case, a) in &answers {
        assert_client_error(case, a);
    }
}

#[tokio::test]
async fn oversized_bodies_get_a_4xx_on_every_route() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let body = vec![b'a'; 8 * 1024 * 1024];
        let mut out = Vec::new();
        for (method, path, content_type) in [
            ("POST", "/", "text/plain"),
            ("POST", "/feed.rss", "text/plain"),
            ("PUT", "/topics/health/feed.atom", "text/plain"),
            ("POST", "/releases/one", "text/plain"),
            ("POST", "/no/such/page", "text/plain"),
            ("POST", "/admin/login", "application/x-www-form-urlencoded"),
            (
                "POST",
                "/admin/releases/new",
                "application/x-www-form-urlencoded",
            ),
            ("POST", "/api/v1/releases", "application/json"),
            ("PUT", "/api/v1/releases/one", "application/json"),
        ] {
            let mut req = format!(
                "{method} {path} HTTP/1.1\r\nHost: press.test\r\nContent-Type: {content_type}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(&body);
            out.push((format!("{method} {path} with 8 MiB"), exchange(port, &req)));
        }
        // A chunked body that never ends.
        let mut req = b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\n\
            Content-Type: application/x-www-form-urlencoded\r\n\
            Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            .to_vec();
        for _ in 0..1024 {
            req.extend_from_slice(b"2000\r\n");
            req.extend_from_slice(&[b'a'; 0x2000]);
            req.extend_from_slice(b"\r\n");
        }
        out.push((
            "chunked 8 MiB to /admin/login".to_owned(),
            exchange(port, &req),
        ));
        out
    })
    .await;
    for (case, a) in &answers {
        assert_client_error(case, a);
    }
}

#[tokio::test]
async fn bad_percent_encoding_and_non_utf8_paths_get_a_4xx() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let mut out = Vec::new();
        for path in [
            "/releases/%ZZ",
            "/releases/%",
            "/releases/one%",
            "/releases/%C3%28",
            "/releases/%FF%FE",
            "/releases/%00",
            "/topics/%C3%28/feed.rss",
            "/topics/%ZZ/feed.atom",
            "/topics/health/feed.%FF",
            "/topics/%E2%82/feed.json",
            "/topics/%2e%2e/feed.rss",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/feed.rss%00",
        ] {
            out.push((path.to_owned(), exchange(port, &get(path, ""))));
        }
        for raw in [
            &b"/releases/\xff\xfe"[..],
            b"/topics/\xc3\x28/feed.rss",
            b"/\x80",
            b"/releases/caf\xc3\xa9",
        ] {
            let mut req = b"GET ".to_vec();
            req.extend_from_slice(raw);
            req.extend_from_slice(b" HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n\r\n");
            out.push((
                format!("raw bytes {}", String::from_utf8_lossy(raw).escape_debug()),
                exchange(port, &req),
            ));
        }
        out
    })
    .await;
    for (case, a) in &answers {
        assert_client_error(case, a);
    }
}

#[tokio::test]
async fn absurd_if_modified_since_is_ignored() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let mut out = Vec::new();
        let long = "Sun, 06 Nov 1994 08:49:37 GMT".repeat(35);
        for date in [
            "Sun, 06 Nov 99999 08:49:37 GMT",
            "Fri, 31 Dec 99999999999999999999 23:59:59 GMT",
            "Sun, 06 Nov -1994 08:49:37 GMT",
            "-1",
            "-9223372036854775808",
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Mon, 01 Jan 0000 00:00:00 GMT",
            "Sun, 31 Feb 2026 25:61:61 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun Nov  6 08:49:37 99999",
            "",
            &"9".repeat(1000),
            &long[..1000],
        ] {
            for path in ["/feed.rss", "/topics/health/feed.json", "/topics.opml", "/"] {
                let req = get(path, &format!("If-Modified-Since: {date}\r\n"));
                out.push((format!("{path} If-Modified-Since {date:.60?}"), exchange(port, &req)));
            }
        }
        // Not even text: bytes a header value may carry (obs-text).
        let req = b"GET /feed.atom HTTP/1.1\r\nHost: press.test\r\nIf-Modified-Since: \xff\xfe\x80 GMT\r\nConnection: close\r\n\r\n".to_vec();
        out.push(("If-Modified-Since obs-text".to_owned(), exchange(port, &req)));
        out
    })
    .await;
    for (case, a) in &answers {
        assert_status_in(case, a, &[200]);
    }
}

/// The ETag of `path` as served now.
async fn etag_of(app: &TestApp, path: &str) -> String {
    app.get(path)
        .await
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned()
}

/// `n` distinct short entity-tags: `"aaa", "aab", …`.
fn short_tags(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let l = |k: usize| char::from(b'a' + (i / 26usize.pow(k as u32) % 26) as u8);
            format!("\"{}{}{}\"", l(2), l(1), l(0))
        })
        .collect()
}

#[tokio::test]
async fn ten_thousand_etags_are_answered_quickly() {
    let app = seeded().await;
    let etag = etag_of(&app, "/feed.rss").await;
    let port = app.port();
    let answers = blocking(move || {
        // 10,000 tags in 60 KB: within the 64 KiB header limit, so evaluated.
        let short = short_tags(10_000).join(",");
        let short_hit = format!("{etag},{short}");
        let short_last = format!("{short},{etag}");
        let unterminated = format!("{}\"", ",\"".repeat(10_000));
        // 10,000 tags the size real ones are: 190 KB, over the limit.
        let long: Vec<String> = (0..10_000).map(|i| format!("W/\"junk-{i:08}\"")).collect();
        let long = long.join(", ");
        [
            ("10,000 short tags, none matching", short, &[200][..]),
            ("10,000 short tags, the match first", short_hit, &[304][..]),
            // Evaluation stops after 1000 tags: a full answer is the safe side.
            (
                "10,000 short tags, the match last",
                short_last,
                &[200, 304][..],
            ),
            ("10,000 unterminated quotes", unterminated, &[200][..]),
            ("10,000 long tags (190 KB)", long, &[431][..]),
        ]
        .map(|(case, list, want)| {
            let req = get("/feed.rss", &format!("If-None-Match: {list}\r\n"));
            (case, exchange(port, &req), want)
        })
    })
    .await;
    for (case, a, want) in &answers {
        assert_status_in(case, a, want);
        assert!(
            a.elapsed < Duration::from_secs(1),
            "{case}: {:?}",
            a.elapsed
        );
    }
}

#[tokio::test]
async fn a_thousand_etags_are_all_evaluated() {
    let app = seeded().await;
    let etag = etag_of(&app, "/feed.json").await;
    let port = app.port();
    let answers = blocking(move || {
        let junk = short_tags(999).join(", ");
        [
            ("999 tags, none matching", junk.clone(), 200),
            (
                "1000 tags, the match last",
                format!("{junk}, W/{etag}"),
                304,
            ),
        ]
        .map(|(case, list, want)| {
            let req = get("/feed.json", &format!("If-None-Match: {list}\r\n"));
            (case, exchange(port, &req), want)
        })
    })
    .await;
    for (case, a, want) in &answers {
        assert_status_in(case, a, &[*want]);
    }
}

#[tokio::test]
async fn garbage_methods_and_versions_get_a_4xx() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let mut out = Vec::new();
        for request in [
            &b"G\x01T /feed.rss HTTP/1.1\r\nHost: press.test\r\n\r\n"[..],
            b"GETT /feed.rss HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n\r\n",
            b"BREW /feed.rss HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n\r\n",
            b"DELETE /feed.rss HTTP/1.1\r\nHost: press.test\r\nConnection: close\r\n\r\n",
            b"GET /feed.rss HTTP/9.9\r\nHost: press.test\r\n\r\n",
            b"GET /feed.rss HTTP/1.1x\r\nHost: press.test\r\n\r\n",
            b"GET /feed.rss FOO/1.1\r\nHost: press.test\r\n\r\n",
            b"GET /feed.rss\r\nHost: press.test\r\n\r\n",
            b"GET  HTTP/1.1\r\nHost: press.test\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
            b"GET /feed.rss HTTP/1.1\r\nHost press.test\r\n\r\n",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nContent-Length: -1\r\n\r\n",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nIf-Modified-Since: \x01\x02\r\n\r\n",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nX-Bad: a\0b\r\n\r\n",
            b"\r\n\r\nHELLO\r\n\r\n",
        ] {
            let case = String::from_utf8_lossy(&request[..request.len().min(40)]).escape_debug().to_string();
            out.push((case, exchange(port, request)));
        }
        out
    })
    .await;
    for (case, a) in &answers {
        assert_client_error(case, a);
    }
}

/// Reads whatever the server sends until it closes; `false` if it is still
/// open when the read timeout passes.
fn closes(s: &mut TcpStream) -> bool {
    let mut rest = [0u8; 4096];
    loop {
        match s.read(&mut rest) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            // A reset is a disconnect too.
            Err(_) => return true,
        }
    }
}

/// A valid head followed by a body whose framing is broken: actix answers
/// 400 when it can, and otherwise drops the connection at once (it cannot
/// answer once the handler has the request). Either way: no 5xx, no hang.
#[tokio::test]
async fn broken_body_framing_is_refused_or_cut_off() {
    let app = seeded().await;
    let port = app.port();
    let answers = blocking(move || {
        let mut out = Vec::new();
        for request in [
            &b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"[..],
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n",
            b"POST /api/v1/releases HTTP/1.1\r\nHost: press.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\nTransfer-Encoding: gzip, chunked, identity\r\n\r\n0\r\n\r\n",
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            b"POST /api/v1/releases HTTP/1.1\r\nHost: press.test\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            let t0 = Instant::now();
            let mut s = connect(port, HANG);
            let _ = s.write_all(request);
            let (status, head, closed) = read_head(&mut s);
            let closed = closed || closes(&mut s);
            let case = String::from_utf8_lossy(&request[..request.len().min(60)])
                .escape_debug()
                .to_string();
            out.push((case, status, head, closed, t0.elapsed()));
        }
        out
    })
    .await;
    for (case, status, head, closed, elapsed) in &answers {
        eprintln!("{case:.70}: {status:?} in {elapsed:?}, closed: {closed}");
        assert!(status.is_none_or(|s| s < 500), "{case}: {status:?}\n{head}");
        assert!(*closed, "{case}: connection left open");
        assert!(*elapsed < HANG, "{case}: took {elapsed:?}");
    }
}

#[tokio::test]
async fn a_stalled_half_request_is_disconnected() {
    let app = seeded().await;
    let port = app.port();
    // client_request_timeout is 10 s; wait a little longer than that.
    let outcome = blocking(move || {
        let t0 = Instant::now();
        let mut s = connect(port, Duration::from_secs(15));
        s.write_all(b"GET /feed.r")
            .expect("half a request line sent");
        let (status, head, closed) = read_head(&mut s);
        // After the answer (if any) the server must close: EOF, not a wait.
        let closed = closed || closes(&mut s);
        (status, head, closed, t0.elapsed())
    })
    .await;
    let (status, head, closed, elapsed) = outcome;
    eprintln!("stalled half request line: {status:?} after {elapsed:?}, closed: {closed}");
    assert!(
        closed,
        "the server kept a stalled connection open: {head:?}"
    );
    assert!(
        elapsed < Duration::from_secs(14),
        "disconnected only after {elapsed:?}"
    );
    if let Some(status) = status {
        assert!((400..500).contains(&status), "{status}: {head}");
    }
}

/// Sends `request`, then nothing: the server must answer 408 (or just
/// close) and hang up well before `limit`.
fn stall(port: u16, request: &[u8], limit: Duration) -> (Option<u16>, bool, Duration) {
    let t0 = Instant::now();
    let mut s = connect(port, limit);
    s.write_all(request).expect("sent");
    let (status, _head, closed) = read_head(&mut s);
    let closed = closed || closes(&mut s);
    (status, closed, t0.elapsed())
}

#[tokio::test]
async fn stalled_heads_and_bodies_are_disconnected() {
    let app = seeded().await;
    let port = app.port();
    let token = pressfeed::service::create_token(app.store(), "stall", None, app.clock.now())
        .expect("token made");
    let api_stall = format!(
        "PUT /api/v1/releases/one HTTP/1.1\r\nHost: press.test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{{"
    );
    let fixed: [(&str, &[u8]); 5] = [
        (
            "headers never end",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nX-A: 1\r\n",
        ),
        (
            "form body promised, never sent",
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a",
        ),
        (
            "chunked form body stops mid-chunk",
            b"POST /admin/login HTTP/1.1\r\nHost: press.test\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n\
              20\r\nusername=a",
        ),
        (
            "API body promised, never sent",
            b"POST /api/v1/releases HTTP/1.1\r\nHost: press.test\r\n\
              Authorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{",
        ),
        (
            "GET with a body that never comes",
            b"GET /feed.rss HTTP/1.1\r\nHost: press.test\r\nContent-Length: 10\r\n\r\n",
        ),
    ];
    let mut cases: Vec<(&str, Vec<u8>)> = fixed.iter().map(|(c, r)| (*c, r.to_vec())).collect();
    cases.push((
        "API body (authorised) promised, never sent",
        api_stall.into_bytes(),
    ));
    // All at once: each takes the server's 10 s timeout.
    let threads: Vec<_> = cases
        .into_iter()
        .map(|(case, request)| {
            let t = std::thread::spawn(move || stall(port, &request, Duration::from_secs(16)));
            (case, t)
        })
        .collect();
    let outcomes: Vec<_> = blocking(move || {
        threads
            .into_iter()
            .map(|(case, t)| (case, t.join().expect("no panic")))
            .collect()
    })
    .await;
    for (case, (status, closed, elapsed)) in outcomes {
        eprintln!("{case}: {status:?} after {elapsed:?}, closed: {closed}");
        assert!(closed, "{case}: still open after {elapsed:?}");
        assert!(elapsed < Duration::from_secs(15), "{case}: {elapsed:?}");
        if let Some(status) = status {
            assert!(
                (400..500).contains(&status) || status == 200,
                "{case}: {status}"
            );
        }
    }
}
