//! The media folder: attachment bytes, one file per SHA-256 (README
//! "Attachments"). An upload is written to a temporary file in the same
//! folder while it arrives (hashed and counted on the way, never held in
//! memory), inspected, then renamed to its hash: a reader sees a whole file
//! or none, and a file used by several releases is stored once. A dropped
//! [`Upload`] (too big, refused, the client went away) removes its
//! temporary file. An image's renditions (`renditions`) are made before
//! anything is stored and stored the same way, by their own hash.

pub mod renditions;
pub mod strip;

use crate::domain::attachment::{MediaType, PdfVerdict, Sha256Hex, pdf_has_script};
use renditions::RenderError;
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Temporary files start with this (a stored file's name is 64 hex digits).
const TEMP_PREFIX: &str = ".upload-";

/// A temporary file this old was left by a process that died mid-upload
/// (another process sharing the folder may be writing a younger one).
const STALE_TEMP: Duration = Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file is larger than the limit of {max} bytes")]
    TooBig { max: u64 },
    #[error(
        "the file is not one of the accepted types (JPEG, PNG, WebP, PDF), judged from its contents"
    )]
    Unsupported,
    #[error("the PDF contains JavaScript or a Launch action, which are not accepted")]
    PdfScript,
    #[error("the PDF's compressed streams expand beyond what is checked for JavaScript")]
    PdfTooDeep,
    #[error("the image is {width}×{height} pixels, more than the limit of {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("the image cannot be read: {0}")]
    BadImage(String),
    #[error("media folder: {0}")]
    Io(#[from] io::Error),
}

impl From<RenderError> for UploadError {
    fn from(e: RenderError) -> Self {
        match e {
            RenderError::TooManyPixels { width, height, max } => {
                Self::TooManyPixels { width, height, max }
            }
            RenderError::BadImage(why) => Self::BadImage(why),
        }
    }
}

impl From<strip::StripError> for UploadError {
    fn from(e: strip::StripError) -> Self {
        Self::BadImage(e.to_string())
    }
}

/// A rendition stored (README "Attachments", *Renditions*): what the
/// store records of it.
pub use crate::store::RenditionRecord as StoredRendition;

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: Sha256Hex,
    pub media_type: MediaType,
    pub length: u64,
    /// An image's, as shown (its EXIF orientation applied).
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// An image's smaller copies for pages, narrowest first.
    pub renditions: Vec<StoredRendition>,
}

/// The media folder.
#[derive(Debug, Clone)]
pub struct MediaFiles {
    dir: PathBuf,
}

