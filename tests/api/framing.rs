//! HTTP/1.1 message framing with several requests in one packet (RFC 9112):
//! a HEAD answer has no body whatever follows it, `Connection: close` ends
//! the connection after its own answer, and a request refused for carrying
//! both Content-Length and Transfer-Encoding takes nothing behind it with
//! it. Each case is sent as one write and as several, over a raw socket.
//! (The fixes are in vendor/actix-http; PATCHED.md.)

use crate::helpers::{TestApp, content_length, spawn_app};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One answer cut from the bytes of a connection.
#[derive(Debug)]
struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn closes(&self) -> bool {
        self.head
            .lines()
            .any(|l| l.eq_ignore_ascii_case("connection: close"))
    }
}

/// How the bytes of a case are written.
#[derive(Debug, Clone, Copy)]
enum Writes {
    /// All of it at once: the server reads every request in one go.
    One,
    /// In pieces of `n` bytes with a pause after each, so requests and
    /// their boundaries arrive split over several reads.
    Pieces(usize),
}

/// Sends `bytes`, then reads until the server closes the connection
/// (`closed`) or stays silent for a second. Then cuts what came into
/// answers: `head_only[i]` says the i-th answers a HEAD (no body).
fn converse(port: u16, bytes: &[u8], writes: Writes, head_only: &[bool]) -> (Vec<Answer>, bool) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let pieces: Vec<&[u8]> = match writes {
        Writes::One => vec![bytes],
        Writes::Pieces(n) => bytes.chunks(n).collect(),
    };
    for piece in pieces {
        // The server may close once it has answered; the rest of the
        // pieces then have nowhere to go, which is the point.
        if s.write_all(piece).is_err() {
            break;
        }
        if matches!(writes, Writes::Pieces(_)) {
            std::thread::sleep(Duration::from_millis(30));
            // What has come so far, before a write into a closed
            // connection can make the kernel drop it.
            if read_until(&mut s, &mut got, Duration::from_millis(1)) {
                return (cut_answers(&got, head_only), true);
            }
        }
    }
    let closed = read_until(&mut s, &mut got, Duration::from_secs(1));
    (cut_answers(&got, head_only), closed)
}

/// Reads into `got` until the server closes (true) or is silent for `quiet`.
fn read_until(s: &mut TcpStream, got: &mut Vec<u8>, quiet: Duration) -> bool {
    s.set_read_timeout(Some(quiet)).unwrap();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => return true,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            // A reset after the answers is a close too.
            Err(_) => return true,
        }
    }
}

/// Splits a byte stream into answers by their Content-Length; panics on
/// anything that is not a well-framed answer, such as a body where no
/// body may be.
fn cut_answers(mut bytes: &[u8], head_only: &[bool]) -> Vec<Answer> {
    let mut answers = Vec::new();
    while !bytes.is_empty() {
        let i = answers.len();
        let head_end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 4)
            .unwrap_or_else(|| {
                panic!(
                    "answer {i}: no complete head in {:?}",
                    String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                )
            });
        let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
        let status = head
            .strip_prefix("HTTP/1.")
            .and_then(|rest| rest.get(2..5))
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "answer {i} does not start with a status line: {:?}",
                    &head[..head.len().min(300)]
                )
            });
        let length = content_length(&head).unwrap_or(0);
        let body_len = if head_only.get(i).copied().unwrap_or(false) {
            0
        } else {
            length
        };
        assert!(
            bytes.len() >= head_end + body_len,
            "answer {i}: body cut short"
        );
        answers.push(Answer {
            status,
            head,
            body: bytes[head_end..head_end + body_len].to_vec(),
        });
        bytes = &bytes[head_end + body_len..];
    }
    answers
}

/// Every way a case is sent: at once, and split at several sizes (across
/// and inside request heads and bodies).
const WRITES: [Writes; 4] = [
    Writes::One,
    Writes::Pieces(7),
    Writes::Pieces(40),
    Writes::Pieces(100),
];

#[tokio::test]
async fn a_head_answer_has_no_body_when_a_get_follows_in_the_same_packet() {
    let app = spawn_app().await;
    let port = app.port();
    let healthz = app.get("/healthz").await.bytes().await.unwrap().to_vec();
    for writes in WRITES {
        let (answers, closed) = tokio::task::spawn_blocking(move || {
            let requests = "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n\
                            GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            converse(port, requests.as_bytes(), writes, &[true, false])
        })
        .await
        .unwrap();
        assert_eq!(answers.len(), 2, "{writes:?}: {answers:#?}");
        assert_eq!(answers[0].status, 200, "{writes:?}: {}", answers[0].head);
        assert!(
            answers[0].head.contains("content-type: text/html"),
            "{writes:?}: the HEAD of the home page: {}",
            answers[0].head
        );
        assert_eq!(answers[1].status, 200, "{writes:?}: {}", answers[1].head);
        assert_eq!(answers[1].body, healthz, "{writes:?}: /healthz's own body");
        assert!(closed, "{writes:?}: closed after the `Connection: close`");
    }
}

