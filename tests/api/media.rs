//! Attachments: `POST /api/v1/media` and `GET /media/{sha256}/{filename}`
//! (README "Attachments").

use crate::helpers::{TestApp, header, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::io::Write;
use tokio::io::AsyncWriteExt;

/// A token stored as `create-token` stores it (without a process per test).
pub fn token(app: &TestApp) -> String {
    let token = pressfeed::authentication::new_token();
    let digest = pressfeed::authentication::token_digest(&token);
    app.store()
        .create_token("media-test", &digest, None, app.clock.now())
        .unwrap();
    token
}

/// One part of a multipart body: field name, file name, Content-Type, bytes.
pub type Part<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [u8]);

const BOUNDARY: &str = "----pressfeed-test-boundary-7d1f";

pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, ctype, bytes) in parts {
        write!(
            body,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\""
        )
        .unwrap();
        if let Some(f) = filename {
            write!(body, "; filename=\"{f}\"").unwrap();
        }
        body.extend_from_slice(b"\r\n");
        if let Some(t) = ctype {
            write!(body, "Content-Type: {t}\r\n").unwrap();
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{BOUNDARY}--\r\n").unwrap();
    body
}

pub async fn upload(app: &TestApp, token: &str, parts: &[Part<'_>]) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/media"))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(parts))
        .send()
        .await
        .unwrap()
}

/// A small PDF without script, padded to `len` bytes with a comment.
pub fn pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%".to_vec();
    while v.len() + 6 < len {
        v.push(b'x');
    }
    v.extend_from_slice(b"\n%%EOF");
    v
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A whole grey PNG of `w`×`h` (RGB, 8 bits) up to 4 megapixels; beyond,
/// one whose header says `w`×`h` with one grey row of pixel data (a bomb
/// must be refused by its header, before anything is decoded).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    if u64::from(w) * u64::from(h) <= 4_000_000 {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        return out.into_inner();
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&[0, 128, 128, 128]).unwrap();
    png_chunk(&mut out, b"IDAT", &z.finish().unwrap());
    png_chunk(&mut out, b"IEND", &[]);
    out
}

