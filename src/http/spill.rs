//! Rendered documents spilled to a cache directory beside the database
//! (`<db>-cache/` unless `cache_dir` says otherwise), so that what does not
//! fit in `cache_bytes` stays in the kernel's page cache instead of being
//! rendered again: reading 100 KB from the page cache costs microseconds, a
//! render about a millisecond.
//!
//! A file is named by its variant's ETag (a hash of the identity body plus
//! the encoding), so it holds exactly those bytes or it is not there: a
//! stale file is never served, because a request only asks for the name of
//! the validators that are current for its scope version. Files are
//! written to a temporary name and renamed, so a reader sees a whole file
//! or none. The directory's contents are ours: it is emptied of our files
//! at start and bounded in bytes (least recently used go first). If an
//! operator deletes it while the server runs, reads fail and the document
//! is rendered again (and the directory made again on the next write).

use super::cache::DocKey;
use super::conditional::{Encoding, Validators};
use bytes::Bytes;
use lru::LruCache;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What is on disk for one variant of one document.
struct File {
    name: String,
    len: usize,
}

struct Held {
    files: LruCache<(DocKey, Encoding), File>,
    bytes: u64,
}

pub struct Spill {
    dir: PathBuf,
    max_bytes: u64,
    held: Mutex<Held>,
    /// Makes temporary names unique within the process.
    next_tmp: AtomicU64,
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    buffers: Arc<Buffers>,
}

/// Buffers that bodies read back from disk are held in while they are sent,
/// used again once sent. A fresh buffer for each read cost a tenth of the
/// server's time on full GETs of spilled documents (measured at 10,000
/// topics): bodies are over glibc's mmap threshold (`cli.rs`), so each one
/// was mapped, faulted in page by page and unmapped, with a TLB shootdown
/// on the other core each time. At most `MAX_POOLED` buffers of at most
/// `MAX_POOLED_LEN` bytes are kept (about as many as bodies in flight at
/// once); larger bodies get a buffer of their own, as before.
#[derive(Default)]
struct Buffers(Mutex<Vec<Vec<u8>>>);

const MAX_POOLED: usize = 64;
const MAX_POOLED_LEN: usize = 1024 * 1024;

/// A body in a pooled buffer: goes back to the pool when `Bytes` drops it.
struct Pooled {
    buf: Vec<u8>,
    pool: Arc<Buffers>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.capacity() <= MAX_POOLED_LEN {
            let mut free = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
            if free.len() < MAX_POOLED {
                free.push(buf);
            }
        }
    }
}

impl Buffers {
    /// The whole of `path`, which should be `len` bytes long (`None` if it
    /// is not, or cannot be read).
    fn read(self: &Arc<Self>, path: &Path, len: usize) -> Option<Bytes> {
        if len > MAX_POOLED_LEN {
            return std::fs::read(path)
                .ok()
                .filter(|b| b.len() == len)
                .map(Bytes::from);
        }
        let mut buf = {
            let mut free = self.0.lock().unwrap_or_else(|p| p.into_inner());
            // The most recently returned buffer is the likeliest to be in
            // the CPU's caches.
            free.pop().unwrap_or_default()
        };
        buf.clear();
        // One byte more than expected: a file that grew is caught by the
        // length check, not cut short.
        buf.reserve(len + 1);
        let read =
            std::fs::File::open(path).and_then(|f| f.take(len as u64 + 1).read_to_end(&mut buf));
        let pooled = Pooled {
            buf,
            pool: Arc::clone(self),
        };
        match read {
            Ok(n) if n == len => Some(Bytes::from_owner(pooled)),
            _ => None,
        }
    }
}

/// Our file names: the ETag's hex hash, the encoding's suffix, `.body`;
/// temporary ones start with `.tmp-`.
fn is_ours(name: &str) -> bool {
    name.starts_with(".tmp-") || name.ends_with(".body")
}

fn file_name(meta: &Validators, enc: Encoding) -> Option<String> {
    let tag = meta.etag(enc).to_str().ok()?.trim_matches('"');
    tag.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        .then(|| format!("{tag}.body"))
}