/// Makes a release through the API: visible afterwards, so a request
/// that must not run is seen to have run.
fn create_release_request(token: &str, slug: &str) -> String {
    let body = serde_json::json!({
        "slug": slug,
        "title": "Smuggled",
        "body_html": "<p>Smuggled.</p>",
        "organization": "Office",
        "lang": "en",
        "published_at": "2026-03-01T11:00:00Z",
        "topics": ["t"],
    })
    .to_string();
    format!(
        "POST /api/v1/releases?create_topics=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn make_token(app: &TestApp) -> String {
    let out = app.run_cli(&["create-token", "framing"]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn exists(app: &TestApp, slug: &str) -> bool {
    let slug = slug.to_owned();
    let store = app.store().clone();
    tokio::task::spawn_blocking(move || store.release_by_slug(&slug).unwrap().is_some())
        .await
        .unwrap()
}

/// The request used behind the others runs when it comes alone: so when it
/// does not run behind them, it is because the server did not take it.
async fn the_hidden_request_works_alone(app: &TestApp, token: &str) {
    let port = app.port();
    let request = create_release_request(token, "alone");
    let (answers, _) = tokio::task::spawn_blocking(move || {
        converse(port, request.as_bytes(), Writes::One, &[false])
    })
    .await
    .unwrap();
    assert_eq!(answers[0].status, 201, "{}", answers[0].head);
    assert!(exists(app, "alone").await);
}

#[tokio::test]
async fn connection_close_ends_the_connection_after_its_own_answer() {
    let app = spawn_app().await;
    let token = make_token(&app);
    the_hidden_request_works_alone(&app, &token).await;
    let port = app.port();
    for (n, writes) in WRITES.into_iter().enumerate() {
        for first in [
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "HEAD /feed.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n",
        ] {
            let slug = format!("after-close-{n}");
            let bytes = format!("{first}{}", create_release_request(&token, &slug));
            let head_only = [first.starts_with("HEAD"), false];
            let (answers, closed) = tokio::task::spawn_blocking(move || {
                converse(port, bytes.as_bytes(), writes, &head_only)
            })
            .await
            .unwrap();
            let case = format!("{writes:?} {:?}", first.lines().next());
            assert_eq!(answers.len(), 1, "{case}: one answer only: {answers:#?}");
            assert_eq!(answers[0].status, 200, "{case}: {}", answers[0].head);
            if first.contains("HTTP/1.1") {
                assert!(
                    answers[0].closes(),
                    "{case}: says it closes: {}",
                    answers[0].head
                );
            }
            assert!(closed, "{case}: the server closed the connection");
            assert!(
                !exists(&app, &slug).await,
                "{case}: the request after `Connection: close` ran"
            );
        }
    }
}

#[tokio::test]
async fn a_request_smuggled_behind_both_framings_does_not_run() {
    let app = spawn_app().await;
    let token = make_token(&app);
    the_hidden_request_works_alone(&app, &token).await;
    let port = app.port();
    for (n, writes) in WRITES.into_iter().enumerate() {
        // A front proxy reading Content-Length sees one request; read by
        // Transfer-Encoding (HTTP/1.1), or by Content-Length with a
        // Transfer-Encoding HTTP/1.0 ignores, a second one follows.
        for (v, refused) in [
            "POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {LEN}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: {LEN}\r\n\r\n0\r\n\r\n",
            "POST /admin/login HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\
             Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n",
        ]
        .into_iter()
        .enumerate()
        {
            let slug = format!("smuggled-{n}-{v}");
            let hidden = create_release_request(&token, &slug);
            // The length a Content-Length reader would use: the whole rest.
            let refused = refused.replace("{LEN}", &(5 + hidden.len()).to_string());
            let bytes = format!("{refused}{hidden}");
            let (answers, closed) =
                tokio::task::spawn_blocking(move || converse(port, bytes.as_bytes(), writes, &[]))
                    .await
                    .unwrap();
            let case = format!("{writes:?} case {v}");
            assert_eq!(answers.len(), 1, "{case}: one answer only: {answers:#?}");
            assert_eq!(answers[0].status, 400, "{case}: {}", answers[0].head);
            assert!(closed, "{case}: the server closed the connection");
            assert!(
                !exists(&app, &slug).await,
                "{case}: the smuggled request ran"
            );
        }
    }
}
