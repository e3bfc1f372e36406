//! Photos and documents in the release form (README "Attachments",
//! "Newsroom"): a plain file input in a multipart form, alt text, caption,
//! order, lead image and removal per file, and refusals that keep every
//! typed word and every file already accepted.

use super::releases::release_fields;
use crate::admin_support::*;
use crate::helpers::TestApp;
use crate::media::{multipart, pdf, png};

const BOUNDARY: &str = "----pressfeed-test-boundary-7d1f";

/// Posts the form as a browser does with a file input: text fields first
/// (the CSRF token leads), then each file in `files`.
pub(super) async fn post_multipart(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> reqwest::Response {
    let mut parts: Vec<crate::media::Part<'_>> = fields
        .iter()
        .map(|(k, v)| (*k, None, None, v.as_bytes()))
        .collect();
    for (name, bytes) in files {
        parts.push((
            "files",
            Some(*name),
            Some("application/octet-stream"),
            *bytes,
        ));
    }
    app.client
        .post(app.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&parts))
        .send()
        .await
        .unwrap()
}

/// The SHA-256s the form lists, in order.
pub(super) fn listed(html: &str) -> Vec<String> {
    hidden_fields(html)
        .into_iter()
        .filter(|(k, _)| k == "attachment")
        .map(|(_, v)| v)
        .collect()
}

fn media_count(app: &TestApp) -> usize {
    app.store().media_hashes().unwrap().len()
}

/// `(sha256, alt, caption, lead)` of a release's attachments, in order.
fn attachments_of(app: &TestApp, id: i64) -> Vec<(String, Option<String>, Option<String>, bool)> {
    app.store()
        .release_by_id(id)
        .unwrap()
        .unwrap()
        .attachments
        .into_iter()
        .map(|a| (a.sha256, a.alt, a.caption, a.lead))
        .collect()
}

