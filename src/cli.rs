//! The command line: `pressfeed [global options] <command>`.

use crate::clock::Clock;
use crate::config::Settings;
use crate::service::{self, ImportError};
use crate::startup::Application;
use crate::store::{Store, StoreError};
use crate::wording::counted;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "pressfeed",
    version,
    about = "Press releases as RSS, Atom and JSON Feed"
)]
pub struct Cli {
    /// Settings file (default: ./pressfeed.toml when present).
    #[arg(long, global = true, env = "PRESSFEED_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// SQLite database file (or sqlite:PATH), or a postgres://user:pass@host/db URL
    /// [default: data/pressfeed.db].
    #[arg(long, global = true, env = "PRESSFEED_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "PRESSFEED_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Public base URL for absolute links [default: http://BIND].
    #[arg(long, global = true, env = "PRESSFEED_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the feeds and pages (migrates the database).
    Serve {
        /// Fill an empty database with demo releases first (creates it).
        #[arg(long)]
        demo: bool,
        /// Create a new empty database when there is none. Without it (or
        /// --demo) serve refuses to start on a missing one, so a lost data
        /// directory is not replaced by an empty site without a word.
        #[arg(long)]
        init: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Import releases from a JSON Lines file (same slug = update in place).
    Import {
        /// The file to read; `-` for standard input.
        file: PathBuf,
    },
    /// Write every release as JSON Lines (to standard output by default).
    Export {
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Copy the database consistently, even while the server runs, and the
    /// attachments into FILE-media beside it (where `--db FILE` looks).
    Backup { file: PathBuf },
    /// Remove attachments no release uses (uploaded over an hour ago), with
    /// their renditions, and files the database does not know.
    MediaGc {
        /// Only list them (their SHA-256, one a line).
        #[arg(long)]
        dry_run: bool,
    },
    /// Make the renditions images uploaded before renditions existed lack
    /// (README "Attachments"); images that have theirs are left alone.
    MediaRenditions,
    /// Create a newsroom account (asks for the password twice).
    CreateAdmin {
        username: String,
        /// Read the password from the first line of standard input (scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password for a newsroom account; its sessions end.
    ResetPassword {
        username: String,
        /// Read the password from the first line of standard input (scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make a bearer token for the automation API (/api/v1); printed once.
    CreateToken {
        name: String,
        /// The token stops working this many days from now [default: never].
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List the API tokens: made, expires, last used (to the hour), state.
    ListTokens,
    /// Revoke an API token by name.
    RevokeToken { name: String },
    /// Accredit a journalist for embargoed early access; prints their
    /// private base URL (shown once: only a hash of its token is kept).
    Accredit {
        /// The journalist's name (one active accreditation per name).
        name: String,
        #[arg(long)]
        outlet: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// Revoke a journalist's accreditation: their private URLs stop working.
    RevokeAccreditation { name: String },
    /// Print an organisation's "About" boilerplate (Markdown, shown after
    /// the notes to editors of each of its releases), or set or remove it.
    OrganizationAbout {
        /// The organisation's name, as its releases carry it.
        name: String,
        /// Set it from this Markdown file (`-` for standard input; at most
        /// 16 KiB; a blank file removes it).
        #[arg(long, value_name = "FILE", conflicts_with = "clear")]
        set: Option<PathBuf>,
        /// Remove it.
        #[arg(long)]
        clear: bool,
    },
}

impl Cli {
    /// Settings from every layer, flags last.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let mut s = Settings::load(self.config.as_deref(), |k| std::env::var(k).ok())?;
        if let Some(db) = &self.db {
            s.db = db.clone();
        }
        if let Some(bind) = &self.bind {
            s.bind = bind.clone();
        }
        if let Some(url) = &self.base_url {
            s.base_url = Some(url.clone());
        }
        s.validate()?;
        Ok(s)
    }
}

pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.settings()?;
    let _log_guard = crate::telemetry::init(&settings.log_format);
    run(cli.command, settings)
}

pub fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo, init } => serve(settings, demo, init),
        Command::Migrate => {
            let (before, after) = Store::migrate(&settings.db)
                .with_context(|| format!("migrating {}", settings.db.display()))?;
            println!(
                "{}: schema version {before} -> {after}",
                settings.db.display()
            );
            Ok(())
        }
        Command::Import { file } => import(&settings, &file),
        Command::Export { output } => export(&settings, output),
        Command::CreateAdmin {
            username,
            password_stdin,
        } => {
            // Like the token commands: an account for a database that is not
            // there (a lost data directory, a wrong path) would make an
            // empty one that `serve` then starts on without a word.
            let store = open_existing(&settings)?;
            let password = read_new_password(password_stdin)?;
            let name = service::create_admin(&store, &username, &password, chrono::Utc::now())
                .map_err(account_error)?;
            eprintln!(
                "admin {name:?} created; sign in at {}/admin/login",
                settings.base_url()
            );
            Ok(())
        }
        Command::ResetPassword {
            username,
            password_stdin,
        } => {
            let store = open_existing(&settings)?;
            let password = read_new_password(password_stdin)?;
            let name = service::reset_password(&store, &username, &password, chrono::Utc::now())
                .map_err(account_error)?;
            eprintln!("password of {name:?} changed; their open sessions have ended");
            Ok(())
        }
        Command::CreateToken {
            name,
            expires_in_days,
        } => {
            let store = open_existing(&settings)?;
            let token = service::create_token(&store, &name, expires_in_days, chrono::Utc::now())
                .map_err(account_error)?;
            match expires_in_days {
                Some(days) => eprintln!(
                    "token {name:?} created, valid for {days} day(s); it is shown only this once:"
                ),
                None => eprintln!("token {name:?} created; it is shown only this once:"),
            }
            println!("{token}");
            Ok(())
        }
        Command::ListTokens => {
            let store = open_existing(&settings)?;
            let tokens = store.tokens().context("reading the API tokens")?;
            print!("{}", token_table(&tokens, chrono::Utc::now()));
            Ok(())
        }
        Command::RevokeToken { name } => {
            let store = open_existing(&settings)?;
            service::revoke_token(&store, &name, chrono::Utc::now()).map_err(|e| match e {
                service::WriteError::NotFound => {
                    anyhow::anyhow!("no active token is called {name:?}")
                }
                other => account_error(other),
            })?;
            eprintln!("token {name:?} revoked");
            Ok(())
        }
        Command::Accredit {
            name,
            outlet,
            email,
        } => {
            let store = open_existing(&settings)?;
            let new = service::NewAccreditation::parse(&name, &outlet, email.as_deref())
                .map_err(account_error)?;
            let token =
                service::accredit(&store, &new, chrono::Utc::now()).map_err(account_error)?;
            eprintln!(
                "{:?} ({}) accredited; their private base URL is shown only this once:",
                new.name, new.outlet
            );
            println!(
                "{}",
                service::private_base_url(&settings.base_url(), &token)
            );
            Ok(())
        }
        Command::RevokeAccreditation { name } => {
            let store = open_existing(&settings)?;
            service::revoke_accreditation(&store, &name, chrono::Utc::now()).map_err(
                |e| match e {
                    service::WriteError::NotFound => {
                        anyhow::anyhow!("nobody called {name:?} is accredited")
                    }
                    other => account_error(other),
                },
            )?;
            eprintln!("the accreditation of {name:?} is revoked; their private URLs answer 404");
            Ok(())
        }
        Command::Backup { file } => {
            let store = open_existing(&settings)?;
            store
                .backup(&file)
                .with_context(|| format!("backing up to {}", file.display()))?;
            // The media after the database: every file the copy names was
            // stored before its row was written, so it is there to copy.
            let media = backup_media(&settings, &file)?;
            eprintln!(
                "backup of {} written to {} (attachments: {} files in {})",
                settings.db.display(),
                file.display(),
                media.0,
                media.1.display()
            );
            Ok(())
        }
        Command::MediaGc { dry_run } => media_gc(&settings, dry_run),
        Command::OrganizationAbout { name, set, clear } => {
            organization_about(&settings, &name, set, clear)
        }
        Command::MediaRenditions => media_renditions(&settings),
    }
}

fn organization_about(
    settings: &Settings,
    name: &str,
    set: Option<PathBuf>,
    clear: bool,
) -> anyhow::Result<()> {
    let store = open_existing(settings)?;
    let text = match (set, clear) {
        (None, false) => {
            let (name, _) = crate::domain::furniture::validate_about(name, "")
                .map_err(|e| anyhow::anyhow!("{}", joined(&e)))?;
            match store.organization_about(&name)? {
                Some(about) => println!("{about}"),
                None => eprintln!("{name:?} has no boilerplate"),
            }
            return Ok(());
        }
        (Some(file), _) => {
            // One byte over the limit is enough to refuse it: a huge file
            // is not read whole.
            let max = crate::domain::furniture::MAX_ABOUT_BYTES;
            let mut bytes = Vec::new();
            if file.as_os_str() == "-" {
                std::io::stdin()
                    .take(max as u64 + 1)
                    .read_to_end(&mut bytes)
                    .context("reading standard input")?;
            } else {
                std::fs::File::open(&file)
                    .and_then(|f| f.take(max as u64 + 1).read_to_end(&mut bytes))
                    .with_context(|| format!("cannot read {}", file.display()))?;
            }
            if bytes.len() > max {
                bail!(
                    "{}: about: is over {max} bytes; at most {max} (16 KiB); nothing was changed",
                    file.display()
                );
            }
            String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!("{}: not UTF-8 text; nothing was changed", file.display())
            })?
        }
        (None, true) => String::new(),
    };
    let (name, about) = crate::domain::furniture::validate_about(name, &text)
        .map_err(|e| anyhow::anyhow!("{}; nothing was changed", joined(&e)))?;
    let changed = store.set_organization_about(&name, about.as_deref(), chrono::Utc::now())?;
    eprintln!(
        "{}",
        match (changed, about.is_some()) {
            (false, _) => format!("the boilerplate of {name:?} was already that; nothing changed"),
            (true, true) => format!(
                "the boilerplate of {name:?} is saved: every page and feed item of its releases shows it"
            ),
            (true, false) => format!("the boilerplate of {name:?} is removed"),
        }
    );
    Ok(())
}

