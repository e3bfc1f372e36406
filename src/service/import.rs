//! Import files: JSON Lines to validated releases, every bad line reported
//! by number, then stored all-or-nothing.

use super::horizon::check_horizon;
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
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Reads JSON Lines into validated releases; every bad line is reported,
/// and any bad line means no releases at all. Blank lines are skipped.
pub fn parse_jsonl(reader: impl BufRead) -> Result<(Vec<ReleaseDraft>, Vec<usize>), ImportError> {
    let mut drafts = Vec::new();
    let mut lines = Vec::new();
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
        match parse_line(text) {
            Ok(d) => {
                drafts.push(d);
                lines.push(line_no);
            }
            Err(message) => errors.push(LineError {
                line: line_no,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok((drafts, lines))
    } else {
        Err(ImportError::BadLines(errors))
    }
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
pub fn import(
    store: &Store,
    drafts: &[ReleaseDraft],
    lines: &[usize],
    now: DateTime<Utc>,
    authority: &str,
    progress: &mut dyn FnMut(usize),
) -> Result<ImportReport, ImportError> {
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