#[tokio::test]
async fn two_files_are_added_described_reordered_and_one_removed() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let photo = png(3, 2);
    let report = pdf(5_000);
    let mut fields = release_fields(&csrf, "New depot opens", "Text.", "draft");
    fields.push(("attachments_listed", "1"));

    // An image needs alt text, which a plain file input cannot carry: the
    // form comes back with both files taken, and asks for it.
    let res = post_multipart(
        &app,
        "/admin/releases/new",
        &fields,
        &[("depot.png", &photo), ("Annual report.pdf", &report)],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        unescape(&html).contains("“depot.png” is an image: it needs alt text"),
        "{html}"
    );
    assert_eq!(
        input_value(&html, "title").as_deref(),
        Some("New depot opens")
    );
    let shas = listed(&html);
    assert_eq!(shas.len(), 2, "{html}");
    assert!(html.contains("Annual-report.pdf"));
    assert_eq!(app.store().release_by_id(1).unwrap(), None);

    // Described: saved without sending the files again.
    let (png_sha, pdf_sha) = (shas[0].clone(), shas[1].clone());
    let mut fields = release_fields(&csrf, "New depot opens", "Text.", "publish");
    fields.push(("attachments_listed", "1"));
    let alt = format!("alt.{png_sha}");
    let caption = format!("caption.{pdf_sha}");
    for s in &shas {
        fields.push(("attachment", s));
    }
    fields.push((&alt, "A red-brick depot"));
    fields.push((&caption, "The annual report"));
    let res = post_multipart(&app, "/admin/releases/new", &fields, &[]).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    assert_eq!(
        attachments_of(&app, id),
        [
            (
                png_sha.clone(),
                Some("A red-brick depot".into()),
                None,
                false
            ),
            (
                pdf_sha.clone(),
                None,
                Some("The annual report".into()),
                false
            ),
        ]
    );

    // The edit form lists them; swap the order, make the photo the lead,
    // change its alt text.
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(listed(&edit), shas);
    assert_eq!(
        input_value(&edit, "alt-1").as_deref(),
        Some("A red-brick depot")
    );
    let path = format!("/admin/releases/{id}/edit");
    let (o1, o2) = (format!("order.{png_sha}"), format!("order.{pdf_sha}"));
    let mut fields = release_fields(&csrf, "New depot opens", "Text.", "save");
    fields.extend([
        ("attachments_listed", "1"),
        ("attachment", png_sha.as_str()),
        ("attachment", pdf_sha.as_str()),
        (alt.as_str(), "The new depot at dawn"),
        (caption.as_str(), "The annual report"),
        (o1.as_str(), "2"),
        (o2.as_str(), "1"),
        ("lead", png_sha.as_str()),
    ]);
    let res = post_multipart(&app, &path, &fields, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        attachments_of(&app, id),
        [
            (
                pdf_sha.clone(),
                None,
                Some("The annual report".into()),
                false
            ),
            (
                png_sha.clone(),
                Some("The new depot at dawn".into()),
                None,
                true
            ),
        ]
    );
    let atom = app.text("/feed.atom").await;
    assert!(
        atom.contains(&format!("/media/{png_sha}/depot.png")),
        "{atom}"
    );

    // The page: the lead image above the text with its size and alt text,
    // the PDF under "Downloads" with its type and size.
    let page = app.text("/releases/new-depot-opens").await;
    let img = format!(
        "<figure class=\"lead-image\"><img src=\"/media/{png_sha}/depot.png\" \
         alt=\"The new depot at dawn\" width=\"3\" height=\"2\">"
    );
    assert!(page.contains(&img), "{page}");
    assert!(
        page.contains("<h2 id=\"downloads-heading\">Downloads</h2>"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"/media/{pdf_sha}/Annual-report.pdf\" type=\"application/pdf\">\
             Annual-report.pdf</a> <span class=\"file-info\">(PDF, 5 KB)</span>"
        )),
        "{page}"
    );
    assert!(page.find(&img) < page.find("<div class=\"body\">"));

    // The preview shows the same, in Arabic here.
    let mut fields = release_fields(&csrf, "مستودع جديد", "نص.", "preview");
    fields.retain(|(k, _)| *k != "lang");
    fields.extend([
        ("lang", "ar"),
        ("attachments_listed", "1"),
        ("attachment", pdf_sha.as_str()),
    ]);
    let res = post_multipart(&app, "/admin/releases/new", &fields, &[]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("التنزيلات"), "{html}");
    assert!(html.contains("(PDF, 5 كيلوبايت)"), "{html}");

    // Remove the PDF.
    let mut fields = release_fields(&csrf, "New depot opens", "Text.", "save");
    fields.extend([
        ("attachments_listed", "1"),
        ("attachment", pdf_sha.as_str()),
        ("attachment", png_sha.as_str()),
        (alt.as_str(), "The new depot at dawn"),
        ("lead", png_sha.as_str()),
        ("remove", pdf_sha.as_str()),
    ]);
    let res = post_multipart(&app, &path, &fields, &[]).await;
    assert_eq!(res.status(), 303);
    let left = attachments_of(&app, id);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, png_sha);
    assert!(!app.text("/feed.atom").await.contains(&pdf_sha));
}

