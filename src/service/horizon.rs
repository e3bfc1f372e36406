//! How far ahead anything can be scheduled: the form, the API and import
//! share one limit.

use crate::domain::ValidationError;
use chrono::{DateTime, Utc};

/// How far ahead a release can be scheduled, in years: a mistyped year
/// (9999) must not become an embargo nobody notices.
pub const SCHEDULE_HORIZON_YEARS: u32 = 5;

/// The latest instant a release can be scheduled for.
pub fn schedule_horizon(now: DateTime<Utc>) -> DateTime<Utc> {
    now.checked_add_months(chrono::Months::new(12 * SCHEDULE_HORIZON_YEARS))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Refuses a time beyond [`schedule_horizon`], reported against `field`.
pub(super) fn check_horizon(
    field: &'static str,
    t: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<ValidationError> {
    let limit = schedule_horizon(now);
    (t > limit).then(|| {
        ValidationError::new(
            field,
            format!(
                "this is more than {SCHEDULE_HORIZON_YEARS} years ahead; check the year \
                 (the latest possible date is {})",
                limit.format("%-d %b %Y")
            ),
        )
    })
}