impl Spill {
    /// Opens (making it owner-only if it is new) and empties the cache
    /// directory of the files a previous run left. `None` when
    /// `max_bytes` is 0 (off) or the directory cannot be made: the server
    /// then renders what memory does not hold, as before.
    pub fn open(dir: PathBuf, max_bytes: u64) -> Option<Self> {
        if max_bytes == 0 {
            return None;
        }
        if let Err(e) = make_dir(&dir) {
            tracing::warn!(dir = %dir.display(), error = %e, "no cache directory: documents beyond cache_bytes are rendered again");
            return None;
        }
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(is_ours) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Some(Self {
            dir,
            max_bytes,
            held: Mutex::new(Held {
                files: LruCache::unbounded(),
                bytes: 0,
            }),
            next_tmp: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            buffers: Arc::default(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The body of `key` in `enc` whose validators are `meta`, if it is on
    /// disk. Reads from the page cache: call where a short blocking read
    /// is acceptable.
    pub fn read(&self, key: &DocKey, meta: &Validators, enc: Encoding) -> Option<Bytes> {
        let name = file_name(meta, enc)?;
        let len = {
            let mut held = self.lock();
            let file = held.files.get(&(key.clone(), enc))?;
            if file.name != name {
                return None;
            }
            file.len
        };
        match self.buffers.read(&self.dir.join(&name), len) {
            Some(body) => {
                self.reads.fetch_add(1, Ordering::Relaxed);
                Some(body)
            }
            // Deleted or changed by someone else: forget it, render again.
            _ => {
                self.forget(key, enc, &name);
                None
            }
        }
    }

    fn forget(&self, key: &DocKey, enc: Encoding, name: &str) {
        let mut held = self.lock();
        let k = (key.clone(), enc);
        if held.files.peek(&k).is_some_and(|f| f.name == name)
            && let Some(f) = held.files.pop(&k)
        {
            held.bytes -= f.len as u64;
        }
    }

    /// Writes `body`, the variant `enc` of `key` with validators `meta`,
    /// and removes the variant it replaces and, beyond the bound, the
    /// least recently used. Failures are logged and cost only a render
    /// later. Blocking: call off the async threads.
    pub fn write(&self, key: &DocKey, meta: &Validators, enc: Encoding, body: &[u8]) {
        let Some(name) = file_name(meta, enc) else {
            return;
        };
        if body.len() as u64 > self.max_bytes {
            return;
        }
        let k = (key.clone(), enc);
        if self.lock().files.peek(&k).is_some_and(|f| f.name == name) {
            return;
        }
        if let Err(e) = self.write_file(&name, body) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "cannot write to the cache directory");
            return;
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        let mut remove = Vec::new();
        {
            let mut held = self.lock();
            held.bytes += body.len() as u64;
            if let Some((_, old)) = held.files.push(
                k,
                File {
                    name: name.clone(),
                    len: body.len(),
                },
            ) {
                held.bytes -= old.len as u64;
                if old.name != name {
                    remove.push(old.name);
                }
            }
            while held.bytes > self.max_bytes {
                match held.files.pop_lru() {
                    Some((_, old)) => {
                        held.bytes -= old.len as u64;
                        remove.push(old.name);
                    }
                    None => break,
                }
            }
        }
        // Two documents with the same bytes share a name: keep a file one
        // of them still names.
        for old in remove {
            let still_named = self.lock().files.iter().any(|(_, f)| f.name == old);
            if !still_named {
                let _ = std::fs::remove_file(self.dir.join(old));
            }
        }
    }

    fn write_file(&self, name: &str, body: &[u8]) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.next_tmp.fetch_add(1, Ordering::Relaxed)
        ));
        let created = match std::fs::File::create(&tmp) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // Deleted while we ran: make it again.
                make_dir(&self.dir)?;
                std::fs::File::create(&tmp)
            }
            other => other,
        };
        let result = created
            .and_then(|mut f| f.write_all(body))
            .and_then(|()| std::fs::rename(&tmp, self.dir.join(name)));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// (files, bytes) on disk now.
    pub fn usage(&self) -> (usize, u64) {
        let held = self.lock();
        (held.files.len(), held.bytes)
    }
}

