//! What is known about stored attachments (the bytes are in the media
//! folder, `crate::media`).

use super::{Conflict, Result, Store, to_ms};
use crate::domain::attachment::{AttachmentRef, MediaType, Sha256Hex, rendition_filename};
use crate::model::{Attachment, AttachmentRendition, Release};
use crate::store::db::{self, Conn, OptionalExtension, Row, params};
use chrono::{DateTime, Duration, Utc};

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

/// A rendition of a stored image (README "Attachments", *Renditions*).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenditionRecord {
    pub sha256: Sha256Hex,
    pub media_type: MediaType,
    pub length: u64,
    pub width: u32,
    pub height: u32,
}

/// A rendition's row as a [`MediaRecord`] (for serving): its own hash,
/// type and length, its source's name with the width, no alt or caption.
/// `visible` is a condition on `m`, the source's row.
fn rendition_served(
    conn: &Conn,
    sha256: &Sha256Hex,
    visible: &str,
    now_ms: i64,
) -> db::Result<Option<MediaRecord>> {
    conn.prepare_cached(&format!(
        "SELECT mr.sha256, mr.mime, mr.length, m.filename, mr.width, mr.height \
         FROM media_renditions mr JOIN media m ON m.sha256 = mr.source \
         WHERE mr.sha256 = ?1 AND CAST(?2 AS BIGINT) = CAST(?2 AS BIGINT) AND ({visible}) LIMIT 1"
    ))?
    .query_row(params![sha256.as_str(), now_ms], |row| {
        let mime: String = row.get(1)?;
        let media_type = MediaType::from_mime(&mime).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                "media_renditions: unknown type".into(),
            )
        })?;
        let source: String = row.get(3)?;
        let width: u32 = row.get(4)?;
        Ok(MediaRecord {
            sha256: sha256.clone(),
            media_type,
            length: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
            filename: rendition_filename(&source, width, media_type),
            width: Some(width),
            height: Some(row.get(5)?),
            alt: None,
            caption: None,
        })
    })
    .optional()
}

/// Readers may see a release using `m` now (`?2`: now, in ms).
const PUBLIC_USE: &str = "EXISTS (SELECT 1 FROM release_attachments ra \
     JOIN releases r ON r.id = ra.release_id WHERE ra.sha256 = m.sha256 \
     AND r.status = 'published' AND r.published_at <= ?2)";

/// A published release, scheduled ones included, uses `m`.
const PUBLISHED_USE: &str = "EXISTS (SELECT 1 FROM release_attachments ra \
     JOIN releases r ON r.id = ra.release_id WHERE ra.sha256 = m.sha256 \
     AND r.status = 'published')";

/// The renditions column of an attachment row: `width height sha256
/// mime` of each, comma-separated (read by [`renditions_from`]).
const RENDITIONS_COLUMN: &str = "(SELECT group_concat(mr.width || ' ' || mr.height || ' ' \
     || mr.sha256 || ' ' || mr.mime, ',') FROM media_renditions mr WHERE mr.source = ra.sha256)";

fn renditions_from(source: &str, column: Option<String>) -> Vec<AttachmentRendition> {
    let mut out: Vec<AttachmentRendition> = column
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|one| {
            let mut parts = one.split(' ');
            let width = parts.next()?.parse().ok()?;
            let height = parts.next()?.parse().ok()?;
            let sha256 = parts.next()?.to_owned();
            let t = MediaType::from_mime(parts.next()?)?;
            Some(AttachmentRendition {
                filename: rendition_filename(source, width, t),
                sha256,
                width,
                height,
            })
        })
        .collect();
    out.sort_by_key(|r| r.width);
    out
}

