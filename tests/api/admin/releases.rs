//! The release form end to end: publish, correct, retract, restore,
//! schedule, preview, validation, the list, slugs and inline topics.

use crate::admin_support::*;
use crate::helpers::{header, release};
use chrono::Duration;

pub(super) fn release_fields<'a>(
    csrf: &'a str,
    title: &'a str,
    body: &'a str,
    action: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("summary", "A summary."),
        ("body", body),
        ("organization", "Ministry of Tests"),
        ("department", "Press Office"),
        ("dateline", "Testville"),
        ("lang", "en"),
        ("action", action),
    ]
}

#[tokio::test]
async fn the_form_publishes_corrects_retracts_and_restores() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(
        &csrf,
        "Budget 2026 announced",
        "The **budget** is out.\n\nSecond paragraph.",
        "publish",
    );
    fields.push(("new_topics", "Economy, Public health"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    assert!(header(res.headers(), "location").ends_with("?done=published"));
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.slug, "budget-2026-announced");
    assert_eq!(
        r.body_html,
        "<p>The <strong>budget</strong> is out.</p>\n<p>Second paragraph.</p>\n"
    );
    assert_eq!(r.published_at, app.clock.now());
    for feed in [
        "/feed.atom",
        "/topics/economy/feed.atom",
        "/topics/public-health/feed.atom",
    ] {
        let body = app.text(feed).await;
        assert!(body.contains("Budget 2026 announced"), "{feed}");
    }
    let topic_names: Vec<_> = app
        .store()
        .topics()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(topic_names, ["Economy", "Public health"]);
    let edit = app
        .text(&format!("/admin/releases/{id}/edit?done=published"))
        .await;
    assert!(edit.contains("Published: it is on the site"), "{edit}");
    assert_eq!(
        textarea(&edit, "body").unwrap(),
        "The **budget** is out.\n\nSecond paragraph."
    );

    // A correction an hour later: same id, updated now, note everywhere.
    let feed_before = app.get("/feed.atom").await;
    let lm_before = header(feed_before.headers(), "last-modified").to_owned();
    app.clock.advance(Duration::hours(1));
    let mut fields = release_fields(
        &csrf,
        "Budget 2026 announced",
        "The **budget** is out.\n\nSecond paragraph, corrected.",
        "save",
    );
    fields.extend([
        ("topics", "economy"),
        ("topics", "public-health"),
        ("correction_note", "The second paragraph was wrong."),
    ]);
    fields.push(("slug", "budget-2026-announced"));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    assert!(header(res.headers(), "location").ends_with("?done=corrected"));
    let r2 = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r2.uid, r.uid);
    assert_eq!(r2.published_at, r.published_at);
    assert_eq!(r2.updated_at, app.clock.now());
    let feed = app.get("/feed.atom").await;
    let lm_after = header(feed.headers(), "last-modified").to_owned();
    assert_ne!(lm_before, lm_after);
    let atom = feed.text().await.unwrap();
    assert_eq!(atom.matches(&r.uid).count(), 1, "one entry, same id");
    assert!(atom.contains("The second paragraph was wrong."));
    assert!(
        atom.contains("2026-03-01T13:00:00"),
        "updated time in the feed"
    );
    let page = app.text("/releases/budget-2026-announced").await;
    assert!(page.contains("corrected.") && page.contains("The second paragraph was wrong."));

    // The slug is fixed once published.
    let mut fields = release_fields(&csrf, "Budget 2026 announced", "x", "save");
    fields.push(("slug", "another-address"));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Address cannot change after publication")
    );

    // Retract with a notice: 410 and gone from every feed.
    let confirm = app.text(&format!("/admin/releases/{id}/retract")).await;
    assert!(confirm.contains("Retract “Budget 2026 announced”?"));
    // Said in words a press officer uses, not as an HTTP status.
    assert!(confirm.contains("it leaves every feed"), "{confirm}");
    // (The random CSRF token may hold the digits "410": not counted.)
    let words = confirm.replace(&csrf_of(&confirm), "");
    assert!(!words.contains("410"), "{confirm}");
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/retract"),
        &[("csrf", &csrf), ("retraction_note", "Issued in error.")],
    )
    .await;
    assert_eq!(res.status(), 303);
    // The page it lands on says what happened in the same words.
    let landed = res.headers().get("location").unwrap().to_str().unwrap();
    let after = app.text(landed).await;
    assert!(after.contains("left every feed"), "{after}");
    assert!(after.contains("retraction notice"), "{after}");
    // (Not "410 Gone"; digits alone could be in the random CSRF token.)
    assert!(!after.contains("410 Gone"), "{after}");
    let gone = app.get("/releases/budget-2026-announced").await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("Issued in error."));
    for feed in [
        "/feed.atom",
        "/feed.rss",
        "/feed.json",
        "/topics/economy/feed.atom",
    ] {
        assert!(
            !app.text(feed).await.contains("Budget 2026 announced"),
            "{feed}"
        );
    }
    let list = app.text("/admin?status=retracted").await;
    assert!(list.contains("Budget 2026 announced"));

    // Restore: published again, same id.
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/restore"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get("/releases/budget-2026-announced").await.status(),
        200
    );
    assert_eq!(app.text("/feed.atom").await.matches(&r.uid).count(), 1);
}

