//! Noticing commits cheaply, from any process.
//!
//! Every pressfeed connection runs [`after_commit`] right after each commit
//! (SQLite's WAL hook): it writes a fresh mark into `<db>-changes`. A reader
//! compares that mark, read through a shared memory mapping of the file (no
//! system call), instead of starting a SQLite read transaction (`PRAGMA
//! data_version`, a few microseconds of shared-memory locking; a `pread`
//! of the mark still cost 5 % of the CPU of a server answering 304s).
//! Writers acknowledge a write (HTTP 2xx, `import` exit 0) only after the
//! hook ran, so an acknowledged write is always seen by the next request. Writes by other programs (the sqlite3 shell) are
//! still caught by a `PRAGMA data_version` poll at most a second apart.

use memmap2::{Mmap, MmapOptions};
use rusqlite::hooks::Wal;
use std::fs::File;
use std::os::raw::c_int;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// SQLite's default auto-checkpoint size, which a WAL hook replaces.
const AUTOCHECKPOINT_PAGES: c_int = 1000;
const MARK_LEN: usize = 24;

/// Change files of every store open in this process.
static OPEN: Mutex<Vec<Weak<File>>> = Mutex::new(Vec::new());
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

pub(super) fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-changes");
    PathBuf::from(name)
}

/// The change file of one store, mapped for reading.
pub(super) struct ChangeFile {
    /// Kept open (and registered in [`OPEN`]) so our own commits mark it.
    _file: Arc<File>,
    map: Mmap,
}

/// Opens (creating, owner-only) the change file of `db` and registers it
/// so this process's commits mark it.
pub(super) fn open(db: &Path) -> std::io::Result<ChangeFile> {
    let path = path_for(db);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(path)?;
    // The mapping must never reach past the end of the file. Growing it
    // to the mark's size only ever adds zeros, even racing a writer.
    if file.metadata()?.len() < MARK_LEN as u64 {
        file.set_len(MARK_LEN as u64)?;
    }
    // SAFETY: the mapping is read only through the atomic loads in
    // `ChangeFile::read`, so other processes writing the file meanwhile is
    // expected, not undefined behaviour. pressfeed never shrinks the file
    // (a person truncating it under a running server would crash it).
    let map = unsafe { MmapOptions::new().len(MARK_LEN).map(&file)? };
    let file = Arc::new(file);
    let mut open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    open.retain(|w| w.strong_count() > 0);
    open.push(Arc::downgrade(&file));
    Ok(ChangeFile { _file: file, map })
}

/// WAL hook: runs on the committing connection after every commit.
pub(super) fn after_commit(wal: &Wal, pages: c_int) -> rusqlite::Result<()> {
    mark_all();
    if pages >= AUTOCHECKPOINT_PAGES {
        // As SQLite's own auto-checkpoint would; a busy reader just defers it.
        let _ = wal.checkpoint();
    }
    Ok(())
}

/// Writes a mark no earlier write in any process can have written:
/// process id, wall-clock nanoseconds and a per-process sequence number.
fn mark_all() {
    let mut mark = [0u8; MARK_LEN];
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    mark[..4].copy_from_slice(&std::process::id().to_le_bytes());
    mark[4..12].copy_from_slice(&nanos.to_le_bytes());
    mark[12..20].copy_from_slice(&SEQUENCE.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    for file in open.iter().filter_map(Weak::upgrade) {
        // A failed mark (disk full) is caught by the data_version poll.
        let _ = file.write_at(&mark, 0);
    }
}

impl ChangeFile {
    /// The current mark, hashed. A read racing a commit may see part of
    /// the new mark: that is a change too, and that commit is not
    /// acknowledged before its mark is complete.
    pub(super) fn read(&self) -> u64 {
        // SAFETY: the mapping is page-aligned and MARK_LEN (three words)
        // long, and lives as long as `self`.
        let words = unsafe { &*self.map.as_ptr().cast::<[AtomicU64; MARK_LEN / 8]>() };
        let mut mark = [0u8; MARK_LEN];
        for (chunk, word) in mark.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&word.load(Ordering::Acquire).to_ne_bytes());
        }
        xxhash_rust::xxh3::xxh3_64(&mark)
    }
}
