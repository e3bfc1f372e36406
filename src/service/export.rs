//! `export`: the import format, written back. First one organisation line
//! for each organisation with "About" boilerplate (by name), then every
//! release, oldest first; `import` of the output restores both, and a
//! second export is byte for byte the first.

use super::import::OrganizationLine;
use crate::store::{Store, StoreError};
use std::io::Write;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportReport {
    pub organizations: usize,
    pub releases: usize,
}

pub fn export(store: &Store, out: &mut dyn Write) -> Result<ExportReport, StoreError> {
    let io = |source| StoreError::Io {
        path: "<export output>".into(),
        source,
    };
    let mut organizations = 0;
    for o in store.organizations()? {
        if let Some(about) = o.about {
            let line = OrganizationLine::new(o.name, Some(about));
            serde_json::to_writer(&mut *out, &line).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
            organizations += 1;
        }
    }
    let releases = store.export(&mut |input| {
        serde_json::to_writer(&mut *out, &input)?;
        out.write_all(b"\n")
    })?;
    out.flush().map_err(io)?;
    Ok(ExportReport {
        organizations,
        releases,
    })
}
