//! Notes to editors and media contacts in the release form (README
//! "Press-release furniture"): stored rows plus blank ones, a refusal that
//! names the row and keeps every typed word and every file already
//! accepted, and a save that keeps them.

use super::attachments::{listed, post_multipart};
use super::releases::release_fields;
use crate::admin_support::*;
use crate::helpers::header;
use crate::media::pdf;

/// Values of every `name="{name}"` input in page order.
fn values(html: &str, name: &str) -> Vec<String> {
    start_tags(html)
        .into_iter()
        .filter(|t| t.name == "input" && t.attr("name") == Some(name))
        .map(|t| t.attr("value").unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn a_bad_contact_is_named_by_row_and_nothing_typed_is_lost() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let page = app.text("/admin/releases/new").await;
    // A new release offers two blank rows.
    assert_eq!(values(&page, "contact_name"), ["", ""]);
    assert!(textarea(&page, "notes_to_editors").is_some());

    let mut fields = release_fields(&csrf, "Bridge reopens", "The bridge reopens.", "publish");
    fields.extend([
        ("attachments_listed", "1"),
        ("furniture_listed", "1"),
        ("notes_to_editors", "Photos *on request*."),
        ("contact_name", "Ada Lovelace"),
        ("contact_role", "Press officer"),
        ("contact_email", "press@works.example"),
        ("contact_phone", "+44 20 7946 0000"),
        ("contact_name", "Night desk"),
        ("contact_role", ""),
        ("contact_email", "night desk at works"),
        ("contact_phone", ""),
    ]);
    let report = pdf(3_000);
    let res = post_multipart(
        &app,
        "/admin/releases/new",
        &fields,
        &[("Bridge report.pdf", &report)],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        unescape(&html).contains(
            "Contact 2: email \"night desk at works\" is not an address like press@example.org"
        ),
        "{html}"
    );
    // Everything typed comes back, plus two blank rows; the file stays.
    assert_eq!(
        values(&html, "contact_name"),
        ["Ada Lovelace", "Night desk", "", ""]
    );
    assert_eq!(
        values(&html, "contact_email"),
        ["press@works.example", "night desk at works", "", ""]
    );
    assert_eq!(
        textarea(&html, "notes_to_editors").as_deref(),
        Some("Photos *on request*.")
    );
    let files = listed(&html);
    assert_eq!(files.len(), 1, "{html}");
    assert_eq!(app.store().release_by_id(1).unwrap(), None);

    // Corrected, the file not sent again: saved, and on the page.
    let mut fields = release_fields(&csrf, "Bridge reopens", "The bridge reopens.", "publish");
    fields.extend([
        ("attachments_listed", "1"),
        ("attachment", files[0].as_str()),
        ("furniture_listed", "1"),
        ("notes_to_editors", "Photos *on request*."),
        ("contact_name", "Ada Lovelace"),
        ("contact_role", "Press officer"),
        ("contact_email", "press@works.example"),
        ("contact_phone", "+44 20 7946 0000"),
        // A blank row in the middle is skipped.
        ("contact_name", ""),
        ("contact_role", ""),
        ("contact_email", ""),
        ("contact_phone", ""),
        ("contact_name", "Night desk"),
        ("contact_role", ""),
        ("contact_email", ""),
        ("contact_phone", "020 7946 0001"),
    ]);
    let res = post_multipart(&app, "/admin/releases/new", &fields, &[]).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let id = edit_id(&res);
    let stored = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(stored.attachments.len(), 1);
    let names: Vec<&str> = stored.media_contacts.iter().map(|c| c.name()).collect();
    assert_eq!(names, ["Ada Lovelace", "Night desk"]);

    // The edit form shows the stored rows and two blank ones.
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(
        values(&edit, "contact_name"),
        ["Ada Lovelace", "Night desk", "", ""]
    );
    assert_eq!(
        values(&edit, "contact_phone"),
        ["+44 20 7946 0000", "020 7946 0001", "", ""]
    );
    assert_eq!(
        textarea(&edit, "notes_to_editors").as_deref(),
        Some("Photos *on request*.")
    );
    let page = app.text(&stored_path(&stored.slug)).await;
    assert!(page.contains("href=\"tel:02079460001\""), "{page}");
    assert!(page.contains("<em>on request</em>"));

    // Emptying every row and the notes removes them.
    let mut fields = release_fields(&csrf, "Bridge reopens", "The bridge reopens.", "save");
    fields.extend([
        ("furniture_listed", "1"),
        ("notes_to_editors", ""),
        ("contact_name", ""),
        ("contact_role", ""),
        ("contact_email", ""),
        ("contact_phone", ""),
    ]);
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let stored = app.store().release_by_id(id).unwrap().unwrap();
    assert!(stored.media_contacts.is_empty() && stored.notes_to_editors.is_none());
}

#[tokio::test]
async fn the_preview_shows_the_furniture_as_readers_will_get_it() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let res = post_form(
        &app,
        "/admin/organizations",
        &[
            ("csrf", &csrf),
            ("organization", "Ministry of Tests"),
            ("about", "We test."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let mut fields = release_fields(&csrf, "Bridge reopens", "The bridge reopens.", "preview");
    fields.extend([
        ("furniture_listed", "1"),
        ("notes_to_editors", "Photos on request."),
        ("contact_name", "Ada Lovelace"),
        ("contact_role", ""),
        ("contact_email", "press@works.example"),
        ("contact_phone", ""),
    ]);
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    let html = res.text().await.unwrap();
    let preview = &html[html.find("id=\"preview\"").expect("a preview")..];
    assert!(preview.contains("#&#160;#&#160;#"), "{preview}");
    assert!(
        preview.find("Notes to editors").unwrap()
            < preview.find("About Ministry of Tests").unwrap()
            && preview.find("We test.").unwrap() < preview.find("Media contacts").unwrap()
            && preview.contains("href=\"mailto:press@works.example\""),
        "{preview}"
    );
}

fn stored_path(slug: &str) -> String {
    format!("/releases/{slug}")
}

/// A release of "Test Office" in topic `water`, with notes and a contact.
fn furnished(slug: &str) -> pressfeed::domain::ReleaseInput {
    pressfeed::domain::ReleaseInput {
        notes_to_editors: Some("Photos on request.".into()),
        media_contacts: vec![pressfeed::domain::MediaContactInput {
            name: "Ada Lovelace".into(),
            email: Some("press@test.example".into()),
            ..Default::default()
        }],
        ..crate::helpers::release(slug, 1, &["water"])
    }
}

#[tokio::test]
async fn an_organisations_boilerplate_follows_the_notes_everywhere_and_moves_validators() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    app.save(&[furnished("pipes")]);
    let feeds = [
        "/feed.atom",
        "/feed.rss",
        "/topics/water/feed.json",
        "/archive/2026/03/feed.atom",
        "/lang/en/feed.rss",
    ];
    let mut etags = Vec::new();
    for path in feeds {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        etags.push(header(res.headers(), "etag").to_owned());
    }
    let page = app.text("/admin/organizations").await;
    assert!(page.contains("Test Office"), "{page}");

    let res = post_form(
        &app,
        "/admin/organizations",
        &[
            ("csrf", &csrf),
            ("organization", "Test Office"),
            ("about", "The *Test Office* runs the tests."),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = app.text("/releases/pipes").await;
    let notes = page.find("Notes to editors").expect("notes");
    let about = page.find("<h2>About Test Office</h2>").expect("about");
    let contacts = page.find("Media contacts").expect("contacts");
    assert!(notes < about && about < contacts, "{page}");
    assert!(page.contains("The <em>Test Office</em> runs the tests."));
    for (path, etag) in feeds.iter().zip(&etags) {
        let res = app.get_with(path, &[("if-none-match", etag)]).await;
        assert_eq!(res.status(), 200, "{path} still answers 304");
        assert!(
            res.text().await.unwrap().contains("About Test Office"),
            "{path}"
        );
    }
    // The newsroom shows it for editing.
    let page = app.text("/admin/organizations").await;
    assert!(page.contains("The *Test Office* runs the tests."), "{page}");

    // Too long: refused, what was typed kept, nothing changed.
    let long = format!("KEEP-ME {}", "x".repeat(20_000));
    let res = post_form(
        &app,
        "/admin/organizations",
        &[
            ("csrf", &csrf),
            ("organization", "Test Office"),
            ("about", &long),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("KEEP-ME") && html.contains("at most 16384"),
        "{html}"
    );
    assert!(app.text("/releases/pipes").await.contains("runs the tests"));

    // Blank removes it.
    let res = post_form(
        &app,
        "/admin/organizations",
        &[
            ("csrf", &csrf),
            ("organization", "Test Office"),
            ("about", " "),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        !app.text("/releases/pipes")
            .await
            .contains("About Test Office")
    );
    assert!(!app.text("/feed.atom").await.contains("About Test Office"));
}
