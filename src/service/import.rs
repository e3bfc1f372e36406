//! Import files: JSON Lines to validated releases, every bad line reported
//! by number, then stored all-or-nothing.

use super::horizon::check_horizon;
use crate::domain::furniture::validate_about;
use crate::domain::{ReleaseDraft, ReleaseInput, Status};
use crate::model::SaveOutcome;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::io::BufRead;

/// One bad line of an import file, shown as `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}; nothing was written", crate::wording::counted(.0.len() as u64, "bad line", "bad lines"))]
    BadLines(Vec<LineError>),
    #[error("cannot read the input: {0}")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{} imported, but the organisations' boilerplate was not saved: {source}", crate::wording::counted(*.releases as u64, "release", "releases"))]
    Boilerplate { releases: usize, source: StoreError },
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Organisation boilerplate settings that changed.
    pub organizations: usize,
}

/// An import file, validated: its releases (each with its line number) and
/// its organisation lines.
#[derive(Debug, Default, Clone)]
pub struct ImportFile {
    pub drafts: Vec<ReleaseDraft>,
    pub lines: Vec<usize>,
    /// Each organisation's "About" boilerplate (name, Markdown; `None`
    /// removes it), at most one line an organisation.
    pub organizations: Vec<(String, Option<String>)>,
}

impl ImportFile {
    /// Releases alone, numbered as if each were a line of a file.
    pub fn releases(drafts: Vec<ReleaseDraft>) -> Self {
        let lines = (1..=drafts.len()).collect();
        ImportFile {
            drafts,
            lines,
            organizations: Vec::new(),
        }
    }
}

/// An organisation line of the import format (and of `export`, which
/// writes one for each organisation with boilerplate, before the
/// releases): `{"type": "organization", "organization": NAME, "about":
/// MARKDOWN}`; a blank or absent `about` removes the setting. Lines without
/// `type` are releases.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationLine {
    #[serde(rename = "type")]
    pub kind: LineKind,
    pub organization: String,
    #[serde(default)]
    pub about: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    Organization,
}

impl OrganizationLine {
    pub fn new(organization: String, about: Option<String>) -> Self {
        OrganizationLine {
            kind: LineKind::Organization,
            organization,
            about,
        }
    }
}

/// One line of an import file, parsed.
enum Line {
    Release(Box<ReleaseDraft>),
    Organization(String, Option<String>),
}

/// Reads JSON Lines into validated releases; every bad line is reported,
/// and any bad line means no releases at all. Blank lines are skipped.
pub fn parse_jsonl(reader: impl BufRead) -> Result<ImportFile, ImportError> {
    let mut file = ImportFile::default();
    let mut organization_lines: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    let mut errors = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line_no = i + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                errors.push(LineError {
                    line: line_no,
                    message: "not valid UTF-8".into(),
                });
                continue;
            }
            Err(e) => return Err(ImportError::Read(e)),
        };
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        match parse_any_line(text) {
            Ok(Line::Release(d)) => {
                file.drafts.push(*d);
                file.lines.push(line_no);
            }
            Ok(Line::Organization(name, about)) => match organization_lines.get(&name) {
                Some(first) => errors.push(LineError {
                    line: line_no,
                    message: format!(
                        "the boilerplate of organisation \"{name}\" is already set on line {first}"
                    ),
                }),
                None => {
                    organization_lines.insert(name.clone(), line_no);
                    file.organizations.push((name, about));
                }
            },
            Err(message) => errors.push(LineError {
                line: line_no,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(file)
    } else {
        Err(ImportError::BadLines(errors))
    }
}

/// One line: an organisation line when it says so (`"type"`), else a release.
fn parse_any_line(text: &str) -> Result<Line, String> {
    // Only a line naming the key `type` can be an organisation line; a
    // release line goes straight to the release parser.
    if text.contains("\"type\"") {
        match serde_json::from_str::<OrganizationLine>(text) {
            Ok(o) => {
                return validate_about(&o.organization, o.about.as_deref().unwrap_or(""))
                    .map(|(name, about)| Line::Organization(name, about))
                    .map_err(|errs| {
                        errs.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    });
            }
            Err(e) => {
                if let Err(release) = parse_line(text) {
                    // A release line has no `type`: the organisation
                    // line's complaint is the one that helps.
                    return Err(if release.contains("unknown field `type`") {
                        format!("not an organisation line in the import format: {e}")
                    } else {
                        release
                    });
                }
            }
        }
    }
    parse_line(text).map(|d| Line::Release(Box::new(d)))
}

/// One import line to a validated release, or what is wrong with it.
pub fn parse_line(text: &str) -> Result<ReleaseDraft, String> {
    let input: ReleaseInput = serde_json::from_str(text)
        .map_err(|e| format!("not a release in the import format: {e}"))?;
    input.validate().map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Stores releases all-or-nothing. A conflict names the line it came from.
/// The organisation lines are stored after the releases, in a transaction
/// of their own: should that one fail, the releases stay imported and the
/// error says the boilerplate was not.
pub fn import(
    store: &Store,
    file: &ImportFile,
    now: DateTime<Utc>,
    authority: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportReport, ImportError> {
    let (drafts, lines) = (&file.drafts, &file.lines);
    // The same horizon as the form and the API, for releases that would be
    // published one day (a draft's time is its plan, bounded like the form's).
    let too_far: Vec<LineError> = drafts
        .iter()
        .zip(lines)
        .filter(|(d, _)| d.status != Status::Retracted)
        .filter_map(|(d, &line)| {
            check_horizon("published_at", d.published_at, now).map(|e| LineError {
                line,
                message: e.to_string(),
            })
        })
        .collect();
    if !too_far.is_empty() {
        return Err(ImportError::BadLines(too_far));
    }
    let outcomes = store
        .save_releases(drafts, now, authority, progress)
        .map_err(|e| match e {
            StoreError::InBatch { index, source } if !source.is_unavailable() => {
                ImportError::BadLines(vec![LineError {
                    line: lines.get(index).copied().unwrap_or(index + 1),
                    message: source.to_string(),
                }])
            }
            StoreError::InBatch { source, .. } => ImportError::Store(*source),
            other => ImportError::Store(other),
        })?;
    let mut report = ImportReport::default();
    for o in outcomes {
        match o {
            SaveOutcome::Created => report.created += 1,
            SaveOutcome::Updated => report.updated += 1,
            SaveOutcome::Unchanged => report.unchanged += 1,
        }
    }
    if !file.organizations.is_empty() {
        report.organizations = store
            .set_organization_abouts(&file.organizations, now)
            .map_err(|source| ImportError::Boilerplate {
                releases: drafts.len(),
                source,
            })?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_each_bad_line_by_number() {
        let good = r#"{"slug":"a","title":"A","body_html":"<p>x</p>","organization":"O","lang":"en","published_at":"2024-01-01T00:00:00Z","topics":["t"]}"#;
        let input = format!("{good}\n\nnot json\n{}\n", good.replace("\"en\"", "\"??\""));
        match parse_jsonl(input.as_bytes()) {
            Err(ImportError::BadLines(errs)) => {
                assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 4]);
                assert!(errs[1].message.contains("lang"), "{:?}", errs[1]);
            }
            other => panic!("expected bad lines, got {other:?}"),
        }
    }
}