/// Validation messages on one line.
fn joined(errors: &[crate::domain::ValidationError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// `list-tokens` output: one line per token under a header, in columns.
fn token_table(tokens: &[crate::store::TokenRecord], now: chrono::DateTime<chrono::Utc>) -> String {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
        t.map_or_else(
            || none.to_owned(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        )
    };
    let mut rows = vec![[
        "NAME".to_owned(),
        "CREATED".to_owned(),
        "EXPIRES".to_owned(),
        "LAST USED".to_owned(),
        "STATE".to_owned(),
    ]];
    for t in tokens {
        let state = if t.revoked_at.is_some() {
            "revoked"
        } else if t.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        };
        rows.push([
            t.name.clone(),
            time(Some(t.created_at), ""),
            time(t.expires_at, "never"),
            time(t.last_used_at, "never"),
            state.to_owned(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// A new password: from stdin's first line, or asked twice on a terminal.
fn read_new_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on; use --password-stdin");
    }
    let first = rpassword::prompt_password("New password (12 characters or more): ")?;
    let again = rpassword::prompt_password("The same password again: ")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

fn account_error(e: service::WriteError) -> anyhow::Error {
    match e {
        service::WriteError::NotFound => anyhow::anyhow!("no such account"),
        other => anyhow::anyhow!("{other}"),
    }
}

fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.db, 2).with_context(|| format!("opening {}", settings.db.display()))
}

/// Whether a database is there: a file SQLite has written to (an empty file
/// is what a connection leaves behind, not a database).
/// Whether the SQLite file exists (a PostgreSQL URL is taken to exist:
/// connecting says whether it does).
fn database_exists(db: &Path) -> bool {
    if db.to_str().is_some_and(crate::store::is_postgres_url) {
        return true;
    }
    std::fs::metadata(crate::store::sqlite_path(db)).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// For commands that only read or change what is stored: a missing
/// database is a mistake (a wrong path), never a reason to make one.
/// Copies the media folder to `<file>-media` (the default media folder of
/// a database at `file`) and checks every file the copied database names
/// is in it.
fn backup_media(settings: &Settings, file: &Path) -> anyhow::Result<(usize, PathBuf)> {
    let files = crate::media::MediaFiles::open(&settings.media_dir_path())
        .with_context(|| format!("media folder {}", settings.media_dir_path().display()))?;
    let copy = Settings {
        db: file.to_owned(),
        media_dir: None,
        ..settings.clone()
    };
    let dest = copy.media_dir_path();
    let n = files
        .copy_to(&dest)
        .with_context(|| format!("copying attachments to {}", dest.display()))?;
    let backup = Store::open_existing(file, 1).context("reading the backup back")?;
    let missing: Vec<String> = backup
        .media_hashes()?
        .into_iter()
        .filter(|sha| !dest.join(sha.as_str()).is_file())
        .map(|sha| sha.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(
            "the backup names attachments that were not in {} (removed meanwhile?): {}",
            settings.media_dir_path().display(),
            missing.join(", ")
        );
    }
    Ok((n, dest))
}

/// `media-gc`: forgets and removes files no release uses, sparing those
/// uploaded (or uploaded again) within the last hour, which a release being
/// written may be about to use.
fn media_gc(settings: &Settings, dry_run: bool) -> anyhow::Result<()> {
    let store = open_existing(settings)?;
    let files = crate::media::MediaFiles::open(&settings.media_dir_path())
        .with_context(|| format!("media folder {}", settings.media_dir_path().display()))?;
    let now = chrono::Utc::now();
    let grace = crate::store::ORPHAN_GRACE
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(3600));
    let old = |sha: &crate::domain::attachment::Sha256Hex| {
        files
            .modified(sha)
            .map_or(true, |t| t.elapsed().is_ok_and(|age| age > grace))
    };
    let mut count = 0usize;
    let mut bytes = 0u64;
    for sha in store.orphan_media(now)? {
        if !old(&sha) {
            continue;
        }
        let size = |sha: &crate::domain::attachment::Sha256Hex| {
            std::fs::metadata(files.path_of(sha)).map_or(0, |m| m.len())
        };
        // The file and its renditions, which go with it.
        let mut gone = vec![sha.clone()];
        if dry_run {
            gone.extend(store.renditions_of(&sha)?.into_iter().map(|r| r.sha256));
            for sha in &gone {
                println!("{sha}");
            }
        } else if let Some(renditions) = store.forget_orphan_media(&sha)? {
            gone.extend(renditions);
            for sha in &gone {
                // Bytes another row still names stay (a rendition equal to
                // another upload).
                if !store.media_known(sha)? {
                    files.remove(sha)?;
                }
            }
        } else {
            continue;
        }
        count += gone.len();
        bytes += gone.iter().map(size).sum::<u64>();
    }
    // Files the database does not know (an upload refused after storing,
    // a crash between the file and its row).
    for sha in files.list()? {
        if store.media_known(&sha)? || !old(&sha) {
            continue;
        }
        let size = std::fs::metadata(files.path_of(&sha)).map_or(0, |m| m.len());
        if dry_run {
            println!("{sha}");
        } else {
            files.remove(&sha)?;
        }
        count += 1;
        bytes += size;
    }
    eprintln!(
        "{} {count} attachment files ({bytes} bytes) no release uses",
        if dry_run { "would remove" } else { "removed" }
    );
    Ok(())
}

/// `media-renditions`: every stored image whose recorded renditions are
/// not the ones its width calls for gets them made (and its shape as
/// shown recorded); safe to run again, and while the server runs.
fn media_renditions(settings: &Settings) -> anyhow::Result<()> {
    let store = open_existing(settings)?;
    let files = crate::media::MediaFiles::open(&settings.media_dir_path())
        .with_context(|| format!("media folder {}", settings.media_dir_path().display()))?;
    let (mut made, mut images, mut failed) = (0usize, 0usize, 0usize);
    for image in store.stored_images()? {
        let have: Vec<u32> = store
            .renditions_of(&image.sha256)?
            .iter()
            .map(|r| r.width)
            .collect();
        if let Some(w) = image.width
            && crate::media::renditions::widths_for(w) == have
        {
            continue;
        }
        match files.make_renditions(&image.sha256, image.media_type, settings.media_max_pixels) {
            Ok((shape, renditions)) => {
                store.set_media_shape(
                    &image.sha256,
                    shape.width,
                    shape.height,
                    chrono::Utc::now(),
                )?;
                store.save_renditions(&image.sha256, &renditions)?;
                made += renditions.len();
                images += 1;
            }
            Err(e) => {
                // One unreadable file does not stop the others.
                eprintln!("{}: {e}", image.sha256);
                failed += 1;
            }
        }
    }
    eprintln!("made {made} renditions of {images} images; {failed} could not be read");
    if failed > 0 {
        bail!("{failed} images could not be read");
    }
    Ok(())
}

fn open_existing(settings: &Settings) -> anyhow::Result<Store> {
    if !database_exists(&settings.db) {
        bail!(
            "no database at {}; give the right one with --db, PRESSFEED_DB or db in the settings file (nothing was created)",
            settings.db.display()
        );
    }
    open(settings)
}

/// Allocations of 64 KiB or more (rendered documents, bodies read back
/// from the cache directory) get pages of their own from the kernel and
/// give them back when freed. glibc's default threshold grows to 32 MiB
/// once such blocks are freed, so feed bodies went into its arenas, and
/// the memory cache's churn (a body of 80 KB evicted for each read back)
/// left tens of MB there that were free but not returned: at 10,000 topics
/// peak RSS was 181-203 MB with this unset, 157 MB with it, at the same
/// throughput (issue 17; README "Many feeds").
fn large_allocations_mapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const THRESHOLD: libc::c_int = 64 * 1024;
        // SAFETY: mallopt only changes a tuning parameter of glibc's
        // allocator; it is called before the server's threads start.
        if unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, THRESHOLD) } != 1 {
            tracing::warn!("could not set the allocator's mmap threshold");
        }
    }
}