impl MediaFiles {
    /// Opens (creating) the folder and removes stale temporary files.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let files = Self {
            dir: dir.to_owned(),
        };
        files.remove_stale_temps(STALE_TEMP)?;
        Ok(files)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with this hash is (or would be).
    pub fn path_of(&self, sha256: &Sha256Hex) -> PathBuf {
        self.dir.join(sha256.as_str())
    }

    /// Stores bytes made here (a rendition, a stripped original) under
    /// their hash as an upload is stored: a temporary file, synced, renamed,
    /// the folder synced; bytes already there are only touched.
    pub fn store_bytes(&self, bytes: &[u8]) -> io::Result<Sha256Hex> {
        let sha256 = Sha256Hex::from_digest(&Sha256::digest(bytes));
        let dest = self.path_of(&sha256);
        if dest.exists() {
            OpenOptions::new()
                .write(true)
                .open(&dest)?
                .set_modified(SystemTime::now())?;
            return Ok(sha256);
        }
        let mut up = self.begin(u64::MAX)?;
        up.file.write_all(bytes)?;
        up.file.sync_all()?;
        if let Some(temp) = up.path.take() {
            if let Err(e) = fs::rename(&temp, &dest) {
                let _ = fs::remove_file(&temp);
                return Err(e);
            }
        }
        File::open(&self.dir)?.sync_all()?;
        Ok(sha256)
    }

    /// Makes and stores the renditions of a stored image (one uploaded
    /// before renditions existed): its shape as shown, and what was stored.
    pub fn make_renditions(
        &self,
        sha256: &Sha256Hex,
        t: MediaType,
        max_pixels: u64,
    ) -> Result<(renditions::Shape, Vec<StoredRendition>), UploadError> {
        let reader = io::BufReader::new(File::open(self.path_of(sha256))?);
        let (shape, made) = renditions::render(reader, t, max_pixels)?;
        Ok((shape, self.store_renditions(made)?))
    }

    fn store_renditions(
        &self,
        made: Vec<renditions::Rendition>,
    ) -> io::Result<Vec<StoredRendition>> {
        let mut out = Vec::with_capacity(made.len());
        for r in made {
            out.push(StoredRendition {
                sha256: self.store_bytes(&r.bytes)?,
                media_type: r.media_type,
                length: u64::try_from(r.bytes.len()).unwrap_or(u64::MAX),
                width: r.width,
                height: r.height,
            });
        }
        Ok(out)
    }

    /// Starts receiving a file of at most `max` bytes.
    pub fn begin(&self, max: u64) -> io::Result<Upload> {
        let name = format!("{TEMP_PREFIX}{:016x}", rand::random::<u64>());
        let path = self.dir.join(name);
        let file = OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&path)?;
        Ok(Upload {
            path: Some(path),
            file,
            hasher: Sha256::new(),
            length: 0,
            max,
            dir: self.dir.clone(),
        })
    }

    /// Every stored file's hash (for orphan collection).
    pub fn list(&self) -> io::Result<Vec<Sha256Hex>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(sha) = entry.file_name().to_str().and_then(Sha256Hex::parse) {
                out.push(sha);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes a stored file (orphan collection).
    pub fn remove(&self, sha256: &Sha256Hex) -> io::Result<()> {
        match fs::remove_file(self.path_of(sha256)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// When a stored file was last written or uploaded again.
    pub fn modified(&self, sha256: &Sha256Hex) -> io::Result<SystemTime> {
        fs::metadata(self.path_of(sha256))?.modified()
    }

    /// Copies every stored file into `dest` (created), hard-linked when it
    /// is on the same file system (stored files never change, so a link is
    /// a copy), each synced. Returns how many.
    pub fn copy_to(&self, dest: &Path) -> io::Result<usize> {
        fs::create_dir_all(dest)?;
        let mut n = 0;
        for sha in self.list()? {
            let from = self.path_of(&sha);
            let to = dest.join(sha.as_str());
            if to.exists() {
                n += 1;
                continue;
            }
            if fs::hard_link(&from, &to).is_err() {
                let temp = dest.join(format!("{TEMP_PREFIX}{sha}"));
                fs::copy(&from, &temp)?;
                File::open(&temp)?.sync_all()?;
                fs::rename(&temp, &to)?;
            }
            n += 1;
        }
        File::open(dest)?.sync_all()?;
        Ok(n)
    }

    fn remove_stale_temps(&self, age: Duration) -> io::Result<()> {
        let now = SystemTime::now();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let is_temp = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(TEMP_PREFIX));
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d > age));
            if is_temp && old {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(())
    }
}

/// A file being received. Dropped before [`Upload::finish`] stores it, it
/// removes its temporary file.
#[derive(Debug)]
pub struct Upload {
    path: Option<PathBuf>,
    file: File,
    hasher: Sha256,
    length: u64,
    max: u64,
    dir: PathBuf,
}