fn record(row: &Row<'_>) -> db::Result<MediaRecord> {
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
    /// Records a stored file and its renditions; a file already known
    /// keeps its first record (name, alt, caption), which is returned, and
    /// gains renditions it lacked.
    pub fn save_media(
        &self,
        m: &MediaRecord,
        renditions: &[RenditionRecord],
        now: DateTime<Utc>,
    ) -> Result<MediaRecord> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        tx.prepare_cached(
            "INSERT INTO media \
             (sha256, mime, length, filename, width, height, alt, caption, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
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
        insert_renditions(&tx, &m.sha256, renditions)?;
        let found = tx
            .prepare_cached(&format!("SELECT {COLUMNS} FROM media WHERE sha256 = ?1"))?
            .query_row([m.sha256.as_str()], record)?;
        tx.commit()?;
        Ok(found)
    }

    /// Records renditions made later of a stored image (`media-renditions`).
    pub fn save_renditions(
        &self,
        source: &Sha256Hex,
        renditions: &[RenditionRecord],
    ) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        insert_renditions(&tx, source, renditions)?;
        tx.commit()?;
        Ok(())
    }

    /// A stored image's renditions, narrowest first.
    pub fn renditions_of(&self, source: &Sha256Hex) -> Result<Vec<RenditionRecord>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT sha256, mime, length, width, height FROM media_renditions \
                 WHERE source = ?1 ORDER BY width",
            )?
            .query_map([source.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, u32>(4)?,
                ))
            })?
            .collect::<db::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(sha, mime, length, width, height)| {
                Some(RenditionRecord {
                    sha256: Sha256Hex::parse(&sha)?,
                    media_type: MediaType::from_mime(&mime)?,
                    length: u64::try_from(length).unwrap_or(0),
                    width,
                    height,
                })
            })
            .collect())
    }

    /// Every stored image (for `media-renditions`).
    pub fn stored_images(&self) -> Result<Vec<MediaRecord>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM media WHERE mime LIKE 'image/%' ORDER BY sha256"
            ))?
            .query_map([], record)?
            .collect::<db::Result<_>>()?)
    }

    /// An image's recorded shape, as shown (`media-renditions` corrects
    /// those recorded before orientation was taken into account).
    /// RSS items carry an image's size (`media:content`), so a size that
    /// changes moves every scope's version: no cached feed keeps the old one.
    pub fn set_media_shape(
        &self,
        sha256: &Sha256Hex,
        width: u32,
        height: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let stored: Option<(Option<u32>, Option<u32>)> = tx
            .prepare_cached("SELECT width, height FROM media WHERE sha256 = ?1")?
            .query_row([sha256.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if stored.is_none_or(|shape| shape == (Some(width), Some(height))) {
            return Ok(());
        }
        let now_ms = to_ms(now);
        let scopes = super::scopes::ChangedScopes::everything(&tx, now_ms)?;
        tx.prepare_cached("UPDATE media SET width = ?2, height = ?3 WHERE sha256 = ?1")?
            .execute(params![sha256.as_str(), width, height])?;
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// Any stored file or rendition, whoever may see it (the newsroom's
    /// preview of releases not public yet).
    pub fn any_media(&self, sha256: &Sha256Hex) -> Result<Option<MediaRecord>> {
        if let Some(m) = self.media(sha256)? {
            return Ok(Some(m));
        }
        Ok(rendition_served(&self.conn()?, sha256, "1", 0)?)
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

fn insert_renditions(
    conn: &Conn,
    source: &Sha256Hex,
    renditions: &[RenditionRecord],
) -> db::Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO media_renditions (source, width, height, sha256, mime, length) \
         SELECT ?1, CAST(?2 AS BIGINT), CAST(?3 AS BIGINT), ?4, ?5, CAST(?6 AS BIGINT) \
         WHERE EXISTS (SELECT 1 FROM media WHERE sha256 = ?1) ON CONFLICT DO NOTHING",
    )?;
    for r in renditions {
        insert.execute(params![
            source.as_str(),
            r.width,
            r.height,
            r.sha256.as_str(),
            r.media_type.mime(),
            i64::try_from(r.length).unwrap_or(i64::MAX)
        ])?;
    }
    Ok(())
}

/// Fills in each release's attachments, in order; from `scan_from`
/// releases on, with one scan of the attachment rows over the releases'
/// span of ids when that span holds not many more rows than they have (an
/// archive month: 10,000 lookups, each a statement run, as for topics).
pub(super) fn attach_files(
    conn: &Conn,
    releases: &mut [Release],
    scan_from: usize,
) -> db::Result<()> {
    let select = format!(
        "SELECT ra.release_id, ra.sha256, m.mime, m.length, m.filename, \
         m.width, m.height, coalesce(nullif(ra.caption, ''), m.caption), \
         coalesce(ra.alt, m.alt), ra.lead, {RENDITIONS_COLUMN} \
         FROM release_attachments ra JOIN media m ON m.sha256 = ra.sha256"
    );
    let select = select.as_str();
    fn attachment(row: &Row<'_>) -> db::Result<(i64, Attachment)> {
        let filename: String = row.get(4)?;
        Ok((
            row.get(0)?,
            Attachment {
                sha256: row.get(1)?,
                mime: row.get(2)?,
                length: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
                renditions: renditions_from(&filename, row.get(10)?),
                filename,
                width: row.get(5)?,
                height: row.get(6)?,
                caption: row.get(7)?,
                alt: row.get(8)?,
                lead: row.get(9)?,
            },
        ))
    }
    if conn.is_postgres() && releases.len() > 1 {
        let ids = db::id_list(releases.iter().map(|r| r.id));
        let rows = conn
            .prepare_cached(&format!(
                "{select} WHERE ra.release_id IN (SELECT value FROM json_each(?1)) \
                 ORDER BY ra.release_id, ra.position"
            ))?
            .query_map([ids], attachment)?
            .collect::<db::Result<Vec<_>>>()?;
        super::hand_out(releases, rows, |r, a| r.attachments = a);
        return Ok(());
    }
    if releases.len() >= scan_from
        && let (Some(low), Some(high)) = (
            releases.iter().map(|r| r.id).min(),
            releases.iter().map(|r| r.id).max(),
        )
    {
        let budget = releases.len().saturating_mul(8).saturating_add(256);
        // The primary key (release_id, position) gives the rows grouped by
        // release and in order, so each release's run is already sorted.
        let rows = conn
            .prepare_cached(&format!(
                "{select} WHERE ra.release_id >= ?1 AND ra.release_id <= ?2 \
                 ORDER BY ra.release_id, ra.position LIMIT ?3"
            ))?
            .query_map(
                params![low, high, i64::try_from(budget).unwrap_or(i64::MAX)],
                attachment,
            )?
            .collect::<db::Result<Vec<_>>>()?;
        if rows.len() < budget {
            super::hand_out(releases, rows, |r, a| r.attachments = a);
            return Ok(());
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "{select} WHERE ra.release_id = ?1 ORDER BY ra.position"
    ))?;
    for r in releases.iter_mut() {
        r.attachments = stmt
            .query_map([r.id], attachment)?
            .map(|row| row.map(|(_, a)| a))
            .collect::<db::Result<_>>()?;
    }
    Ok(())
}

/// A release's attachments as stored (its own caption and alt, not the
/// upload's).
pub(super) fn stored_refs(conn: &Conn, release_id: i64) -> Result<Vec<AttachmentRef>> {
    let rows = conn
        .prepare_cached(
            "SELECT sha256, nullif(caption, ''), alt, lead FROM release_attachments \
             WHERE release_id = ?1 ORDER BY position",
        )?
        .query_map([release_id], |row| {
            let sha: String = row.get(0)?;
            Ok((sha, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<db::Result<Vec<(String, Option<String>, Option<String>, bool)>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(sha, caption, alt, lead)| {
            Some(AttachmentRef {
                sha256: Sha256Hex::parse(&sha)?,
                caption,
                alt,
                lead,
            })
        })
        .collect())
}

/// Replaces a release's attachments, checking each names a stored file,
/// that images have alt text (the release's or the upload's) and that the
/// lead is an image.
pub(super) fn set_attachments(conn: &Conn, release_id: i64, refs: &[AttachmentRef]) -> Result<()> {
    let mut known = conn.prepare_cached("SELECT mime, alt FROM media WHERE sha256 = ?1")?;
    for a in refs {
        let found: Option<(String, Option<String>)> = known
            .query_row([a.sha256.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((mime, upload_alt)) = found else {
            return Err(Conflict::UnknownAttachment(a.sha256.to_string()).into());
        };
        let image = MediaType::from_mime(&mime).is_some_and(MediaType::is_image);
        if image && a.alt.is_none() && upload_alt.is_none() {
            return Err(Conflict::AttachmentNeedsAlt(a.sha256.to_string()).into());
        }
        if a.lead && !image {
            return Err(Conflict::LeadNotImage(a.sha256.to_string()).into());
        }
    }
    conn.prepare_cached("DELETE FROM release_attachments WHERE release_id = ?1")?
        .execute([release_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO release_attachments (release_id, position, sha256, caption, alt, lead) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (pos, a) in refs.iter().enumerate() {
        insert.execute(params![
            release_id,
            i64::try_from(pos).unwrap_or(i64::MAX),
            a.sha256.as_str(),
            a.caption.as_deref().unwrap_or(""),
            a.alt,
            a.lead
        ])?;
    }
    Ok(())
}

/// Files older than this are collected when no release uses them; younger
/// ones were probably uploaded for a release still being written.
pub const ORPHAN_GRACE: Duration = Duration::hours(1);

impl Store {
    /// A stored file readers may fetch at `now`: one attached to at least
    /// one release that is public (published and its time come). Files of
    /// drafts, scheduled and retracted releases only are not.
    pub fn public_media(
        &self,
        sha256: &Sha256Hex,
        now: DateTime<Utc>,
    ) -> Result<Option<MediaRecord>> {
        self.visible_media(sha256, PUBLIC_USE, to_ms(now))
    }

    /// A stored file an accredited journalist may fetch: one attached to
    /// a published release, scheduled ones included (their private feeds
    /// show those before the embargo lifts). Renditions likewise.
    pub fn published_media(&self, sha256: &Sha256Hex) -> Result<Option<MediaRecord>> {
        self.visible_media(sha256, PUBLISHED_USE, 0)
    }

    /// A stored file, or a rendition of one, whose source `visible` allows.
    fn visible_media(
        &self,
        sha256: &Sha256Hex,
        visible: &str,
        now_ms: i64,
    ) -> Result<Option<MediaRecord>> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM media m WHERE sha256 = ?1 AND CAST(?2 AS BIGINT) = CAST(?2 AS BIGINT) AND {visible}"
            ))?
            .query_row(params![sha256.as_str(), now_ms], record)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
        Ok(rendition_served(&conn, sha256, visible, now_ms)?)
    }

    /// Attachments not stored with a release yet (the newsroom's
    /// preview), with what is known of their files; unknown files are
    /// left out.
    pub fn attachments_of_refs(&self, refs: &[AttachmentRef]) -> Result<Vec<Attachment>> {
        let mut out = Vec::with_capacity(refs.len());
        for a in refs {
            if let Some(m) = self.media(&a.sha256)? {
                let renditions = self
                    .renditions_of(&a.sha256)?
                    .into_iter()
                    .map(|r| AttachmentRendition {
                        filename: rendition_filename(&m.filename, r.width, r.media_type),
                        sha256: r.sha256.to_string(),
                        width: r.width,
                        height: r.height,
                    })
                    .collect();
                out.push(Attachment {
                    sha256: a.sha256.to_string(),
                    mime: m.media_type.mime().to_owned(),
                    length: m.length,
                    filename: m.filename,
                    width: m.width,
                    height: m.height,
                    caption: a.caption.clone().or(m.caption),
                    alt: a.alt.clone().or(m.alt),
                    lead: a.lead,
                    renditions,
                });
            }
        }
        Ok(out)
    }

    /// A release's attachments as stored (for a save that keeps them).
    pub fn attachment_refs(&self, release_id: i64) -> Result<Vec<AttachmentRef>> {
        stored_refs(&self.conn()?, release_id)
    }

    /// Files no release uses, recorded before `now - ORPHAN_GRACE`.
    pub fn orphan_media(&self, now: DateTime<Utc>) -> Result<Vec<Sha256Hex>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT sha256 FROM media m WHERE created_at < ?1 AND NOT EXISTS \
                 (SELECT 1 FROM release_attachments ra WHERE ra.sha256 = m.sha256) ORDER BY sha256",
            )?
            .query_map([to_ms(now - ORPHAN_GRACE)], |r| r.get::<_, String>(0))?
            .collect::<db::Result<Vec<String>>>()?;
        Ok(rows.iter().filter_map(|s| Sha256Hex::parse(s)).collect())
    }

    /// Forgets a file, and its renditions, if still no release uses it;
    /// `Some` with the renditions' hashes when it did.
    pub fn forget_orphan_media(&self, sha256: &Sha256Hex) -> Result<Option<Vec<Sha256Hex>>> {
        let renditions = self.renditions_of(sha256)?;
        let conn = self.conn()?;
        // The renditions' rows go with it (ON DELETE CASCADE).
        let n = conn
            .prepare_cached(
                "DELETE FROM media WHERE sha256 = ?1 AND NOT EXISTS \
                 (SELECT 1 FROM release_attachments ra WHERE ra.sha256 = media.sha256)",
            )?
            .execute([sha256.as_str()])?;
        Ok((n > 0).then(|| renditions.into_iter().map(|r| r.sha256).collect()))
    }

    /// Every file the database knows: uploads and renditions.
    pub fn media_hashes(&self) -> Result<Vec<Sha256Hex>> {
        let conn = self.conn()?;
        let rows = conn
            .prepare_cached(
                "SELECT sha256 FROM media UNION SELECT sha256 FROM media_renditions ORDER BY 1",
            )?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<db::Result<Vec<String>>>()?;
        Ok(rows.iter().filter_map(|s| Sha256Hex::parse(s)).collect())
    }

    /// Whether the database knows this file (an upload or a rendition).
    pub fn media_known(&self, sha256: &Sha256Hex) -> Result<bool> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM media WHERE sha256 = ?1) \
                 OR EXISTS (SELECT 1 FROM media_renditions WHERE sha256 = ?1)",
            )?
            .query_row([sha256.as_str()], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attachment::AttachmentInput;
    use crate::store::releases::{find_by_slug, test_store};

    /// The one-scan read gives every release the attachments, order,
    /// captions and alt texts the per-release lookups give.
    #[test]
    fn attachments_read_in_one_scan_equal_those_read_one_by_one() {
        let (_dir, store, now) = test_store();
        let sha = |i: u8| format!("{:064x}", u64::from(i) + 1);
        for i in 0..3u8 {
            store
                .save_media(
                    &MediaRecord {
                        sha256: Sha256Hex::parse(&sha(i)).unwrap(),
                        media_type: MediaType::Pdf,
                        length: 100 + u64::from(i),
                        filename: format!("f{i}.pdf"),
                        width: None,
                        height: None,
                        alt: None,
                        caption: Some(format!("upload caption {i}")),
                    },
                    &[],
                    now,
                )
                .unwrap();
        }
        let files = |list: &[(u8, Option<&str>)]| -> Vec<AttachmentInput> {
            list.iter()
                .map(|(i, caption)| AttachmentInput {
                    sha256: sha(*i),
                    caption: caption.map(String::from),
                    ..Default::default()
                })
                .collect()
        };
        let drafts: Vec<_> = (0..5)
            .map(|i| {
                let attachments = match i {
                    0 => files(&[(2, None), (0, Some("own"))]),
                    2 => files(&[(1, None), (2, None), (0, None)]),
                    3 => files(&[(0, None)]),
                    _ => vec![],
                };
                crate::domain::ReleaseInput {
                    slug: format!("r{i}"),
                    title: format!("R{i}"),
                    body_html: "<p>x</p>".into(),
                    organization: "O".into(),
                    lang: "en".into(),
                    published_at: now.to_rfc3339(),
                    attachments,
                    ..Default::default()
                }
                .validate()
                .unwrap()
            })
            .collect();
        store
            .save_releases(&drafts, now, "e.org", &mut |_| {})
            .unwrap();
        let conn = store.conn().unwrap();
        let read = |scan_from| {
            // r3 is left out, so its rows are in the scanned span but not
            // asked for.
            let mut items: Vec<Release> = [0, 1, 2, 4]
                .iter()
                .map(|i| find_by_slug(&conn, &format!("r{i}")).unwrap().unwrap())
                .collect();
            for r in &mut items {
                r.attachments.clear();
            }
            attach_files(&conn, &mut items, scan_from).unwrap();
            items
                .into_iter()
                .map(|r| r.attachments)
                .collect::<Vec<Vec<Attachment>>>()
        };
        let scanned = read(1);
        assert_eq!(scanned, read(usize::MAX));
        let names = |list: &[Attachment]| {
            list.iter()
                .map(|a| (a.filename.clone(), a.caption.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&scanned[0]),
            [
                ("f2.pdf".to_string(), Some("upload caption 2".to_string())),
                ("f0.pdf".to_string(), Some("own".to_string()))
            ]
        );
        assert_eq!(
            names(&scanned[2])
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
            ["f1.pdf", "f2.pdf", "f0.pdf"]
        );
        assert!(
            scanned[1].is_empty() && scanned[3].is_empty(),
            "{scanned:?}"
        );
    }
}
