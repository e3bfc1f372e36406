//! What is known about stored attachments (the bytes are in the media
//! folder, `crate::media`).

use super::{Result, Store, to_ms};
use crate::domain::attachment::{MediaType, Sha256Hex};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};

/// One stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub sha256: Sha256Hex,
    pub media_type: MediaType,
    pub length: u64,
    /// The sanitised name of its first upload: its URL's last part.
    pub filename: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: Option<String>,
    pub caption: Option<String>,
}

const COLUMNS: &str = "sha256, mime, length, filename, width, height, alt, caption";

fn record(row: &Row<'_>) -> rusqlite::Result<MediaRecord> {
    let sha: String = row.get(0)?;
    let mime: String = row.get(1)?;
    let bad = |i, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("media: {what}").into(),
        )
    };
    Ok(MediaRecord {
        sha256: Sha256Hex::parse(&sha).ok_or_else(|| bad(0, "bad sha256"))?,
        media_type: MediaType::from_mime(&mime).ok_or_else(|| bad(1, "unknown type"))?,
        length: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
        filename: row.get(3)?,
        width: row.get(4)?,
        height: row.get(5)?,
        alt: row.get(6)?,
        caption: row.get(7)?,
    })
}

impl Store {
    /// Records a stored file; a file already known keeps its first record
    /// (name, alt, caption), which is returned.
    pub fn save_media(&self, m: &MediaRecord, now: DateTime<Utc>) -> Result<MediaRecord> {
        let conn = self.conn()?;
        conn.prepare_cached(
            "INSERT OR IGNORE INTO media \
             (sha256, mime, length, filename, width, height, alt, caption, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            m.sha256.as_str(),
            m.media_type.mime(),
            i64::try_from(m.length).unwrap_or(i64::MAX),
            m.filename,
            m.width,
            m.height,
            m.alt,
            m.caption,
            to_ms(now)
        ])?;
        let found = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM media WHERE sha256 = ?1"))?
            .query_row([m.sha256.as_str()], record)?;
        Ok(found)
    }

    /// The record of a stored file.
    pub fn media(&self, sha256: &Sha256Hex) -> Result<Option<MediaRecord>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM media WHERE sha256 = ?1"))?
            .query_row([sha256.as_str()], record)
            .optional()?)
    }
}
