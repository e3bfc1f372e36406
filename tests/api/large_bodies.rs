//! Feeds far larger than the socket buffers arrive whole and in order:
//! pipelined requests, a reader that stops reading for a while, HEAD in
//! between, and a compressed variant. (The HTTP layer writes large bodies
//! from their own buffer, not through the connection's write buffer;
//! vendor/actix-http/PATCHED.md.)

use crate::helpers::{TestApp, content_length, release, spawn_app};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A release whose body is about `kib` KiB of distinct paragraphs.
fn long_release(n: usize, kib: usize) -> pressfeed::domain::ReleaseInput {
    let mut r = release(&format!("long-{n:03}"), n as i64, &["big"]);
    r.body_html = (0..kib * 8)
        .map(|i| {
            format!(
                "<p>Release {n}, paragraph {i}: {}.</p>",
                "words ".repeat(17)
            )
        })
        .collect();
    r
}

async fn app_with_big_feeds() -> TestApp {
    let app = spawn_app().await;
    let releases: Vec<_> = (0..50).map(|n| long_release(n, 64)).collect();
    app.save(&releases);
    app
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// Reads one response from `stream`, given what is already buffered;
/// `head_only` for the answer to a HEAD request.
fn read_reply(stream: &mut TcpStream, buf: &mut Vec<u8>, head_only: bool) -> Reply {
    let mut chunk = vec![0u8; 64 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(&mut chunk).expect("reads the head");
        assert!(n > 0, "connection closed before a full head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad head: {:?}", &head[..head.len().min(300)]));
    let length = content_length(&head).expect("Content-Length");
    let body_len = if head_only { 0 } else { length };
    while buf.len() < head_end + body_len {
        let n = stream.read(&mut chunk).expect("reads the body");
        assert!(n > 0, "connection closed inside a body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + body_len].to_vec();
    buf.drain(..head_end + body_len);
    Reply { status, head, body }
}

#[tokio::test]
async fn pipelined_large_feeds_arrive_whole_to_a_reader_that_pauses() {
    let app = app_with_big_feeds().await;
    let atom = app.get("/feed.atom").await.bytes().await.unwrap().to_vec();
    let rss = app
        .get("/topics/big/feed.rss")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(
        atom.len() > 2_000_000 && rss.len() > 2_000_000,
        "feeds larger than the socket buffers: {} and {} bytes",
        atom.len(),
        rss.len()
    );
    let gzip = app
        .get_with("/feed.atom", &[("Accept-Encoding", "gzip")])
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();

    let port = app.port();
    let replies = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let requests = [
            "GET /feed.atom HTTP/1.1\r\nHost: x\r\n\r\n",
            "HEAD /feed.atom HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /topics/big/feed.rss HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /feed.atom HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
            "GET /feed.atom HTTP/1.1\r\nHost: x\r\n\r\n",
        ];
        s.write_all(requests.concat().as_bytes()).unwrap();
        // The server fills the socket buffers and has to wait for us.
        std::thread::sleep(Duration::from_millis(500));
        let mut buf = Vec::new();
        let heads = [false, true, false, false, false];
        heads
            .iter()
            .map(|&head_only| read_reply(&mut s, &mut buf, head_only))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();

    let expected: [&[u8]; 5] = [&atom, &[], &rss, &gzip, &atom];
    for (i, (reply, want)) in replies.iter().zip(expected).enumerate() {
        assert_eq!(reply.status, 200, "reply {i}: {}", reply.head);
        assert!(
            reply.body == want,
            "reply {i}: body differs ({} bytes, want {})",
            reply.body.len(),
            want.len()
        );
    }
    assert!(
        replies[1]
            .head
            .contains(&format!("content-length: {}", atom.len())),
        "HEAD announces the GET's length: {}",
        replies[1].head
    );
    assert!(replies[3].head.contains("content-encoding: gzip"));
}
