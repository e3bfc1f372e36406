//! Whether the database file a process has open is still the one at its
//! path. Deleting the data directory (or moving another file over the
//! database) under a running server leaves its connections writing to a file
//! nobody will ever open again: every later write would be acknowledged and
//! lost. The store asks this before every commit and `/healthz` asks it too.

use std::fs::File;
use std::path::{Path, PathBuf};

/// Why the file at the database's path is not the one this process writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detached {
    /// The open file has no name left (`st_nlink == 0`): it, or its
    /// directory, was deleted.
    Deleted,
    /// Another file now sits at the path (a different inode).
    Replaced,
}

impl Detached {
    pub fn message(self) -> &'static str {
        match self {
            Detached::Deleted => {
                "the database file was deleted while the server was running; nothing more can be saved: restore it from a backup and restart the server"
            }
            Detached::Replaced => {
                "the database file was replaced by another file while the server was running; nothing more can be saved: restart the server to use the new file"
            }
        }
    }
}

/// The database file as it was when the store opened it.
#[derive(Debug)]
pub struct FileIdentity {
    path: PathBuf,
    /// Held open so its link count can be read after the name is gone.
    file: File,
    #[cfg(unix)]
    dev_ino: (u64, u64),
}

impl FileIdentity {
    pub fn of(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        #[cfg(unix)]
        let dev_ino = {
            use std::os::unix::fs::MetadataExt;
            let m = file.metadata()?;
            (m.dev(), m.ino())
        };
        Ok(Self {
            path: path.to_owned(),
            file,
            #[cfg(unix)]
            dev_ino,
        })
    }

    /// Two `stat` calls. An error reading either (other than the name being
    /// gone) is left to SQLite, which reports I/O trouble itself.
    #[cfg(unix)]
    pub fn check(&self) -> Result<(), Detached> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) != self.dev_ino => return Err(Detached::Replaced),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Detached::Deleted),
            _ => {}
        }
        match self.file.metadata() {
            Ok(m) if m.nlink() == 0 => Err(Detached::Deleted),
            _ => Ok(()),
        }
    }

    #[cfg(not(unix))]
    pub fn check(&self) -> Result<(), Detached> {
        match std::fs::metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Detached::Deleted),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_and_replaced_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        std::fs::write(&path, b"x").unwrap();
        let id = FileIdentity::of(&path).unwrap();
        assert_eq!(id.check(), Ok(()));
        let other = dir.path().join("b.db");
        std::fs::write(&other, b"y").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(id.check(), Err(Detached::Replaced));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(id.check(), Err(Detached::Deleted));
    }
}