fn serve(settings: Settings, demo: bool, init: bool) -> anyhow::Result<()> {
    large_allocations_mapped();
    settings.check_public_base_url()?;
    if !database_exists(&settings.db) && !demo && !init {
        bail!(
            "no database at {}. If it was there before, restore it from a backup (a lost data directory is not replaced by an empty site); to start a new, empty site, run `pressfeed serve --init` once (or `pressfeed migrate`)",
            settings.db.display()
        );
    }
    let store = Arc::new(
        Store::open(&settings.db, settings.db_pool)
            .with_context(|| format!("opening {}", settings.db.display()))?,
    );
    if demo && store.count_releases()? == 0 {
        let now = chrono::Utc::now();
        let drafts: Vec<_> = crate::demo::demo_releases(now)
            .iter()
            .map(|r| {
                r.validate()
                    .map_err(|e| anyhow::anyhow!("demo release: {e:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let file = service::ImportFile::releases(drafts);
        let authority = store.tag_authority(&settings.tag_authority())?;
        service::import(&store, &file, now, &authority, &mut |_| {})?;
        tracing::info!(
            releases = file.drafts.len(),
            "demo releases added (one is scheduled 5 minutes ahead)"
        );
    }
    if store.count_admins()? == 0 {
        tracing::warn!(
            "no newsroom account yet: create one with `pressfeed --db {} create-admin USERNAME`, then sign in at {}/admin/login",
            settings.db.display(),
            settings.base_url()
        );
    }
    let base = settings.base_url();
    let workers = settings.workers();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build_with_store(settings, store, Clock::system())?;
        tracing::info!(port = app.port(), base_url = %base, workers, "pressfeed serving; feeds at {base}/feed.atom");
        if let Some(port) = app.metrics_port() {
            tracing::info!(port, "metrics at /metrics on the private listener (metrics_bind)");
        }
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}

fn import(settings: &Settings, file: &PathBuf) -> anyhow::Result<()> {
    settings.check_public_base_url()?;
    let name = file.display().to_string();
    let reader: Box<dyn std::io::BufRead> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(file).with_context(|| format!("cannot open {name}"))?,
        ))
    };
    let started = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let parsed = service::parse_jsonl(reader);
    let parsed = match parsed {
        Ok(v) => v,
        Err(ImportError::BadLines(errors)) => {
            for e in &errors {
                eprintln!("{name}:{}: {}", e.line, e.message);
            }
            bail!(
                "{name}: {}; nothing was imported",
                counted(errors.len() as u64, "bad line", "bad lines")
            );
        }
        Err(e) => return Err(e).with_context(|| format!("reading {name}")),
    };
    let store = open(settings)?;
    let total = parsed.drafts.len();
    let mut last_shown = std::time::Instant::now();
    let mut progress = |done: usize| {
        if total >= 5000 && (done == total || last_shown.elapsed().as_millis() >= 500) {
            last_shown = std::time::Instant::now();
            let pct = done * 100 / total.max(1);
            if tty {
                eprint!("\rimporting {name}: {done}/{total} ({pct}%)");
                if done == total {
                    eprintln!();
                }
            } else {
                eprintln!("importing {name}: {done}/{total} ({pct}%)");
            }
        }
    };
    let now = chrono::Utc::now();
    let authority = store.tag_authority(&settings.tag_authority())?;
    match service::import(&store, &parsed, now, &authority, &mut progress) {
        Ok(report) => {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{name}: {} ({} new, {} updated, {} unchanged) in {secs:.2} s ({:.0} releases/s)",
                counted(total as u64, "release", "releases"),
                report.created,
                report.updated,
                report.unchanged,
                total as f64 / secs.max(1e-9)
            );
            if !parsed.organizations.is_empty() {
                eprintln!(
                    "{name}: boilerplate of {} ({} changed)",
                    counted(
                        parsed.organizations.len() as u64,
                        "organisation",
                        "organisations"
                    ),
                    report.organizations
                );
            }
            Ok(())
        }
        Err(e @ ImportError::Boilerplate { .. }) => Err(e).context(format!("importing {name}")),
        Err(ImportError::BadLines(errors)) => {
            for e in &errors {
                eprintln!("{name}:{}: {}", e.line, e.message);
            }
            bail!("{name}: nothing was imported");
        }
        Err(e) => Err(e).with_context(|| format!("importing {name}; nothing was imported")),
    }
}

