//! The release form's embargo safety and trust in what was saved (issue
//! 10, items 1–8): a typed "Publish at" is never ignored, drafts keep their
//! planned time, refusals show the banner, a five-year horizon, times in
//! both zones, the sanitiser's report, the Markdown source kept through
//! export and import, and transliterated addresses.

use crate::admin_support::*;
use crate::helpers::{TestApp, header, scheduled};
use chrono::Duration;

/// The office in Paris: t0 (12:00 UTC on 1 March 2026) is 13:00 there.
async fn paris_newsroom() -> (TestApp, String) {
    let app = spawn_newsroom_with(|s| s.timezone = "Europe/Paris".into()).await;
    let csrf = sign_in(&app).await;
    (app, csrf)
}

fn fields<'a>(csrf: &'a str, title: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("body", "Under **embargo**."),
        ("organization", "Ministry of Tests"),
        ("lang", "en"),
        ("action", action),
    ]
}

/// The release form's submit buttons in page order: (action, label, primary).
fn buttons(page: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find("<button type=\"submit\" name=\"action\"") {
        rest = &rest[i..];
        let end = rest.find("</button>").expect("closed button");
        let button = &rest[..end];
        let value = button
            .split("value=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let label = unescape(&button[button.find('>').unwrap() + 1..]);
        out.push((value, label, button.contains("class=\"primary\"")));
        rest = &rest[end..];
    }
    out
}

/// Posts `f` and checks that nothing was published: the form came back
/// asking about the typed time.
async fn asks_first(app: &TestApp, path: &str, f: &[(&str, &str)], title: &str) -> String {
    let res = post_form(app, path, f).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("Not published: “Publish at” says"), "{page}");
    assert!(!app.text("/feed.atom").await.contains(title));
    page
}

/// Saves `body` (what the box showed) and checks nothing was removed or
/// changed.
async fn resave_changes_nothing(app: &TestApp, csrf: &str, id: i64, body: &str) {
    let before = app.store().release_by_id(id).unwrap().unwrap().body_html;
    let mut f = fields(csrf, "Unsafe", "draft");
    f.retain(|(k, _)| *k != "body");
    f.push(("body", body));
    let res = post_form(app, &format!("/admin/releases/{id}/edit"), &f).await;
    assert!(!header(res.headers(), "location").contains("removed="));
    assert_eq!(
        app.store().release_by_id(id).unwrap().unwrap().body_html,
        before
    );
}

fn released(app: &TestApp, title: &str) -> Option<pressfeed::model::Release> {
    let id = app
        .store()
        .list_releases(&Default::default(), app.clock.now(), 100, 0)
        .unwrap()
        .0
        .into_iter()
        .find(|r| r.title == title)?
        .id;
    app.store().release_by_id(id).unwrap()
}

