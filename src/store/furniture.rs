//! Media contacts of releases (`release_contacts`); notes to editors are a
//! column of `releases` (README "Press-release furniture").

use super::Result;
use crate::domain::MediaContact;
use crate::model::Release;
use rusqlite::{Connection, Row, params};

const SELECT: &str = "SELECT release_id, name, role, email, phone FROM release_contacts";

fn contact(row: &Row<'_>) -> rusqlite::Result<(i64, MediaContact)> {
    Ok((
        row.get(0)?,
        MediaContact::from_stored(row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?),
    ))
}

/// Fills in each release's media contacts, in order; from `scan_from`
/// releases on with one scan over the releases' span of ids (as
/// attachments are, `media::attach_files`), when that span holds not many
/// more rows than they have.
pub(super) fn attach_contacts(
    conn: &Connection,
    releases: &mut [Release],
    scan_from: usize,
) -> rusqlite::Result<()> {
    if releases.len() >= scan_from
        && let (Some(low), Some(high)) = (
            releases.iter().map(|r| r.id).min(),
            releases.iter().map(|r| r.id).max(),
        )
    {
        let budget = releases.len().saturating_mul(4).saturating_add(256);
        let rows = conn
            .prepare_cached(&format!(
                "{SELECT} WHERE release_id >= ?1 AND release_id <= ?2 \
                 ORDER BY release_id, position LIMIT ?3"
            ))?
            .query_map(
                params![low, high, i64::try_from(budget).unwrap_or(i64::MAX)],
                contact,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        if rows.len() < budget {
            let mut of: std::collections::HashMap<i64, Vec<MediaContact>> =
                std::collections::HashMap::new();
            for (id, c) in rows {
                of.entry(id).or_default().push(c);
            }
            for r in releases.iter_mut() {
                r.media_contacts = of.remove(&r.id).unwrap_or_default();
            }
            return Ok(());
        }
    }
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT} WHERE release_id = ?1 ORDER BY position"))?;
    for r in releases.iter_mut() {
        r.media_contacts = stmt
            .query_map([r.id], contact)?
            .map(|row| row.map(|(_, c)| c))
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(())
}

/// Replaces a release's media contacts and notes to editors.
pub(super) fn set_furniture(
    conn: &Connection,
    release_id: i64,
    contacts: &[MediaContact],
    notes: Option<&str>,
) -> Result<()> {
    conn.prepare_cached("UPDATE releases SET notes_to_editors = ?2 WHERE id = ?1")?
        .execute(params![release_id, notes])?;
    conn.prepare_cached("DELETE FROM release_contacts WHERE release_id = ?1")?
        .execute([release_id])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO release_contacts (release_id, position, name, role, email, phone) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (position, c) in contacts.iter().enumerate() {
        insert.execute(params![
            release_id,
            i64::try_from(position).unwrap_or(i64::MAX),
            c.name(),
            c.role(),
            c.email(),
            c.phone()
        ])?;
    }
    Ok(())
}
