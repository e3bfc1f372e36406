//! Shared pieces of newsroom pages.

use crate::http::routes::{Name, url};
use crate::http::{AppState, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};

/// What the newsroom layout needs.
pub struct AdminPage {
    pub title: String,
    pub site_title: String,
    /// Set when signed in (shows the menu and the sign-out button).
    pub username: Option<String>,
    pub csrf: String,
    /// A one-line message at the top (saved, retracted...).
    pub notice: Option<String>,
    /// Shows the notice as a warning (nothing was saved, session ended).
    pub alert: bool,
}

impl AdminPage {
    pub fn new(
        state: &AppState,
        title: impl Into<String>,
        admin: Option<&super::CurrentAdmin>,
    ) -> Self {
        Self {
            title: title.into(),
            site_title: state.settings.site_title.clone(),
            username: admin.map(|a| a.username.clone()),
            csrf: admin.map(|a| a.csrf.clone()).unwrap_or_default(),
            notice: None,
            alert: false,
        }
    }
}

pub fn error_page(status: StatusCode, message: &str) -> HttpResponse {
    crate::http::error::error_page(status, message)
}

/// Unknown paths under `/admin` (reached only when signed in).
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let home = url(Name::AdminHome, &[]);
    if req.path().strip_prefix(home.as_str()) == Some("/") {
        return see_other(&home);
    }
    error_page(StatusCode::NOT_FOUND, "There is nothing at this address.")
}

pub async fn stylesheet() -> HttpResponse {
    crate::http::css(
        include_str!("../../static/admin.css"),
        "public, max-age=3600",
    )
}

/// A time as the office reads it.
pub fn office_time(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.settings.tz())
        .format("%-d %b %Y, %H:%M %Z")
        .to_string()
}

/// A time in the office's zone and, when the office is elsewhere, in UTC:
/// "24 Dec 2026, 09:00 CET (08:00 UTC)".
pub fn office_and_utc(state: &AppState, t: DateTime<Utc>) -> String {
    let local = office_time(state, t);
    let tz = state.settings.tz();
    if tz == chrono_tz::UTC {
        return local;
    }
    let same_day = t.with_timezone(&tz).date_naive() == t.date_naive();
    let utc = if same_day {
        t.format("%H:%M UTC")
    } else {
        t.format("%-d %b %Y, %H:%M UTC")
    };
    format!("{local} ({utc})")
}

/// How long until `t`, roughly: "in 3 days 4 hours", "in 25 minutes".
pub fn time_until(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    fn unit(n: i64, one: &str) -> String {
        crate::wording::counted(n.unsigned_abs(), one, &format!("{one}s"))
    }
    let minutes = (t - now).num_minutes();
    if t <= now {
        return "now".to_owned();
    }
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let text = match (days, hours, mins) {
        (0, 0, 0) => return "in less than a minute".to_owned(),
        (0, 0, m) => unit(m, "minute"),
        (0, h, 0) => unit(h, "hour"),
        (0, h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
        (d, 0, _) => unit(d, "day"),
        (d, h, _) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    };
    format!("in {text}")
}

/// When a scheduled release goes out, for the form and the list:
/// "24 Dec 2026, 09:00 CET (08:00 UTC), in 22 days 21 hours".
pub fn going_out(state: &AppState, t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{}, {}", office_and_utc(state, t), time_until(t, now))
}

/// The value of a `datetime-local` input in the office's time zone.
pub fn office_input_value(state: &AppState, t: DateTime<Utc>) -> String {
    t.with_timezone(&state.settings.tz())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Parses a `datetime-local` value (or `YYYY-MM-DD HH:MM`) typed in the
/// office's time zone into UTC.
pub fn parse_office_time(state: &AppState, s: &str) -> Result<DateTime<Utc>, String> {
    use chrono::TimeZone;
    let s = s.trim();
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| "enter a date and time such as 2026-03-01 09:30".to_owned())?;
    let tz = state.settings.tz();
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{s} does not exist in {} (a clock change)", tz.name()))
}

/// Publishing languages the form offers first (any tag is accepted).
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("ar", "العربية — Arabic"),
    ("fr", "Français — French"),
    ("es", "Español — Spanish"),
    ("de", "Deutsch — German"),
    ("pt", "Português — Portuguese"),
    ("ru", "Русский — Russian"),
    ("zh", "中文 — Chinese"),
    ("fa", "فارسی — Persian"),
    ("he", "עברית — Hebrew"),
    ("ur", "اردو — Urdu"),
    ("tr", "Türkçe — Turkish"),
    ("it", "Italiano — Italian"),
    ("nl", "Nederlands — Dutch"),
];

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The language select, with `current` present and selected.
pub fn language_choices(current: &str) -> Vec<Choice> {
    let mut out: Vec<Choice> = LANGUAGES
        .iter()
        .map(|(tag, label)| Choice {
            value: (*tag).to_owned(),
            label: (*label).to_owned(),
            selected: *tag == current,
        })
        .collect();
    if !current.is_empty() && !out.iter().any(|c| c.selected) {
        out.push(Choice {
            value: current.to_owned(),
            label: current.to_owned(),
            selected: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn says_how_long_until_a_time() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        for (later, text) in [
            (Duration::seconds(30), "in less than a minute"),
            (Duration::minutes(1), "in 1 minute"),
            (Duration::minutes(90), "in 1 hour 30 minutes"),
            (Duration::hours(2), "in 2 hours"),
            (Duration::hours(49), "in 2 days 1 hour"),
            (Duration::days(22) + Duration::minutes(5), "in 22 days"),
        ] {
            assert_eq!(time_until(now + later, now), text, "{later}");
        }
        assert_eq!(time_until(now, now), "now");
    }
}