#[tokio::test]
async fn refused_files_are_named_and_nothing_typed_or_accepted_is_lost() {
    let app = spawn_newsroom_with(|s| {
        s.media_max_bytes = 20_000;
        s.media_max_pixels = 1_000_000;
    })
    .await;
    let csrf = sign_in(&app).await;
    let good = pdf(3_000);
    let big = pdf(30_000);
    let script =
        b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj";
    let bomb = png(100_000, 100_000);
    let mut fields = release_fields(&csrf, "Keep my words", "Every *word* here.", "publish");
    fields.push(("attachments_listed", "1"));
    fields.push(("new_topics", "Transport"));
    let res = post_multipart(
        &app,
        "/admin/releases/new",
        &fields,
        &[
            ("statement.pdf", &good),
            ("huge.pdf", &big),
            ("notes.txt", b"just text"),
            ("macro.pdf", script),
            ("bomb.png", &bomb),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let text = unescape(&html);
    for (name, why) in [
        ("huge.pdf", "larger than the limit"),
        ("notes.txt", "not one of the accepted types"),
        ("macro.pdf", "JavaScript"),
        ("bomb.png", "pixels"),
    ] {
        assert!(
            text.contains(&format!("“{name}” was not accepted: ")) && text.contains(why),
            "{name}: {text}"
        );
    }
    assert_eq!(
        input_value(&html, "title").as_deref(),
        Some("Keep my words")
    );
    assert_eq!(
        textarea(&html, "body").as_deref(),
        Some("Every *word* here.")
    );
    assert_eq!(
        input_value(&html, "new_topics").as_deref(),
        Some("Transport")
    );
    // The accepted file is listed; only it was stored; nothing was saved.
    let shas = listed(&html);
    assert_eq!(shas.len(), 1);
    assert!(html.contains("statement.pdf"));
    assert_eq!(media_count(&app), 1);
    assert_eq!(app.store().release_by_id(1).unwrap(), None);

    // Sending the form back as it came (no files) publishes it with the PDF.
    let hidden = hidden_fields(&html);
    let mut fields: Vec<(&str, &str)> = hidden
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.extend(
        release_fields(&csrf, "Keep my words", "Every *word* here.", "publish")
            .into_iter()
            .filter(|(k, _)| *k != "csrf"),
    );
    let res = post_multipart(&app, "/admin/releases/new", &fields, &[]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let id = edit_id(&res);
    let atts = attachments_of(&app, id);
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0].0, shas[0]);
}

#[tokio::test]
async fn files_need_the_csrf_token_first_and_a_same_site_origin() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields("wrong-token", "Forged", "Text.", "draft");
    fields.push(("attachments_listed", "1"));
    let res = post_multipart(
        &app,
        "/admin/releases/new",
        &fields,
        &[("a.pdf", &pdf(2_000))],
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(media_count(&app), 0);

    // A file sent before the token is not taken either.
    let body = multipart(&[
        ("files", Some("early.pdf"), None, &pdf(2_100)),
        ("csrf", None, None, csrf.as_bytes()),
        ("title", None, None, b"Early file"),
        ("body", None, None, b"Text."),
        ("organization", None, None, b"Office"),
        ("lang", None, None, b"en"),
        ("action", None, None, b"draft"),
    ]);
    let res = app
        .client
        .post(app.url("/admin/releases/new"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(media_count(&app), 0);

    // A page of another site.
    let res = app
        .client
        .post(app.url("/admin/releases/new"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("origin", "https://evil.example")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(media_count(&app), 0);
}

/// The form's *Remove photo metadata* checkbox strips the images added
/// with it; without it the same photo is stored whole (another hash).
#[tokio::test]
async fn the_strip_checkbox_removes_a_photos_metadata_before_it_is_stored() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let photo = crate::renditions::jpeg_with_exif(200, 100);
    let stored_with = |strip: bool| {
        let mut fields = release_fields(&csrf, "Dock", "Text.", "draft");
        fields.push(("attachments_listed", "1"));
        if strip {
            fields.push(("strip_metadata", "on"));
        }
        fields
    };
    let mut hashes = Vec::new();
    for strip in [true, false] {
        let res = post_multipart(
            &app,
            "/admin/releases/new",
            &stored_with(strip),
            &[("dock.jpg", &photo)],
        )
        .await;
        // No alt text yet: the form comes back holding the file.
        assert_eq!(res.status(), 422);
        let listed = listed(&res.text().await.unwrap());
        assert_eq!(listed.len(), 1);
        let mut path = app.db_path.as_os_str().to_owned();
        path.push(format!("-media/{}", listed[0]));
        let bytes = std::fs::read(path).unwrap();
        let has = bytes.windows(12).any(|w| w == b"SECRET-PLACE");
        assert_eq!(has, !strip, "strip {strip}");
        hashes.push(listed[0].clone());
    }
    assert_ne!(hashes[0], hashes[1]);
}