impl Upload {
    /// Appends a chunk; `TooBig` as soon as the file would pass the limit
    /// (the rest is never written).
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), UploadError> {
        let len = u64::try_from(chunk.len()).unwrap_or(u64::MAX);
        if self.length.saturating_add(len) > self.max {
            return Err(UploadError::TooBig { max: self.max });
        }
        self.file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.length += len;
        Ok(())
    }

    pub fn length(&self) -> u64 {
        self.length
    }

    /// Inspects the received bytes and, if they are accepted, stores them
    /// under their hash (durably: the file, then the folder, are synced).
    /// An image is decoded whole and its renditions made before anything
    /// is stored, so an image refused leaves no file behind; with
    /// `strip_metadata` an image's metadata is removed first
    /// (`strip`) and the stripped bytes are what is stored and hashed.
    /// Blocking: call off the async workers.
    pub fn finish(mut self, max_pixels: u64, strip_metadata: bool) -> Result<Stored, UploadError> {
        self.file.sync_all()?;
        let temp = self.path.clone().ok_or(UploadError::Unsupported)?;
        let mut head = [0u8; 16];
        let n = read_head(&temp, &mut head)?;
        let media_type = MediaType::sniff(&head[..n]).ok_or(UploadError::Unsupported)?;
        let files = MediaFiles {
            dir: self.dir.clone(),
        };
        if media_type == MediaType::Pdf {
            let file = File::open(&temp)?;
            // SAFETY: the temporary file is ours alone (create_new, a
            // random name) and nothing writes it any more.
            let map = unsafe { memmap2::Mmap::map(&file)? };
            match pdf_has_script(&map) {
                PdfVerdict::Clean => {}
                PdfVerdict::Script => return Err(UploadError::PdfScript),
                PdfVerdict::TooDeep => return Err(UploadError::PdfTooDeep),
            }
            let sha256 = self.store_as_received()?;
            return Ok(Stored {
                sha256,
                media_type,
                length: self.length,
                width: None,
                height: None,
                renditions: Vec::new(),
            });
        }
        let (sha256, length, shape, made) = if strip_metadata {
            let original = fs::read(&temp)?;
            // The header first: the pixel count is checked before anything
            // is decoded, and the orientation is kept.
            let shape = renditions::shape(Cursor::new(&original), media_type, max_pixels)?;
            let stripped = strip::strip_metadata(&original, media_type, shape.orientation)?;
            drop(original);
            let (shape, made) = renditions::render(Cursor::new(&stripped), media_type, max_pixels)?;
            let sha256 = files.store_bytes(&stripped)?;
            let length = u64::try_from(stripped.len()).unwrap_or(u64::MAX);
            (sha256, length, shape, made)
        } else {
            let reader = io::BufReader::new(File::open(&temp)?);
            let (shape, made) = renditions::render(reader, media_type, max_pixels)?;
            (self.store_as_received()?, self.length, shape, made)
        };
        let stored_renditions = files.store_renditions(made)?;
        Ok(Stored {
            sha256,
            media_type,
            length,
            width: Some(shape.width),
            height: Some(shape.height),
            renditions: stored_renditions,
        })
    }

    /// Stores the received bytes under their hash.
    fn store_as_received(&mut self) -> Result<Sha256Hex, UploadError> {
        let temp = self.path.clone().ok_or(UploadError::Unsupported)?;
        let sha256 = Sha256Hex::from_digest(&self.hasher.clone().finalize());
        let dest = self.dir.join(sha256.as_str());
        if dest.exists() {
            // Already stored (the same bytes uploaded before, or by a
            // concurrent request that got there first): keep that one;
            // the temporary file goes on drop. Touched, so orphan
            // collection (which spares young files) leaves it to the
            // release this upload is for.
            OpenOptions::new()
                .write(true)
                .open(&dest)?
                .set_modified(SystemTime::now())?;
        } else {
            // Atomic: a reader sees no file or the whole one. Two uploads of
            // the same bytes racing here rename identical files.
            fs::rename(&temp, &dest)?;
            self.path = None;
            File::open(&self.dir)?.sync_all()?;
        }
        Ok(sha256)
    }
}

fn read_head(path: &Path, buf: &mut [u8]) -> io::Result<usize> {
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
    }
}