/// Item 1: "Publish now" with a future "Publish at" used to publish at
/// once, breaking the embargo.
#[tokio::test]
async fn publish_now_with_a_future_time_asks_first_and_schedule_is_the_default() {
    let (app, csrf) = paris_newsroom().await;
    // The new form's primary button is "Publish now"; the admin types a
    // time and presses it.
    let page = app.text("/admin/releases/new").await;
    assert!(
        buttons(&page).contains(&("publish".into(), "Publish now".into(), true)),
        "{:?}",
        buttons(&page)
    );
    let mut f = fields(&csrf, "Christmas statement", "publish");
    f.push(("schedule", "2026-12-24T09:00"));
    let page = asks_first(&app, "/admin/releases/new", &f, "Christmas statement").await;
    assert!(
        page.contains("Not published: “Publish at” says 24 Dec 2026, 09:00 CET (08:00 UTC)"),
        "{page}"
    );
    assert!(
        released(&app, "Christmas statement").is_none(),
        "nothing saved"
    );
    assert_eq!(
        textarea(&page, "body").as_deref(),
        Some("Under **embargo**.")
    );
    assert_eq!(
        input_value(&page, "schedule").as_deref(),
        Some("2026-12-24T09:00")
    );
    // Now the default (first and primary) button schedules; publishing now
    // is a separate button naming the time it ignores.
    let b = buttons(&page);
    assert_eq!(
        b[0],
        (
            "schedule".into(),
            "Schedule for 24 Dec 2026, 09:00 CET".into(),
            true
        )
    );
    assert!(b.contains(&(
        "publish-now".into(),
        "Publish now, not at 24 Dec 2026, 09:00 CET".into(),
        false
    )));
    assert!(!b.iter().any(|(a, _, _)| a == "publish"), "{b:?}");

    // Posting the default button schedules.
    let mut f = fields(&csrf, "Christmas statement", &b[0].0);
    f.extend([
        ("schedule", "2026-12-24T09:00"),
        ("confirm_schedule", "2026-12-24T09:00"),
    ]);
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 303);
    assert!(header(res.headers(), "location").ends_with("done=scheduled"));
    let r = released(&app, "Christmas statement").unwrap();
    assert_eq!(r.published_at.to_rfc3339(), "2026-12-24T08:00:00+00:00");
    assert!(!app.text("/feed.atom").await.contains("Christmas statement"));

    // On the scheduled release, "Publish now" asks again.
    let edit = format!("/admin/releases/{}/edit", r.id);
    let mut f = fields(&csrf, "Christmas statement", "publish");
    f.push(("schedule", "2026-12-24T09:00"));
    asks_first(&app, &edit, &f, "Christmas statement").await;

    // "Publish now, not at …" for a time the page did not name (the field
    // was changed) asks again; for the time it named, it publishes.
    let mut f = fields(&csrf, "Christmas statement", "publish-now");
    f.extend([
        ("schedule", "2026-12-25T09:00"),
        ("confirm_schedule", "2026-12-24T09:00"),
    ]);
    asks_first(&app, &edit, &f, "Christmas statement").await;
    let mut f = fields(&csrf, "Christmas statement", "publish-now");
    f.extend([
        ("schedule", "2026-12-24T09:00"),
        ("confirm_schedule", "2026-12-24T09:00"),
    ]);
    let res = post_form(&app, &edit, &f).await;
    assert_eq!(res.status(), 303);
    assert!(header(res.headers(), "location").ends_with("done=published"));
    assert!(app.text("/feed.atom").await.contains("Christmas statement"));

    // Without a time, "Publish now" publishes as before.
    let res = post_form(
        &app,
        "/admin/releases/new",
        &fields(&csrf, "Now", "publish"),
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(header(res.headers(), "location").ends_with("done=published"));
}

/// Item 2: "Save draft" threw the typed time away.
#[tokio::test]
async fn a_draft_keeps_its_planned_time() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Planned statement", "draft");
    f.push(("schedule", "2026-03-24T09:00"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 303);
    assert!(header(res.headers(), "location").ends_with("done=draft"));
    let id = edit_id(&res);
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.status, pressfeed::domain::Status::Draft, "not binding");
    let page = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(
        input_value(&page, "schedule").as_deref(),
        Some("2026-03-24T09:00")
    );
    assert!(
        page.contains(
            "Planned for 24 Mar 2026, 09:00 CET (08:00 UTC), in 22 days 20 hours. Not binding"
        ),
        "{page}"
    );
    // With the planned time shown, the default button schedules it.
    assert_eq!(buttons(&page)[0].0, "schedule");
    let list = app.text("/admin?status=draft").await;
    assert!(
        list.contains("planned for 24 Mar 2026, 09:00 CET (08:00 UTC), in 22 days 20 hours"),
        "{list}"
    );
    // The time passes: nothing happens to a draft.
    app.clock.advance(Duration::days(30));
    assert!(!app.text("/feed.atom").await.contains("Planned statement"));
    // Clearing the field and saving drops the plan.
    app.clock.advance(Duration::days(-30));
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/edit"),
        &fields(&csrf, "Planned statement", "draft"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let page = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(input_value(&page, "schedule").as_deref(), Some(""));
}