pub fn media_files(app: &TestApp) -> Vec<String> {
    let mut dir = app.db_path.as_os_str().to_owned();
    dir.push("-media");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn json(res: reqwest::Response) -> Value {
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_uploaded_pdf_is_served_with_its_type_hash_ranges_and_head() {
    let app = spawn_app().await;
    let token = token(&app);
    let bytes = pdf(5000);
    let res = upload(
        &app,
        &token,
        &[
            (
                "file",
                Some("Annual report 2026.pdf"),
                Some("application/pdf"),
                &bytes,
            ),
            ("caption", None, None, b"The annual report"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let body = json(res).await;
    let sha = body["sha256"].as_str().unwrap().to_owned();
    assert_eq!(sha.len(), 64);
    assert_eq!(body["type"], "application/pdf");
    assert_eq!(body["length"], 5000);
    let url = body["url"].as_str().unwrap();
    let path = url.strip_prefix("http://press.test").unwrap();
    assert_eq!(path, format!("/media/{sha}/Annual-report-2026.pdf"));
    let res = put_release(
        &app,
        &token,
        with_attachments("r", 1, json!([{"sha256": sha}])),
    )
    .await;
    assert!(res.status().is_success());

    let res = app.get(path).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(header(&h, "content-type"), "application/pdf");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(header(&h, "etag"), format!("\"{sha}\""));
    assert_eq!(
        header(&h, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(header(&h, "content-disposition").starts_with("inline"));
    assert_eq!(header(&h, "accept-ranges"), "bytes");
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());

    let res = app.get_with(path, &[("range", "bytes=100-199")]).await;
    assert_eq!(res.status(), 206);
    assert_eq!(header(res.headers(), "content-range"), "bytes 100-199/5000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[100..200]);

    let res = app.client.head(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "content-length"), "5000");
    assert_eq!(header(res.headers(), "etag"), format!("\"{sha}\""));
    assert!(res.bytes().await.unwrap().is_empty());

    let res = app
        .get_with(path, &[("if-none-match", &format!("\"{sha}\""))])
        .await;
    assert_eq!(res.status(), 304);

    // Another hash, or a name we never wrote, is not a file.
    let other = "0".repeat(64);
    assert_eq!(
        app.get(&format!("/media/{other}/x.pdf")).await.status(),
        404
    );
    assert_eq!(
        app.get(&format!("/media/{sha}/..%2Fetc%2Fpasswd"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_same_file_uploaded_at_once_is_stored_once() {
    let app = spawn_app().await;
    let token = token(&app);
    let bytes = pdf(300_000);
    let uploads = (0..6).map(|i| {
        let (app, token, bytes) = (&app, &token, &bytes);
        async move {
            let name = format!("copy-{i}.pdf");
            let res = upload(app, token, &[("file", Some(&name), None, bytes)]).await;
            assert_eq!(res.status(), 201);
            json(res).await["sha256"].as_str().unwrap().to_owned()
        }
    });
    let hashes = futures_util::future::join_all(uploads).await;
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");
    assert_eq!(media_files(&app), vec![hashes[0].clone()]);
}

#[tokio::test]
async fn an_upload_cut_off_halfway_leaves_no_file() {
    let app = spawn_app().await;
    let token = token(&app);
    let body = multipart(&[("file", Some("big.pdf"), None, &pdf(2_000_000))]);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", app.port()))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: press.test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(&body[..body.len() / 2]).await.unwrap();
    conn.flush().await.unwrap();
    // The server has begun writing the temporary file.
    let mut began = false;
    for _ in 0..100 {
        if !media_files(&app).is_empty() {
            began = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(began, "the upload never started");
    drop(conn);
    for _ in 0..200 {
        if media_files(&app).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(media_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_while_it_arrives() {
    let app = spawn_app_with(|s| s.media_max_bytes = 10_000).await;
    let token = token(&app);
    // Within the limit plus multipart's allowance, so the Content-Length
    // does not give it away: the count while receiving does.
    let res = upload(
        &app,
        &token,
        &[("file", Some("big.pdf"), None, &pdf(30_000))],
    )
    .await;
    assert_eq!(res.status(), 413);
    let body = json(res).await;
    assert!(body["error"].as_str().unwrap().contains("10000"), "{body}");
    // Far over: refused from the Content-Length alone.
    let res = upload(
        &app,
        &token,
        &[("file", Some("big.pdf"), None, &pdf(200_000))],
    )
    .await;
    assert_eq!(res.status(), 413);
    assert_eq!(media_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn the_type_comes_from_the_bytes_not_the_name_or_content_type() {
    let app = spawn_app().await;
    let token = token(&app);
    let html = b"<html><script>alert(1)</script></html>";
    let res = upload(
        &app,
        &token,
        &[("file", Some("report.pdf"), Some("application/pdf"), html)],
    )
    .await;
    assert_eq!(res.status(), 415);
    let body = json(res).await;
    assert!(body["error"].as_str().unwrap().contains("PDF"), "{body}");

    // A PNG called .pdf and sent as a PDF is a PNG, with its size known.
    let res = upload(
        &app,
        &token,
        &[
            (
                "file",
                Some("photo.pdf"),
                Some("application/pdf"),
                &png(1, 1),
            ),
            ("alt", None, None, b"A grey dot"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let body = json(res).await;
    assert_eq!(body["type"], "image/png");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(1), Some(1))
    );
    let path = body["url"]
        .as_str()
        .unwrap()
        .replace("http://press.test", "");
    let res = put_release(
        &app,
        &token,
        with_attachments("r", 1, json!([{"sha256": body["sha256"]}])),
    )
    .await;
    assert!(res.status().is_success());
    let res = app.get(&path).await;
    assert_eq!(header(res.headers(), "content-type"), "image/png");

    // Not multipart at all.
    let res = app
        .client
        .post(app.url("/api/v1/media"))
        .bearer_auth(&token)
        .header("content-type", "application/pdf")
        .body(pdf(100))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn pdfs_with_script_and_image_bombs_are_refused() {
    let app = spawn_app().await;
    let token = token(&app);
    for script in [
        &b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj"[..],
        b"%PDF-1.4\n1 0 obj << /OpenAction << /S /J#61vaScript >> >> endobj",
        b"%PDF-1.4\n1 0 obj << /OpenAction << /S /Launch /F (calc.exe) >> >> endobj",
    ] {
        let res = upload(&app, &token, &[("file", Some("doc.pdf"), None, script)]).await;
        assert_eq!(res.status(), 422);
        let body = json(res).await;
        assert_eq!(body["errors"][0]["field"], "file");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("JavaScript"),
            "{body}"
        );
    }
    // 100 000 × 100 000 pixels in a few hundred bytes.
    let res = upload(
        &app,
        &token,
        &[
            ("file", Some("bomb.png"), None, &png(100_000, 100_000)),
            ("alt", None, None, b"x"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = json(res).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("pixels"),
        "{body}"
    );
    assert_eq!(media_files(&app), Vec::<String>::new());
}

#[tokio::test]
async fn file_names_with_separators_or_control_characters_are_refused() {
    let app = spawn_app().await;
    let token = token(&app);
    for name in ["../../etc/passwd.pdf", "a\\\\b.pdf", "a\tb.pdf"] {
        let res = upload(&app, &token, &[("file", Some(name), None, &pdf(100))]).await;
        assert_eq!(res.status(), 422, "{name:?}");
        let body = json(res).await;
        assert_eq!(body["errors"][0]["field"], "file", "{name:?}");
    }
    assert_eq!(media_files(&app), Vec::<String>::new());
}

/// Uploads and returns the answer's JSON (asserting 201).
pub async fn uploaded(app: &TestApp, token: &str, parts: &[Part<'_>]) -> Value {
    let res = upload(app, token, parts).await;
    assert_eq!(res.status(), 201);
    json(res).await
}

pub fn path_of(upload: &Value) -> String {
    upload["url"]
        .as_str()
        .unwrap()
        .replace("http://press.test", "")
}

pub async fn put_release(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    let slug = body["slug"].as_str().unwrap().to_owned();
    app.client
        .put(app.url(&format!("/api/v1/releases/{slug}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub fn with_attachments(slug: &str, hours_ago: i64, attachments: Value) -> Value {
    let mut v = serde_json::to_value(crate::helpers::release(slug, hours_ago, &[])).unwrap();
    v["attachments"] = attachments;
    v
}

#[tokio::test]
async fn releases_name_their_attachments_and_only_visible_ones_are_served() {
    let app = spawn_app().await;
    let token = token(&app);
    let doc = uploaded(
        &app,
        &token,
        &[("file", Some("report.pdf"), None, &pdf(2000))],
    )
    .await;
    let photo = uploaded(
        &app,
        &token,
        &[
            ("file", Some("photo.png"), None, &png(1, 1)),
            ("alt", None, None, b"A grey dot"),
        ],
    )
    .await;
    let bare = uploaded(
        &app,
        &token,
        &[("file", Some("bare.png"), None, &png(2, 1))],
    )
    .await;
    let (doc_sha, photo_sha) = (
        doc["sha256"].as_str().unwrap(),
        photo["sha256"].as_str().unwrap(),
    );
    // Uploaded but used by no release yet: not public.
    assert_eq!(app.get(&path_of(&doc)).await.status(), 404);

    // An unknown hash and an image without alt are field errors.
    let unknown = "ab".repeat(32);
    let res = put_release(
        &app,
        &token,
        with_attachments("a", 1, json!([{"sha256": unknown}])),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body = json(res).await;
    assert_eq!(body["errors"][0]["field"], "attachments", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&unknown)
    );
    let res = put_release(
        &app,
        &token,
        with_attachments("a", 1, json!([{"sha256": bare["sha256"]}])),
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        json(res).await["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("alt")
    );

    let res = put_release(
        &app,
        &token,
        with_attachments(
            "a",
            1,
            json!([
                {"sha256": photo_sha, "caption": "The dot", "lead": true},
                {"sha256": doc_sha, "caption": "Full report"}
            ]),
        ),
    )
    .await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let shown: Value = app
        .client
        .get(app.url("/api/v1/releases/a"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        shown["attachments"],
        json!([
            {"sha256": photo_sha, "caption": "The dot", "alt": "A grey dot", "lead": true},
            {"sha256": doc_sha, "caption": "Full report"}
        ])
    );
    assert_eq!(app.get(&path_of(&doc)).await.status(), 200);
    assert_eq!(app.get(&path_of(&photo)).await.status(), 200);

    // The same PDF on a scheduled release too; then the public one is
    // retracted: the PDF goes, as the release does.
    let scheduled = json!({"sha256": doc_sha});
    let res = put_release(
        &app,
        &token,
        with_attachments("later", -5, json!([scheduled])),
    )
    .await;
    assert!(res.status().is_success());
    let mut retracted = with_attachments("a", 1, shown["attachments"].clone());
    retracted["status"] = json!("retracted");
    let res = put_release(&app, &token, retracted).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    assert_eq!(app.get(&path_of(&doc)).await.status(), 404);
    assert_eq!(app.get(&path_of(&photo)).await.status(), 404);

    // Shared with a public release, it is served again.
    let res = put_release(
        &app,
        &token,
        with_attachments("b", 2, json!([{"sha256": doc_sha}])),
    )
    .await;
    assert!(res.status().is_success());
    assert_eq!(app.get(&path_of(&doc)).await.status(), 200);
}

pub fn set_old(app: &TestApp) {
    let mut dir = app.db_path.as_os_str().to_owned();
    dir.push("-media");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    for e in std::fs::read_dir(dir).unwrap() {
        let f = std::fs::File::options()
            .write(true)
            .open(e.unwrap().path())
            .unwrap();
        f.set_modified(old).unwrap();
    }
}

#[tokio::test]
async fn media_gc_collects_files_no_release_uses_and_dry_run_only_lists_them() {
    let app = spawn_app().await;
    let token = token(&app);
    let used = uploaded(
        &app,
        &token,
        &[("file", Some("used.pdf"), None, &pdf(1000))],
    )
    .await;
    let orphan = uploaded(
        &app,
        &token,
        &[("file", Some("orphan.pdf"), None, &pdf(1001))],
    )
    .await;
    let res = put_release(
        &app,
        &token,
        with_attachments("a", 1, json!([{"sha256": used["sha256"]}])),
    )
    .await;
    assert!(res.status().is_success());
    set_old(&app);
    let orphan_sha = orphan["sha256"].as_str().unwrap().to_owned();
    let used_sha = used["sha256"].as_str().unwrap().to_owned();

    let out = app.run_cli(&["media-gc", "--dry-run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(
        listed.contains(&orphan_sha) && !listed.contains(&used_sha),
        "{listed}"
    );
    assert_eq!(media_files(&app).len(), 2);

    let out = app.run_cli(&["media-gc"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(media_files(&app), vec![used_sha]);
    assert_eq!(app.get(&path_of(&used)).await.status(), 200);
}

#[tokio::test]
async fn a_backup_holds_the_media_and_a_restore_serves_the_same_bytes() {
    let app = spawn_app().await;
    let token = token(&app);
    let bytes = pdf(70_000);
    let doc = uploaded(&app, &token, &[("file", Some("report.pdf"), None, &bytes)]).await;
    let res = put_release(
        &app,
        &token,
        with_attachments("a", 1, json!([{"sha256": doc["sha256"]}])),
    )
    .await;
    assert!(res.status().is_success());

    let restore = tempfile::tempdir().unwrap();
    let backup = restore.path().join("press.db");
    if crate::helpers::test_postgres().is_some() {
        // `pressfeed backup` is SQLite's (tests/api/cli.rs checks that it
        // refuses on PostgreSQL and names pg_dump).
        return;
    }
    let out = app.run_cli(&["backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        restore
            .path()
            .join("press.db-media")
            .join(doc["sha256"].as_str().unwrap())
            .is_file()
    );

    let restored = spawn_app_with(|s| s.db = backup.clone()).await;
    let res = restored.get(&path_of(&doc)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
}

#[tokio::test]
async fn feeds_list_attachments_as_enclosures_and_change_with_them() {
    let app = spawn_app().await;
    let token = token(&app);
    let doc = uploaded(
        &app,
        &token,
        &[("file", Some("report.pdf"), None, &pdf(3000))],
    )
    .await;
    let photo = uploaded(
        &app,
        &token,
        &[
            ("file", Some("depot.png"), None, &png(1, 1)),
            ("alt", None, None, b"The depot"),
        ],
    )
    .await;
    let res = put_release(
        &app,
        &token,
        with_attachments("a", 1, json!([{"sha256": doc["sha256"]}])),
    )
    .await;
    assert!(res.status().is_success());
    let etag_before = header(app.get("/feed.atom").await.headers(), "etag").to_owned();
    let res = put_release(
        &app,
        &token,
        with_attachments(
            "a",
            1,
            json!([
                {"sha256": doc["sha256"], "caption": "Full report"},
                {"sha256": photo["sha256"], "caption": "The new depot", "lead": true}
            ]),
        ),
    )
    .await;
    assert!(res.status().is_success());
    let res = app.get("/feed.atom").await;
    assert_ne!(
        header(res.headers(), "etag"),
        etag_before,
        "validators change"
    );

    let (doc_url, photo_url) = (doc["url"].as_str().unwrap(), photo["url"].as_str().unwrap());
    // Atom: one enclosure link each.
    let atom = atom_syndication::Feed::read_from(&res.bytes().await.unwrap()[..]).unwrap();
    let links: Vec<_> = atom.entries()[0]
        .links()
        .iter()
        .filter(|l| l.rel() == "enclosure")
        .map(|l| {
            (
                l.href().to_owned(),
                l.mime_type().map(str::to_owned),
                l.length().map(str::to_owned),
                l.title().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        links,
        vec![
            (
                doc_url.to_owned(),
                Some("application/pdf".into()),
                Some("3000".into()),
                Some("Full report".into())
            ),
            (
                photo_url.to_owned(),
                Some("image/png".into()),
                Some(photo["length"].to_string()),
                Some("The new depot".into())
            ),
        ]
    );
    // RSS: the lead image is the enclosure; Media RSS lists both.
    let text = app.text("/feed.rss").await;
    let rss = rss::Channel::read_from(text.as_bytes()).unwrap();
    let enclosure = rss.items()[0].enclosure().unwrap();
    assert_eq!(enclosure.url(), photo_url);
    assert_eq!(enclosure.mime_type(), "image/png");
    assert_eq!(enclosure.length(), photo["length"].to_string());
    assert_eq!(text.matches("<media:content ").count(), 2, "{text}");
    assert!(text.contains("xmlns:media=\"http://search.yahoo.com/mrss/\""));
    // JSON Feed: attachments and the image.
    let feed: Value = app.get("/feed.json").await.json().await.unwrap();
    let item = &feed["items"][0];
    assert_eq!(item["image"], photo_url);
    assert_eq!(item["attachments"][0]["url"], doc_url);
    assert_eq!(item["attachments"][0]["mime_type"], "application/pdf");
    assert_eq!(item["attachments"][0]["size_in_bytes"], 3000);
    assert_eq!(item["attachments"][1]["title"], "The new depot");
}
