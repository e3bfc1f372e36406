//! Media contacts of releases (`release_contacts`); notes to editors are a
//! column of `releases` (README "Press-release furniture").

use super::scopes::ChangedScopes;
use super::{Result, Store, to_ms};
use crate::domain::MediaContact;
use crate::model::Release;
use crate::store::db::{self, Conn, OptionalExtension, Row, params};
use chrono::{DateTime, Utc};

const SELECT: &str = "SELECT release_id, name, role, email, phone FROM release_contacts";

fn contact(row: &Row<'_>) -> db::Result<(i64, MediaContact)> {
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
    conn: &Conn,
    releases: &mut [Release],
    scan_from: usize,
) -> db::Result<()> {
    if conn.is_postgres() && releases.len() > 1 {
        let ids = db::id_list(releases.iter().map(|r| r.id));
        let rows = conn
            .prepare_cached(&format!(
                "{SELECT} WHERE release_id IN (SELECT value FROM json_each(?1)) \
                 ORDER BY release_id, position"
            ))?
            .query_map([ids], contact)?
            .collect::<db::Result<Vec<_>>>()?;
        super::hand_out(releases, rows, |r, c| r.media_contacts = c);
        return Ok(());
    }
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
            .collect::<db::Result<Vec<_>>>()?;
        if rows.len() < budget {
            super::hand_out(releases, rows, |r, c| r.media_contacts = c);
            return Ok(());
        }
    }
    let mut stmt =
        conn.prepare_cached(&format!("{SELECT} WHERE release_id = ?1 ORDER BY position"))?;
    for r in releases.iter_mut() {
        r.media_contacts = stmt
            .query_map([r.id], contact)?
            .map(|row| row.map(|(_, c)| c))
            .collect::<db::Result<_>>()?;
    }
    Ok(())
}

/// Fills in each release's organisation's "About" boilerplate (one look-up
/// per organisation named).
pub(super) fn attach_about(conn: &Conn, releases: &mut [Release]) -> db::Result<()> {
    let mut of: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT about FROM organization_about WHERE name = ?1")?;
    for r in releases.iter_mut() {
        if !of.contains_key(&r.organization) {
            let about = stmt
                .query_row([&r.organization], |row| row.get(0))
                .optional()?;
            of.insert(r.organization.clone(), about);
        }
        r.about = of.get(&r.organization).cloned().flatten();
    }
    Ok(())
}

/// An organisation as the newsroom's "Organisations" page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationAbout {
    pub name: String,
    /// Its boilerplate (Markdown), if set.
    pub about: Option<String>,
    /// How many releases name it.
    pub releases: i64,
}

impl Store {
    /// Every organisation a release names or that has boilerplate, by name.
    pub fn organizations(&self) -> Result<Vec<OrganizationAbout>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached(
                "SELECT n.name, a.about, \
                 (SELECT count(*) FROM releases r WHERE r.organization = n.name) \
                 FROM (SELECT organization AS name FROM releases \
                       UNION SELECT name FROM organization_about) n \
                 LEFT JOIN organization_about a ON a.name = n.name \
                 ORDER BY lower(n.name), n.name",
            )?
            .query_map([], |r| {
                Ok(OrganizationAbout {
                    name: r.get(0)?,
                    about: r.get(1)?,
                    releases: r.get(2)?,
                })
            })?
            .collect::<db::Result<Vec<_>>>()?)
    }

    /// One organisation's boilerplate, if set.
    pub fn organization_about(&self, name: &str) -> Result<Option<String>> {
        let conn = self.conn()?;
        Ok(conn
            .prepare_cached("SELECT about FROM organization_about WHERE name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?)
    }

    /// Sets (or, with `None`, removes) an organisation's boilerplate;
    /// `false` when it already was that.
    pub fn set_organization_about(
        &self,
        name: &str,
        about: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        Ok(self.set_organization_abouts(&[(name.to_owned(), about.map(str::to_owned))], now)? > 0)
    }

    /// Sets (or, with `None`, removes) the boilerplate of each organisation
    /// named, in one transaction (an import file's organisation lines);
    /// returns how many changed. Every page and feed item of their releases
    /// shows it, in any scope, part or language: a change moves every scope
    /// and every part, once (at worst a few more validators than needed;
    /// boilerplate changes are rare).
    pub fn set_organization_abouts(
        &self,
        settings: &[(String, Option<String>)],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let conn = self.conn()?;
        let tx = conn.begin_write()?;
        let changed: Vec<&(String, Option<String>)> = {
            let mut before =
                tx.prepare_cached("SELECT about FROM organization_about WHERE name = ?1")?;
            let mut changed = Vec::new();
            for setting in settings {
                let stored: Option<String> =
                    before.query_row([&setting.0], |r| r.get(0)).optional()?;
                if stored != setting.1 {
                    changed.push(setting);
                }
            }
            changed
        };
        if changed.is_empty() {
            return Ok(0);
        }
        let now_ms = to_ms(now);
        let scopes = ChangedScopes::everything(&tx, now_ms)?;
        for (name, about) in &changed {
            match about {
                Some(about) => tx
                    .prepare_cached(
                        "INSERT INTO organization_about (name, about, changed_at) \
                         VALUES (?1, ?2, ?3) \
                         ON CONFLICT (name) DO UPDATE SET about = ?2, changed_at = ?3",
                    )?
                    .execute(params![name, about, now_ms])?,
                None => tx
                    .prepare_cached("DELETE FROM organization_about WHERE name = ?1")?
                    .execute([name])?,
            };
        }
        scopes.apply(&tx, now_ms)?;
        tx.commit()?;
        Ok(changed.len())
    }
}

/// Replaces a release's media contacts and notes to editors.
pub(super) fn set_furniture(
    conn: &Conn,
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