/// A scheduled release's default button, "Save (stays scheduled)", used
/// to drop a new time typed in "Publish at": an embargo moved later still
/// went out at the old time.
#[tokio::test]
async fn saving_a_scheduled_release_with_a_new_time_moves_it() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Moved embargo", "schedule");
    f.push(("schedule", "2026-03-24T09:00"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 303);
    let id = edit_id(&res);
    let path = format!("/admin/releases/{id}/edit");
    let page = app.text(&path).await;
    assert_eq!(buttons(&page)[0].0, "save", "the default button");
    // The embargo is extended by two days; the admin presses Enter.
    let mut f = fields(&csrf, "Moved embargo", "save");
    f.push(("schedule", "2026-03-26T09:00"));
    let res = post_form(&app, &path, &f).await;
    assert_eq!(res.status(), 303);
    let page = app.text(&path).await;
    assert_eq!(
        input_value(&page, "schedule").as_deref(),
        Some("2026-03-26T09:00")
    );
    // Not out at the old time.
    app.clock.advance(Duration::days(23));
    assert!(!app.text("/feed.atom").await.contains("Moved embargo"));
    app.clock.advance(Duration::days(-23));
    // A time that has passed is refused, not ignored.
    let mut f = fields(&csrf, "Moved embargo", "save");
    f.push(("schedule", "2026-02-01T09:00"));
    let res = post_form(&app, &path, &f).await;
    assert_eq!(res.status(), 422);
    // Saving with the time as shown keeps it.
    let mut f = fields(&csrf, "Moved embargo, retitled", "save");
    f.push(("schedule", "2026-03-26T09:00"));
    let res = post_form(&app, &path, &f).await;
    assert_eq!(res.status(), 303);
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.title, "Moved embargo, retitled");
    assert_eq!(
        r.published_at.to_rfc3339(),
        "2026-03-26T08:00:00+00:00",
        "09:00 in Paris"
    );
}

/// "Save (stays scheduled)" with the time as the form shows it keeps the
/// embargo, also in the hour a clock change repeats: 02:30 on 25 October
/// 2026 is both 00:30 and 01:30 UTC in Paris, and reading the typed text
/// back as the earlier one would move a release an hour ahead of its
/// embargo. Likewise an API time with seconds stays as it is.
#[tokio::test]
async fn saving_a_scheduled_release_as_shown_keeps_its_time() {
    let (app, csrf) = paris_newsroom().await;
    let second_half_hour: chrono::DateTime<chrono::Utc> = "2026-10-25T01:30:00Z".parse().unwrap();
    let with_seconds: chrono::DateTime<chrono::Utc> = "2026-03-24T08:00:27Z".parse().unwrap();
    for (slug, at, shown) in [
        ("repeated-hour", second_half_hour, "2026-10-25T02:30"),
        ("api-seconds", with_seconds, "2026-03-24T09:00"),
    ] {
        app.save(&[scheduled(slug, at, &[])]);
        let id = app.store().release_id_by_slug(slug).unwrap().unwrap();
        let path = format!("/admin/releases/{id}/edit");
        let page = app.text(&path).await;
        assert_eq!(input_value(&page, "schedule").as_deref(), Some(shown));
        let title = format!("{slug}, retitled");
        let mut f = fields(&csrf, &title, "save");
        f.extend([("schedule", shown), ("slug", slug)]);
        let res = post_form(&app, &path, &f).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let r = app.store().release_by_id(id).unwrap().unwrap();
        assert_eq!(r.title, title);
        assert_eq!(r.published_at, at, "{slug} keeps its time");
    }
}

/// A preview with a "Publish at" that cannot be read (here a time the
/// clock change skips) used to preview as "now" without a word.
#[tokio::test]
async fn a_preview_says_when_the_typed_time_cannot_be_read() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Clock change", "preview");
    f.push(("schedule", "2026-03-29T02:30"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"preview-address\""), "still a preview");
    assert!(
        page.contains("does not exist in Europe/Paris (a clock change)"),
        "{page}"
    );
    assert_eq!(app.store().count_releases().unwrap(), 0);
}

