//! The newsroom's accredited journalists: issue (URL shown once), refuse
//! bad input keeping what was typed, see fetches, revoke.

use crate::admin_support::*;
use crate::helpers::{release, scheduled};
use chrono::Duration;

#[tokio::test]
async fn the_newsroom_accredits_shows_the_url_once_counts_fetches_and_revokes() {
    let app = spawn_newsroom().await;
    app.save(&[
        release("old-news", 2, &["health"]),
        scheduled(
            "trade-figures",
            app.clock.now() + Duration::hours(2),
            &["trade"],
        ),
    ]);
    let csrf = sign_in(&app).await;

    // A bad email and an empty outlet: refused, with what was typed kept.
    let res = post_form(
        &app,
        "/admin/accreditations",
        &[
            ("csrf", &csrf),
            ("name", "Ana <b>Ruiz</b>"),
            ("outlet", " "),
            ("email", "ana@"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Give the outlet in 1 to 200 printable characters"),
        "{page}"
    );
    assert!(page.contains("is not an email address"));
    assert!(
        page.contains("value=\"Ana &#60;b&#62;Ruiz&#60;/b&#62;\"")
            || page.contains("value=\"Ana &lt;b&gt;Ruiz&lt;/b&gt;\"")
    );
    assert_no_executable_markup(&page, "refused accreditation form");

    let res = post_form(
        &app,
        "/admin/accreditations",
        &[
            ("csrf", &csrf),
            ("name", "Ana Ruiz"),
            ("outlet", "Wire Service"),
            ("email", "ana@wire.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let page = res.text().await.unwrap();
    let start = page
        .find("http://press.test/private/")
        .expect("the URL is shown");
    let link = &page[start..];
    let link = &link[..link.find('<').unwrap()];
    let private = link.strip_prefix("http://press.test").unwrap().to_owned();
    // Shown once: the list does not have it.
    let list = app.text("/admin/accreditations").await;
    assert!(list.contains("Ana Ruiz") && list.contains("Wire Service"));
    assert!(!list.contains(&private));

    // The same name again while active: refused.
    let res = post_form(
        &app,
        "/admin/accreditations",
        &[("csrf", &csrf), ("name", "Ana Ruiz"), ("outlet", "Other")],
    )
    .await;
    assert_eq!(res.status(), 422);

    // Her fetch shows up in the release list and the accreditation list.
    let feed = app.text(&format!("{private}feed.atom")).await;
    assert!(feed.contains("EMBARGOED until"));
    let releases = app.text("/admin").await;
    assert!(
        releases.contains("seen by 1 of 1 accredited journalists before the embargo"),
        "{releases}"
    );
    let list = app.text("/admin/accreditations").await;
    assert!(list.contains("<td>1</td>"), "one fetch counted");

    let id = app.store().accreditations().unwrap()[0].id;
    let res = post_form(
        &app,
        &format!("/admin/accreditations/{id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get(&format!("{private}feed.atom")).await.status(), 404);
    assert!(app.text("/admin/accreditations").await.contains("revoked"));
}

#[tokio::test]
async fn accreditation_pages_and_actions_need_a_sign_in_and_a_csrf_token() {
    let app = spawn_newsroom().await;
    let res = app.get("/admin/accreditations").await;
    assert!(res.status().is_redirection() || res.status() == 401 || res.status() == 403);
    let csrf = sign_in(&app).await;
    let res = post_form(
        &app,
        "/admin/accreditations",
        &[("csrf", "forged"), ("name", "Ana"), ("outlet", "Wire")],
    )
    .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(app.store().accreditations().unwrap().is_empty());
    drop(csrf);
}
