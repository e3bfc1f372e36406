//! `pressfeed import` and `export`, run as real processes against the
//! database a running server uses.

use crate::helpers::{release, spawn_app};

fn line(r: &pressfeed::domain::ReleaseInput) -> String {
    serde_json::to_string(r).unwrap()
}

#[tokio::test]
async fn bad_lines_are_reported_by_file_and_line_and_nothing_is_written() {
    let app = spawn_app().await;
    app.save(&[release("kept", 1, &["t"])]);
    let before = app.text("/feed.atom").await;
    let file = app.dir.path().join("in.jsonl");
    let mut bad_lang = release("bad-lang", 1, &["t"]);
    bad_lang.lang = "english please".into();
    let content = format!(
        "{}\n{{not json\n\n{}\n{}\n",
        line(&release("new-one", 1, &["t"])),
        line(&bad_lang),
        line(&release("new-two", 1, &["t"]))
            .replace("\"slug\":\"new-two\"", "\"slug\":\"New Two\"")
    );
    std::fs::write(&file, content).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let name = file.display().to_string();
    assert!(stderr.contains(&format!("{name}:2: ")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:4: lang:")), "{stderr}");
    assert!(stderr.contains(&format!("{name}:5: slug:")), "{stderr}");
    assert!(!stderr.contains(&format!("{name}:1:")), "{stderr}");
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    assert_eq!(app.store().count_releases().unwrap(), 1, "nothing written");
    assert_eq!(app.text("/feed.atom").await, before);
}

#[tokio::test]
async fn reimport_is_idempotent_and_same_slug_updates_in_place() {
    let app = spawn_app().await;
    let file = app.dir.path().join("in.jsonl");
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            line(&release("a", 2, &["t"])),
            line(&release("b", 1, &["t"]))
        ),
    )
    .unwrap();
    assert!(
        app.run_cli(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let first = app.get("/feed.atom").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 new, 0 updated, 2 unchanged"));
    assert_eq!(app.store().count_releases().unwrap(), 2);
    let r = app
        .get_with("/feed.atom", &[("if-none-match", &etag)])
        .await;
    assert_eq!(
        r.status(),
        304,
        "re-import of the same data changes nothing"
    );

    let mut changed = release("b", 1, &["t"]);
    changed.title = "B, updated".into();
    std::fs::write(&file, line(&changed)).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 new, 1 updated"));
    assert_eq!(app.store().count_releases().unwrap(), 2);
    assert!(
        app.text("/feed.atom").await.contains("B, updated"),
        "visible on the next request"
    );
}

#[tokio::test]
async fn import_by_another_process_is_visible_on_the_next_request() {
    let app = spawn_app().await;
    app.save(&[release("first", 2, &["t"])]);
    assert!(!app.text("/topics/t/feed.rss").await.contains("second"));
    let file = app.dir.path().join("in.jsonl");
    std::fs::write(&file, line(&release("second", 1, &["t"]))).unwrap();
    let out = app.run_cli(&["import", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        app.text("/topics/t/feed.rss")
            .await
            .contains("Title of second")
    );
    assert!(app.text("/feed.json").await.contains("Title of second"));
}

#[tokio::test]
async fn export_import_export_is_identical() {
    let app = spawn_app().await;
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/seed-release.jsonl"
    ))
    .unwrap_or_default();
    let file = app.dir.path().join("in.jsonl");
    let mut ar = release("arabic", 1, &["b", "a"]);
    ar.lang = "ar".into();
    ar.title = "عنوان".into();
    let mut draft = release("draft", 1, &[]);
    draft.status = Some("draft".into());
    std::fs::write(
        &file,
        format!(
            "{seed}\n{}\n{}\n{}\n",
            line(&release("x", 3, &["t"])),
            line(&ar),
            line(&draft)
        ),
    )
    .unwrap();
    assert!(
        app.run_cli(&["import", file.to_str().unwrap()])
            .status
            .success()
    );
    let first = app.run_cli(&["export"]);
    assert!(first.status.success());
    let exported = app.dir.path().join("export.jsonl");
    std::fs::write(&exported, &first.stdout).unwrap();

    let other = app.dir.path().join("other.db");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
            .arg("--db")
            .arg(&other)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["import", exported.to_str().unwrap()])
            .status
            .success()
    );
    let second = run(&["export"]);
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&second.stdout)
    );
    let lines = String::from_utf8_lossy(&first.stdout).lines().count();
    assert_eq!(lines, if seed.is_empty() { 3 } else { 4 });
}
