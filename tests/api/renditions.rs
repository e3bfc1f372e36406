//! Image renditions, metadata stripping and the newsroom's preview of
//! images not public yet (README "Attachments", *Renditions*).

use crate::admin_support::{sign_in, spawn_newsroom};
use crate::helpers::{TestApp, header, spawn_app};
use crate::media::{
    media_files, path_of, pdf, png, put_release, set_old, token, upload, uploaded, with_attachments,
};
use serde_json::{Value, json};

/// A JPEG of `w`×`h` (a gradient) carrying an EXIF block whose image
/// description names a place, as a phone's photo would carry GPS.
pub fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut plain = std::io::Cursor::new(Vec::new());
    img.write_to(&mut plain, image::ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    // TIFF, big-endian: one IFD entry, ImageDescription (ASCII) pointing
    // at the text after the IFD.
    let text = b"SECRET-PLACE 51.5N\0";
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x0E, 0, 2]);
    tiff.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
    tiff.extend_from_slice(&(8u32 + 2 + 12 + 4).to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(text);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = plain[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(app1.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The `srcset` of the page's lead image: (path, width) of each candidate.
fn srcset(page: &str) -> Vec<(String, u32)> {
    let at = page.find("srcset=\"").expect("a srcset on the page") + 8;
    let end = at + page[at..].find('"').unwrap();
    page[at..end]
        .split(", ")
        .map(|c| {
            let (url, w) = c.rsplit_once(' ').unwrap();
            (
                url.replace("http://press.test", ""),
                w.trim_end_matches('w').parse().unwrap(),
            )
        })
        .collect()
}

async fn bytes(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let res = app.get(path).await;
    let status = res.status().as_u16();
    let ctype = header(res.headers(), "content-type").to_owned();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

/// An image wider than 480 px gets renditions at 480 (and 960) px wide;
/// the page lists them in `srcset`; each is served like the original (its
/// own hash as a strong ETag, immutable), only while the release is
/// public, and carries none of the original's metadata.
#[tokio::test]
async fn renditions_are_listed_served_while_public_and_carry_no_metadata() {
    let app = spawn_app().await;
    let token = token(&app);
    let photo = jpeg_with_exif(1200, 800);
    assert!(contains(&photo, b"SECRET-PLACE"));
    let up = uploaded(
        &app,
        &token,
        &[
            ("file", Some("harbour.jpg"), None, &photo),
            ("alt", None, None, b"The harbour at dawn"),
        ],
    )
    .await;
    let sha = up["sha256"].as_str().unwrap().to_owned();
    // Scheduled: nothing of it is served yet.
    let mut r = with_attachments("harbour", -24, json!([{"sha256": sha, "lead": true}]));
    assert!(
        put_release(&app, &token, r.clone())
            .await
            .status()
            .is_success()
    );
    assert_eq!(app.get(&path_of(&up)).await.status(), 404);

    r["published_at"] = json!("2026-02-28T12:00:00Z");
    assert!(put_release(&app, &token, r).await.status().is_success());
    let page = app.text("/releases/harbour").await;
    let set = srcset(&page);
    let widths: Vec<u32> = set.iter().map(|(_, w)| *w).collect();
    assert_eq!(widths, [480, 960, 1200], "{page}");
    assert_eq!(set[2].0, path_of(&up));
    for (path, width) in &set[..2] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers().clone();
        assert_eq!(header(&h, "content-type"), "image/jpeg");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        assert!(header(&h, "cache-control").contains("immutable"));
        let etag = header(&h, "etag").trim_matches('"').to_owned();
        assert!(path.contains(&etag), "the ETag is the rendition's hash");
        let body = res.bytes().await.unwrap();
        let img = image::load_from_memory(&body).unwrap();
        assert_eq!((img.width(), img.height()), (*width, width * 2 / 3));
        assert!(!contains(&body, b"SECRET-PLACE"), "{path} keeps metadata");
        assert!(!contains(&body, b"Exif"), "{path} keeps an EXIF block");
    }
    // Without the strip asked for, the original is served as uploaded.
    let (status, _, original) = bytes(&app, &path_of(&up)).await;
    assert_eq!(status, 200);
    assert_eq!(original, photo);

    // Retracted: the renditions go with the original.
    let res = app
        .client
        .put(app.url("/api/v1/releases/harbour"))
        .bearer_auth(&token)
        .json(&{
            let mut r = with_attachments("harbour", 1, json!([{"sha256": sha, "lead": true}]));
            r["status"] = json!("retracted");
            r
        })
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    for (path, _) in &set {
        assert!(app.get(path).await.status().is_client_error(), "{path}");
    }
}

/// `strip_metadata=true` removes an image's metadata before it is stored:
/// what is served has the same pixels and none of the EXIF text.
#[tokio::test]
async fn an_original_is_stripped_when_asked_and_kept_whole_otherwise() {
    let app = spawn_app().await;
    let token = token(&app);
    let photo = jpeg_with_exif(300, 200);
    let stripped = uploaded(
        &app,
        &token,
        &[
            ("file", Some("dock.jpg"), None, &photo),
            ("alt", None, None, b"A dock"),
            ("strip_metadata", None, None, b"true"),
        ],
    )
    .await;
    let kept = uploaded(
        &app,
        &token,
        &[
            ("file", Some("dock.jpg"), None, &photo),
            ("alt", None, None, b"A dock"),
        ],
    )
    .await;
    assert_ne!(
        stripped["sha256"], kept["sha256"],
        "stored by the stripped bytes' hash"
    );
    let both = json!([{"sha256": stripped["sha256"]}, {"sha256": kept["sha256"]}]);
    assert!(
        put_release(&app, &token, with_attachments("dock", 1, both))
            .await
            .status()
            .is_success()
    );
    let (_, _, s) = bytes(&app, &path_of(&stripped)).await;
    let (_, _, k) = bytes(&app, &path_of(&kept)).await;
    assert!(!contains(&s, b"SECRET-PLACE") && contains(&k, b"SECRET-PLACE"));
    let (a, b) = (
        image::load_from_memory(&s).unwrap().to_rgb8(),
        image::load_from_memory(&k).unwrap().to_rgb8(),
    );
    assert_eq!(a, b, "stripping keeps every pixel");
    // Anything but true or false is refused, naming the field.
    let res = upload(
        &app,
        &token,
        &[
            ("file", Some("dock.jpg"), None, &photo),
            ("strip_metadata", None, None, b"perhaps"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "strip_metadata");
}

/// The newsroom's preview shows a draft's images from `/admin/media/`,
/// which answers a signed-in admin only; `/media/` still answers 404.
#[tokio::test]
async fn the_newsroom_sees_a_drafts_images_and_the_public_does_not() {
    let app = spawn_newsroom().await;
    let token = token(&app);
    let up = uploaded(
        &app,
        &token,
        &[
            ("file", Some("plan.png"), None, &png(600, 400)),
            ("alt", None, None, b"The plan"),
        ],
    )
    .await;
    let mut r = with_attachments("plan", 1, json!([{"sha256": up["sha256"], "lead": true}]));
    r["status"] = json!("draft");
    assert!(put_release(&app, &token, r).await.status().is_success());
    let public = path_of(&up);
    let newsroom = public.replacen("/media/", "/admin/media/", 1);
    assert_eq!(app.get(&public).await.status(), 404);
    let outsider = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = outsider.get(app.url(&newsroom)).send().await.unwrap();
    assert!(!res.status().is_success(), "{}", res.status());

    sign_in(&app).await;
    let res = app.get(&newsroom).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(res.headers(), "cache-control"), "no-store");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png(600, 400));
    // The rendition too, and the edit form's preview names these URLs.
    let stored = app.store().renditions_of(
        &pressfeed::domain::attachment::Sha256Hex::parse(up["sha256"].as_str().unwrap()).unwrap(),
    );
    let stored = stored.unwrap();
    assert_eq!(stored.len(), 1, "one rendition, 480 px, of a 600 px image");
    assert_eq!(stored[0].width, 480);
    assert_eq!(app.get(&public).await.status(), 404);
}

/// `media-gc` removes an unused image with its renditions, and leaves a
/// used image's renditions alone; `--dry-run` lists both hashes.
#[tokio::test]
async fn media_gc_collects_renditions_with_their_image_only() {
    let app = spawn_app().await;
    let token = token(&app);
    let used = uploaded(
        &app,
        &token,
        &[
            ("file", Some("a.png"), None, &png(700, 100)),
            ("alt", None, None, b"A"),
        ],
    )
    .await;
    let orphan = uploaded(
        &app,
        &token,
        &[
            ("file", Some("b.png"), None, &png(710, 100)),
            ("alt", None, None, b"B"),
        ],
    )
    .await;
    let doc = uploaded(&app, &token, &[("file", Some("c.pdf"), None, &pdf(500))]).await;
    let refs = json!([{"sha256": used["sha256"]}, {"sha256": doc["sha256"]}]);
    assert!(
        put_release(&app, &token, with_attachments("a", 1, refs))
            .await
            .status()
            .is_success()
    );
    let rendition = |v: &Value| {
        let sha =
            pressfeed::domain::attachment::Sha256Hex::parse(v["sha256"].as_str().unwrap()).unwrap();
        app.store().renditions_of(&sha).unwrap()[0]
            .sha256
            .to_string()
    };
    let (used_r, orphan_r) = (rendition(&used), rendition(&orphan));
    assert_eq!(media_files(&app).len(), 5);
    set_old(&app);
    let out = app.run_cli(&["media-gc", "--dry-run"]);
    let listed = String::from_utf8(out.stdout).unwrap();
    let mut want = vec![
        orphan["sha256"].as_str().unwrap().to_owned(),
        orphan_r.clone(),
    ];
    want.sort();
    let mut got: Vec<String> = listed.lines().map(str::to_owned).collect();
    got.sort();
    assert_eq!(got, want);
    assert!(app.run_cli(&["media-gc"]).status.success());
    let mut left = vec![
        used["sha256"].as_str().unwrap().to_owned(),
        used_r,
        doc["sha256"].as_str().unwrap().to_owned(),
    ];
    left.sort();
    assert_eq!(media_files(&app), left);
}

/// `media-renditions` makes the renditions an image uploaded before
/// renditions existed lacks (here: their rows and files removed), and
/// leaves images that have theirs alone.
#[tokio::test]
async fn media_renditions_makes_what_older_uploads_lack() {
    let app = spawn_app().await;
    let token = token(&app);
    let up = uploaded(
        &app,
        &token,
        &[
            ("file", Some("old.png"), None, &png(1000, 500)),
            ("alt", None, None, b"Old"),
        ],
    )
    .await;
    let refs = json!([{"sha256": up["sha256"], "lead": true}]);
    assert!(
        put_release(&app, &token, with_attachments("old", 1, refs))
            .await
            .status()
            .is_success()
    );
    let before = srcset(&app.text("/releases/old").await);
    assert_eq!(before.len(), 3);
    // As an upload of an older version left it: no renditions.
    app.foreign_sql("DELETE FROM media_renditions").await;
    for (path, _) in &before[..2] {
        let sha = path.split('/').nth(2).unwrap();
        let mut file = app.db_path.as_os_str().to_owned();
        file.push(format!("-media/{sha}"));
        std::fs::remove_file(file).unwrap();
    }
    assert!(!app.text("/releases/old").await.contains("srcset"));
    // Stored with the wrong size, as before EXIF orientation was applied:
    // the feeds say so, and a cached copy is made of it.
    app.foreign_sql("UPDATE media SET width = 500, height = 1000")
        .await;
    let rss = app.get("/feed.rss").await;
    let etag = header(rss.headers(), "etag").to_owned();
    assert!(rss.text().await.unwrap().contains("width=\"500\""));

    let out = app.run_cli(&["media-renditions"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("made 2 renditions of 1 images"));
    let after = srcset(&app.text("/releases/old").await);
    assert_eq!(after, before, "the same renditions, by the same hashes");
    for (path, _) in &after {
        assert_eq!(app.get(path).await.status(), 200, "{path}");
    }
    // The corrected size moved the feeds' validators: the old ETag gets
    // the new document.
    let rss = app.get_with("/feed.rss", &[("if-none-match", &etag)]).await;
    assert_eq!(rss.status(), 200, "the cached RSS kept the old size");
    assert!(
        rss.text()
            .await
            .unwrap()
            .contains("width=\"1000\" height=\"500\"")
    );
    // A second run has nothing to do.
    let again = app.run_cli(&["media-renditions"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("made 0 renditions of 0 images"));
}