fn export(settings: &Settings, output: Option<PathBuf>) -> anyhow::Result<()> {
    let store = open_existing(settings)?;
    let mut out: Box<dyn Write> = match &output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    match service::export(&store, &mut out) {
        Ok(n) => {
            eprint!(
                "exported {}",
                counted(n.releases as u64, "release", "releases")
            );
            if n.organizations > 0 {
                eprint!(
                    " and the boilerplate of {}",
                    counted(n.organizations as u64, "organisation", "organisations")
                );
            }
            eprintln!();
            Ok(())
        }
        // The reader stopped reading (`pressfeed export | head`): it has
        // what it wanted, so stop quietly, as other Unix tools do.
        Err(StoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(())
        }
        Err(e) => Err(e).context("exporting"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_token_table_says_which_tokens_still_work() {
        use chrono::TimeZone;
        let at = |h| chrono::Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap();
        let token = |name: &str| crate::store::TokenRecord {
            name: name.to_owned(),
            created_at: at(1),
            expires_at: None,
            last_used_at: None,
            revoked_at: None,
        };
        let tokens = [
            crate::store::TokenRecord {
                expires_at: Some(at(5)),
                last_used_at: Some(at(4)),
                ..token("expired")
            },
            crate::store::TokenRecord {
                expires_at: Some(at(7)),
                ..token("later")
            },
            crate::store::TokenRecord {
                revoked_at: Some(at(2)),
                ..token("gone")
            },
        ];
        let table = token_table(&tokens, at(6));
        assert_eq!(
            table,
            "NAME     CREATED               EXPIRES               LAST USED             STATE\n\
             expired  2026-03-01 01:00 UTC  2026-03-01 05:00 UTC  2026-03-01 04:00 UTC  expired\n\
             later    2026-03-01 01:00 UTC  2026-03-01 07:00 UTC  never                 active\n\
             gone     2026-03-01 01:00 UTC  never                 never                 revoked\n"
        );
    }
}