/// The cache directory, owner-only: the feeds are public, but the
/// directory is no business of other local users.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::conditional::Representation;

    fn doc(body: &[u8]) -> Representation {
        Representation::new("text/plain", body.to_vec(), chrono::Utc::now(), None)
    }

    /// A buffer used again holds only the new body (none of a longer one
    /// before it), a file of another length is refused, and the pool keeps
    /// at most `MAX_POOLED` buffers however many bodies were out at once.
    #[test]
    fn pooled_buffers_hold_exactly_the_file_read() {
        let dir = tempfile::tempdir().unwrap();
        let (long, short) = (dir.path().join("long"), dir.path().join("short"));
        std::fs::write(&long, vec![b'L'; 100_000]).unwrap();
        std::fs::write(&short, b"short body").unwrap();
        let pool = Arc::new(Buffers::default());
        let first = pool.read(&long, 100_000).unwrap();
        assert_eq!(first.len(), 100_000);
        drop(first);
        assert_eq!(pool.0.lock().unwrap().len(), 1);
        let again = pool.read(&short, 10).unwrap();
        assert_eq!(&again[..], b"short body");
        drop(again);
        assert!(pool.read(&short, 9).is_none(), "the file grew");
        assert!(pool.read(&short, 11).is_none(), "the file shrank");
        assert!(pool.read(&dir.path().join("gone"), 10).is_none());
        let out: Vec<Bytes> = (0..MAX_POOLED + 10)
            .map(|_| pool.read(&short, 10).unwrap())
            .collect();
        assert!(out.iter().all(|b| &b[..] == b"short body"));
        drop(out);
        assert_eq!(pool.0.lock().unwrap().len(), MAX_POOLED);
    }

    #[test]
    fn serves_only_the_current_variant_and_stays_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db-cache");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("0123456789abcdef.body"), b"left over").unwrap();
        std::fs::write(path.join("README"), b"not ours").unwrap();
        let spill = Spill::open(path.clone(), 25).unwrap();
        assert!(
            !path.join("0123456789abcdef.body").exists(),
            "emptied at start"
        );
        assert!(path.join("README").exists(), "only our files are removed");

        let key = DocKey::Opml;
        let v1 = doc(b"version one");
        spill.write(&key, v1.validators(), Encoding::Identity, b"version one");
        assert_eq!(
            spill
                .read(&key, v1.validators(), Encoding::Identity)
                .as_deref(),
            Some(&b"version one"[..])
        );
        assert!(spill.read(&key, v1.validators(), Encoding::Gzip).is_none());
        let v2 = doc(b"version two");
        assert!(
            spill
                .read(&key, v2.validators(), Encoding::Identity)
                .is_none(),
            "a newer version never gets the old file"
        );
        spill.write(&key, v2.validators(), Encoding::Identity, b"version two");
        assert_eq!(spill.usage(), (1, 11), "the old variant's file is gone");

        let other = DocKey::Feed(crate::model::FeedScope::All, crate::feeds::Format::Rss);
        let v3 = doc(b"a third document");
        spill.write(
            &other,
            v3.validators(),
            Encoding::Identity,
            b"a third document",
        );
        assert!(spill.usage().1 <= 25, "bounded");
        assert!(
            spill
                .read(&key, v2.validators(), Encoding::Identity)
                .is_none()
        );
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 2);

        // Deleted under our feet: a miss, then written again.
        std::fs::remove_dir_all(&path).unwrap();
        assert!(
            spill
                .read(&other, v3.validators(), Encoding::Identity)
                .is_none()
        );
        spill.write(
            &other,
            v3.validators(),
            Encoding::Identity,
            b"a third document",
        );
        assert!(
            spill
                .read(&other, v3.validators(), Encoding::Identity)
                .is_some()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