/// Item 3: "Schedule" without a time showed its message only beside the
/// field, with no banner at the top.
#[tokio::test]
async fn schedule_without_a_time_shows_the_banner() {
    let (app, csrf) = paris_newsroom().await;
    let res = post_form(
        &app,
        "/admin/releases/new",
        &fields(&csrf, "No time", "schedule"),
    )
    .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(
            r#"<p class="flash alert" role="status">Nothing was saved: please correct the fields marked below.</p>"#
        ),
        "{page}"
    );
    assert!(page.contains(
        r#"<p class="error" id="schedule-error">Choose the date and time to publish at</p>"#
    ));
    assert_eq!(input_value(&page, "title").as_deref(), Some("No time"));
    // A time that does not parse gets the same banner, for every button.
    for action in ["schedule", "draft", "publish"] {
        let mut f = fields(&csrf, "Bad time", action);
        f.push(("schedule", "next tuesday"));
        let res = post_form(&app, "/admin/releases/new", &f).await;
        assert_eq!(res.status(), 422, "{action}");
        let page = res.text().await.unwrap();
        assert!(page.contains(r#"<p class="flash alert" role="status">Nothing was saved"#));
        assert!(page.contains("id=\"schedule-error\""), "{action}");
    }
    assert_eq!(app.store().count_releases().unwrap(), 0);
}

/// Item 4: the year 9999 was accepted.
#[tokio::test]
async fn schedule_times_beyond_five_years_are_refused() {
    let (app, csrf) = paris_newsroom().await;
    for (action, time) in [
        ("schedule", "9999-12-24T09:00"),
        ("draft", "2031-03-02T09:00"),
    ] {
        let mut f = fields(&csrf, "Far away", action);
        f.push(("schedule", time));
        let res = post_form(&app, "/admin/releases/new", &f).await;
        assert_eq!(res.status(), 422, "{action} {time}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains(
                "This is more than 5 years ahead; check the year (the latest possible date is 1 Mar 2031)"
            ),
            "{page}"
        );
        assert!(page.contains(r#"<p class="flash alert" role="status">Nothing was saved"#));
    }
    assert_eq!(app.store().count_releases().unwrap(), 0);
    let mut f = fields(&csrf, "Far but fine", "schedule");
    f.push(("schedule", "2031-02-28T09:00"));
    assert_eq!(
        post_form(&app, "/admin/releases/new", &f).await.status(),
        303
    );
    // The API keeps the same horizon for releases that would be published.
    let out = app.run_cli(&["create-token", "robot"]);
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let res = app
        .client
        .post(app.url("/api/v1/releases"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "slug": "far", "title": "Far", "body_html": "<p>x</p>",
            "organization": "O", "lang": "en",
            "published_at": "9999-01-01T00:00:00Z", "topics": [],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("more than 5 years ahead")
    );
    // A draft's planned time too, as in the form (it was stored as given).
    let res = app
        .client
        .put(app.url("/api/v1/releases/far"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "slug": "far", "title": "Far", "body_html": "<p>x</p>",
            "organization": "O", "lang": "en", "status": "draft",
            "published_at": "9999-01-01T00:00:00Z", "topics": [],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("more than 5 years ahead")
    );
    assert_eq!(app.store().count_releases().unwrap(), 1);
    // And so does an import, naming the line.
    let line = r#"{"slug":"far","title":"Far","body_html":"<p>x</p>","organization":"O","lang":"en","published_at":"9999-01-01T00:00:00Z"}"#;
    let file = pressfeed::service::parse_jsonl(format!("\n{line}\n").as_bytes()).unwrap();
    match pressfeed::service::import(
        app.store(),
        &file,
        app.clock.now(),
        "press.test",
        &mut |_| {},
    ) {
        Err(pressfeed::service::ImportError::BadLines(errors)) => {
            assert_eq!(errors[0].line, 2);
            assert!(
                errors[0].message.contains("more than 5 years ahead"),
                "{errors:?}"
            );
        }
        other => panic!("imported a release for the year 9999: {other:?}"),
    }
    assert!(app.store().release_by_slug("far").unwrap().is_none());
}

/// Item 5: a scheduled release says when it goes out in the office's zone
/// and in UTC, and how long until then, in the form and the list.
#[tokio::test]
async fn scheduled_times_show_both_zones_and_how_long() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Spring statement", "schedule");
    f.push(("schedule", "2026-03-24T09:00"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    let id = edit_id(&res);
    let page = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(
        page.contains(
            "Scheduled: appears by itself at 24 Mar 2026, 09:00 CET (08:00 UTC), in 22 days 20 hours."
        ),
        "{page}"
    );
    let list = app.text("/admin?status=scheduled").await;
    assert!(
        list.contains("at 24 Mar 2026, 09:00 CET (08:00 UTC), in 22 days 20 hours"),
        "{list}"
    );
    // After midnight in Paris but before it in UTC, both dates show.
    let mut f = fields(&csrf, "Midnight statement", "schedule");
    f.push(("schedule", "2026-03-02T00:30"));
    post_form(&app, "/admin/releases/new", &f).await;
    let list = app.text("/admin?status=scheduled").await;
    assert!(
        list.contains("at 2 Mar 2026, 00:30 CET (1 Mar 2026, 23:30 UTC), in 11 hours 30 minutes"),
        "{list}"
    );
}

const UNSAFE_BODY: &str = "Safe *text*.\n\n<script>alert(1)</script>\n\n\
     A [link](javascript:alert(2)) and <a href=\"https://e.org/\">a good one</a>.";

/// Item 6: unsafe HTML was removed silently, and the edit box still showed
/// it after saving.
#[tokio::test]
async fn the_sanitiser_says_what_it_removed_and_the_box_shows_what_was_stored() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Unsafe", "preview");
    f.retain(|(k, _)| *k != "body");
    f.push(("body", UNSAFE_BODY));
    let page = post_form(&app, "/admin/releases/new", &f)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("1 script and 1 unsafe link were removed from the preview below"),
        "{page}"
    );
    f.retain(|(k, _)| *k != "action");
    f.push(("action", "draft"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    assert_eq!(res.status(), 303);
    let location = header(res.headers(), "location").to_owned();
    let id = edit_id(&res);
    let page = app.text(&location).await;
    assert!(
        page.contains(
            r#"<p class="flash alert" id="sanitiser-report" role="status">Unsafe markup was taken out of the body: 1 script and 1 unsafe link were removed. The body below is as stored, without it."#
        ),
        "{page}"
    );
    let stored = app.store().release_by_id(id).unwrap().unwrap();
    assert!(!stored.body_html.contains("script") && !stored.body_html.contains("javascript"));
    assert!(stored.body_html.contains("<em>text</em>"));
    // The box keeps the Markdown, without what was removed.
    let body = textarea(&page, "body").unwrap();
    assert_eq!(Some(&body), stored.body_source.as_ref());
    assert!(body.starts_with("Safe *text*."), "{body}");
    assert!(
        !body.contains("script") && !body.contains("javascript"),
        "{body}"
    );
    // Saving that again removes nothing more and reports nothing.
    resave_changes_nothing(&app, &csrf, id, &body).await;

    // A script inside a paragraph cannot be cut out of the Markdown
    // without leaving its code as text: the box shows the stored HTML.
    let mut f = fields(&csrf, "Unsafe", "draft");
    f.retain(|(k, _)| *k != "body");
    f.push(("body", "Hi <script>alert(1)</script> *there*."));
    let res = post_form(&app, &format!("/admin/releases/{id}/edit"), &f).await;
    let page = app.text(header(res.headers(), "location")).await;
    assert!(page.contains("1 script was removed"), "{page}");
    let stored = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(stored.body_html, "<p>Hi  <em>there</em>.</p>\n");
    let body = textarea(&page, "body").unwrap();
    assert_eq!(body, stored.body_html);
    resave_changes_nothing(&app, &csrf, id, &body).await;
    // A clean body keeps its Markdown in the box.
    let res = post_form(
        &app,
        &format!("/admin/releases/{id}/edit"),
        &fields(&csrf, "Unsafe", "draft"),
    )
    .await;
    let page = app.text(header(res.headers(), "location")).await;
    assert!(!page.contains("sanitiser-report"));
    assert_eq!(textarea(&page, "body").unwrap(), "Under **embargo**.");
}

/// Item 7: export dropped the Markdown, so after export → import the form
/// showed HTML.
#[tokio::test]
async fn the_markdown_source_survives_export_and_import() {
    let (app, csrf) = paris_newsroom().await;
    let res = post_form(
        &app,
        "/admin/releases/new",
        &fields(&csrf, "Typed", "publish"),
    )
    .await;
    assert_eq!(res.status(), 303);
    let first = exported(&app);
    assert!(
        first.contains(r#""body_markdown":"Under **embargo**.""#),
        "{first}"
    );
    let (other, _) = paris_newsroom().await;
    let file = pressfeed::service::parse_jsonl(first.as_bytes()).unwrap();
    pressfeed::service::import(
        other.store(),
        &file,
        other.clock.now(),
        "press.test",
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        exported(&other),
        first,
        "export → import → export is identical"
    );
    let id = released(&other, "Typed").unwrap().id;
    let page = other.text(&format!("/admin/releases/{id}/edit")).await;
    assert_eq!(textarea(&page, "body").unwrap(), "Under **embargo**.");
    // The field is optional.
    let file = pressfeed::service::parse_jsonl(
        first
            .replace(r#""body_markdown":"Under **embargo**.","#, "")
            .as_bytes(),
    )
    .unwrap();
    assert!(file.drafts[0].body_source.is_none());

    // The demo's releases open in the form as Markdown.
    let demo = pressfeed::demo::demo_releases(app.clock.now());
    app.save(&demo);
    let id = app
        .store()
        .release_id_by_slug("beaches-rated-excellent")
        .unwrap()
        .unwrap();
    let page = app.text(&format!("/admin/releases/{id}/edit")).await;
    assert!(
        textarea(&page, "body")
            .unwrap()
            .starts_with("All six public beaches have again been rated **excellent**"),
        "{page}"
    );
}

/// Item 8: a scheduled release's address was locked as soon as it was
/// scheduled; it may change until the release is public.
#[tokio::test]
async fn a_scheduled_release_address_stays_editable_until_public() {
    let (app, csrf) = paris_newsroom().await;
    let mut f = fields(&csrf, "Embargoed figures", "schedule");
    f.push(("schedule", "2026-03-01T14:00"));
    let res = post_form(&app, "/admin/releases/new", &f).await;
    let id = edit_id(&res);
    let edit = format!("/admin/releases/{id}/edit");
    let page = app.text(&edit).await;
    assert!(!page.contains("readonly"), "{page}");
    let mut f = fields(&csrf, "Embargoed figures", "save");
    f.extend([("schedule", "2026-03-01T14:00"), ("slug", "figures-march")]);
    let res = post_form(&app, &edit, &f).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let r = app.store().release_by_id(id).unwrap().unwrap();
    assert_eq!(r.slug, "figures-march");
    assert_eq!(r.published_at.to_rfc3339(), "2026-03-01T13:00:00+00:00");
    // Public from 14:00 Paris time: the address is fixed from then on.
    app.clock.advance(Duration::hours(1));
    assert_eq!(app.get("/releases/figures-march").await.status(), 200);
    let page = app.text(&edit).await;
    assert!(
        page.contains(r#"id="slug" name="slug" type="text" value="figures-march" readonly"#),
        "{page}"
    );
    let mut f = fields(&csrf, "Embargoed figures", "save");
    f.push(("slug", "figures-april"));
    let res = post_form(&app, &edit, &f).await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.store().release_by_id(id).unwrap().unwrap().slug,
        "figures-march"
    );
}
