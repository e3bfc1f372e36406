//! The command line as an operator uses it.

use crate::helpers::{release, spawn_app};

#[tokio::test]
async fn backup_while_serving_gives_a_database_that_serves_the_same_feeds() {
    let app = spawn_app().await;
    app.save(&[release("a", 2, &["t"]), release("b", 1, &["t"])]);
    let copy = app.dir.path().join("backup.db");
    if refuses_on_postgres(&app, &copy) {
        return;
    }
    let out = app.run_cli(&["backup", copy.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "backups are private");
        let mode = std::fs::metadata(&app.db_path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "the database is private");
    }
    let restored = pressfeed::store::Store::open(&copy, 1).unwrap();
    assert_eq!(restored.integrity_check().unwrap(), "ok");
    let scope = pressfeed::model::FeedScope::All;
    let a = app
        .store()
        .feed_snapshot(&scope, 50, app.clock.now())
        .unwrap()
        .unwrap();
    let b = restored
        .feed_snapshot(&scope, 50, app.clock.now())
        .unwrap()
        .unwrap();
    assert_eq!(a.items, b.items);
    assert_eq!(a.last_modified, b.last_modified);
}

#[test]
fn migrate_creates_and_upgrades_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sub/dir/new.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--db")
        .arg(&db)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("schema version 0 ->"));
    assert!(db.exists());
    let store = pressfeed::store::Store::open_existing(&db, 1).unwrap();
    assert_eq!(store.count_releases().unwrap(), 0);
}

#[test]
fn a_bad_setting_is_a_clear_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .args(["--base-url", "not a url", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("base_url"));
}

#[test]
fn feed_queries_use_indexes_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = pressfeed::store::Store::open(&dir.path().join("q.db"), 1).unwrap();
    for (sql, plan) in store.explain_feed_queries().unwrap() {
        for step in &plan {
            let full_scan =
                step.starts_with("SCAN") && !step.contains("USING") && !step.contains("CONSTANT");
            assert!(!full_scan, "full scan in {sql}: {plan:?}");
            // Sorting one release's own topic links (a handful of rows found
            // by primary key) is bounded; any other sort would grow with the data.
            let bounded = plan
                .iter()
                .any(|s| s.contains("USING PRIMARY KEY (release_id=?)"));
            assert!(
                !step.contains("TEMP B-TREE") || bounded,
                "unindexed sort in {sql}: {plan:?}"
            );
        }
    }
}

/// On PostgreSQL `backup` refuses and names the engine's own tool.
fn refuses_on_postgres(app: &crate::helpers::TestApp, file: &std::path::Path) -> bool {
    if crate::helpers::on_sqlite() {
        return false;
    }
    let out = app.run_cli(&["backup", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump --format=custom"), "{err}");
    assert!(!file.exists(), "nothing is written");
    true
}