#[tokio::test]
async fn validation_errors_keep_everything_typed() {
    let app = spawn_newsroom().await;
    app.save(&[release("taken", 1, &["t"])]);
    let csrf = sign_in(&app).await;
    let body = "Line one.\n\nLine <two> & three — ".repeat(200);
    let mut fields = release_fields(&csrf, "   ", &body, "publish");
    fields.extend([
        ("topics", "t"),
        ("new_topics", "Rule of law"),
        ("slug", "taken"),
    ]);
    fields.retain(|(k, _)| *k != "organization");
    fields.push(("organization", ""));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert_eq!(textarea(&page, "body").as_deref(), Some(body.as_str()));
    assert!(
        page.contains(r#"<p class="error" id="title-error">A title is required</p>"#),
        "{page}"
    );
    assert!(page.contains("An organisation is required"));
    assert_eq!(
        input_value(&page, "new_topics").as_deref(),
        Some("Rule of law")
    );
    assert!(page.contains(r#"value="t" checked"#), "checked topic kept");
    assert_eq!(textarea(&page, "summary").as_deref(), Some("A summary."));
    assert_eq!(app.store().count_releases().unwrap(), 1, "nothing saved");
    // A taken slug is reported next to the slug.
    let fields = {
        let mut f = release_fields(&csrf, "Fine title", "Body", "draft");
        f.push(("slug", "taken"));
        f
    };
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains(
        r#"<p class="error" id="slug-error">&#34;taken&#34; is already used by another release</p>"#
    ));
    // Two releases with the same title get distinct slugs.
    for _ in 0..2 {
        let res = post_form(
            &app,
            "/admin/releases/new",
            &release_fields(&csrf, "Same title", "Body", "draft"),
        )
        .await;
        assert_eq!(res.status(), 303);
    }
    assert!(
        app.store()
            .release_id_by_slug("same-title")
            .unwrap()
            .is_some()
    );
    assert!(
        app.store()
            .release_id_by_slug("same-title-2")
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_scheduled_release_appears_when_its_time_comes() {
    // The office is in Paris: 13:01 there is 12:01 UTC on 1 March 2026.
    let app = spawn_newsroom_with(|s| s.timezone = "Europe/Paris".into()).await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(&csrf, "Embargoed statement", "Under embargo.", "schedule");
    fields.extend([("schedule", "2026-03-01T13:01"), ("new_topics", "Energy")]);
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let id = edit_id(&res);
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.published_at.to_rfc3339(), "2026-03-01T12:01:00+00:00");
    assert!(!app.text("/feed.atom").await.contains("Embargoed statement"));
    assert_eq!(app.get("/releases/embargoed-statement").await.status(), 404);
    let list = app.text("/admin?status=scheduled").await;
    assert!(
        list.contains("Embargoed statement") && list.contains("at 1 Mar 2026, 13:01 CET"),
        "{list}"
    );
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(
        input_value(&edit, "schedule").as_deref(),
        Some("2026-03-01T13:01")
    );
    // A time in the past is refused.
    let mut fields = release_fields(&csrf, "Too late", "x", "schedule");
    fields.push(("schedule", "2026-03-01T12:59"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("This time has passed"));

    app.clock.advance(Duration::minutes(2));
    assert!(app.text("/feed.atom").await.contains("Embargoed statement"));
    assert!(
        app.text("/topics/energy/feed.atom")
            .await
            .contains("Embargoed statement")
    );
    assert_eq!(app.get("/releases/embargoed-statement").await.status(), 200);
}

#[tokio::test]
async fn preview_shows_what_readers_get_and_saves_nothing() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let mut fields = release_fields(
        &csrf,
        "Preview me",
        "Para *one*.\n\n<p onclick=\"x()\">Pasted <b>HTML</b></p>",
        "preview",
    );
    fields.push(("new_topics", "Transport"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"<section class="preview""#));
    assert!(page.contains("<p>Para <em>one</em>.</p>"), "{page}");
    assert!(page.contains("<p>Pasted <b>HTML</b></p>"), "{page}");
    assert!(page.contains("Topics: Transport"));
    assert_no_executable_markup(&page, "preview");
    assert_eq!(app.store().count_releases().unwrap(), 0);
    assert!(app.store().topic_by_slug("transport").unwrap().is_none());
}

/// The preview is the public page's release, built by the same code: it
/// used to be a copy that kept a relative link as typed, where the page
/// (and every feed) makes it absolute against the release's address.
#[tokio::test]
async fn the_preview_is_the_page_readers_get() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    let body = "See [the map](/files/map.pdf) and ![a chart](chart.png).";
    let mut fields = release_fields(&csrf, "Same as the page", body, "preview");
    fields.push(("correction_note", "An earlier figure was wrong."));
    let preview = post_form(&app, "/admin/releases/new", &fields)
        .await
        .text()
        .await
        .unwrap();
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "publish"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let page = app.text("/releases/same-as-the-page").await;
    let article = |html: &str| {
        let start = html
            .find("<article class=\"release\">")
            .expect("an article");
        let end = html[start..].find("</article>").expect("its end") + start;
        html[start..end].to_owned()
    };
    assert_eq!(article(&preview), article(&page));
    assert!(
        article(&page).contains(r#"href="http://press.test/files/map.pdf""#),
        "{page}"
    );
    assert!(
        article(&page).contains(r#"src="http://press.test/releases/chart.png""#),
        "{page}"
    );
}

#[tokio::test]
async fn the_list_filters_searches_and_pages() {
    let app = spawn_newsroom().await;
    let mut many = Vec::new();
    for i in 0..30 {
        let mut r = release(
            &format!("r{i:02}"),
            i,
            &[if i % 2 == 0 { "even" } else { "odd" }],
        );
        if i == 3 {
            r.lang = "ar".into();
            r.title = "بيان".into();
        }
        if i == 4 {
            r.status = Some("draft".into());
        }
        many.push(r);
    }
    app.save(&many);
    sign_in(&app).await;
    let first = app.text("/admin").await;
    assert!(first.contains("30 releases · page 1 of 2"), "{first}");
    assert!(
        first.find("Title of r00").unwrap() < first.find("Title of r01").unwrap(),
        "newest first"
    );
    assert!(first.contains("page=2"));
    let second = app.text("/admin?page=2").await;
    assert!(second.contains("Title of r29"));
    let odd = app.text("/admin?topic=odd").await;
    assert!(odd.contains("15 releases"));
    let ar = app.text("/admin?lang=ar").await;
    assert!(
        ar.contains("<p class=\"meta\">1 release</p>") && ar.contains("بيان"),
        "{ar}"
    );
    let drafts = app.text("/admin?status=draft").await;
    assert!(drafts.contains("<p class=\"meta\">1 release</p>") && drafts.contains("Title of r04"));
    let search = app.text("/admin?q=OF+R1").await;
    assert!(search.contains("10 releases"), "{search}");
    // The interface word "view" is not marked Arabic with the title.
    assert!(ar.contains("lang=\"ar\" dir=\"rtl\">بيان</a>"), "{ar}");
}

#[tokio::test]
async fn the_form_creates_only_topics_typed_as_new_and_only_a_few() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    // A topic box that names no topic (a forged or stale form).
    let mut fields = release_fields(&csrf, "Forged topic", "Body.", "publish");
    fields.push(("topics", "no-such-topic"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    let page = res.text().await.unwrap();
    assert!(page.to_lowercase().contains("there is no topic"), "{page}");
    let mut fields = release_fields(&csrf, "Too many", "Body.", "publish");
    fields.push(("new_topics", "A one, B two, C three, D four, E five, F six"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    let page = res.text().await.unwrap();
    assert!(page.contains("at most 5"), "{page}");
    assert_eq!(app.store().count_releases().unwrap(), 0);
    assert!(app.store().topics().unwrap().is_empty());
    // Typed as new, with a bidi override: created, without it.
    let mut fields = release_fields(&csrf, "Fine", "Body.", "publish");
    fields.push(("new_topics", "Water \u{202E}supply\u{202C}"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let topics = app.store().topics().unwrap();
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].name, "Water supply");
}

#[tokio::test]
async fn a_draft_slug_can_change_until_publication() {
    let app = spawn_newsroom().await;
    let csrf = sign_in(&app).await;
    // A title in Arabic gets a transliterated address (it was
    // `release-20260301-120000`), shown in the preview.
    let mut fields = release_fields(&csrf, "بيان صحفي", "نص البيان.", "preview");
    fields.retain(|(k, _)| *k != "lang");
    fields.push(("lang", "ar"));
    let page = post_form(&app, "/admin/releases/new", &fields)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Address: <code>http://press.test/releases/byn-shfy</code>"),
        "{page}"
    );
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "draft"));
    let res = post_form(&app, "/admin/releases/new", &fields).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    let draft = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(draft.slug, "byn-shfy");
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(edit.contains(r#"<option value="ar" selected>"#));
    assert!(
        edit.contains(r#"<textarea id="body" name="body" rows="18" dir="rtl" lang="ar">"#),
        "{edit}"
    );

    // Renamed while a draft, then published: fixed from then on.
    let mut fields = release_fields(&csrf, "بيان صحفي", "نص البيان.", "publish");
    fields.retain(|(k, _)| *k != "lang");
    fields.extend([("lang", "ar"), ("slug", "statement-ar")]);
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &fields).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let published = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(published.slug, "statement-ar");
    assert_eq!(published.uid, draft.uid, "the feed id is minted once");
    let page = app.text("/releases/statement-ar").await;
    assert!(page.contains(r#"lang="ar" dir="rtl""#));
    let edit = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(
        edit.contains(r#"id="slug" name="slug" type="text" value="statement-ar" readonly"#),
        "{edit}"
    );
}
