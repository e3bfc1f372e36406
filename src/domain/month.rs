//! A calendar month in UTC: what an archive document (RFC 5005) and a
//! month page hold.

use chrono::{DateTime, Datelike, TimeZone, Utc};

/// A UTC month between year 1000 and 9999 (four-digit years, so every
/// month has exactly one address and they sort as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// From the two path segments `YYYY` and `MM` (exactly four and two
    /// digits: `/archive/2024/5/` is not an address of May).
    pub fn parse(year: &str, month: &str) -> Option<Self> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        Self::new(year, month)
    }

    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1000..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month an instant (in milliseconds) falls in.
    pub fn of_ms(ms: i64) -> Option<Self> {
        let t = DateTime::from_timestamp_millis(ms)?;
        Self::of(t)
    }

    pub fn of(t: DateTime<Utc>) -> Option<Self> {
        Self::new(t.year(), t.month())
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// Its first instant, in milliseconds.
    pub fn start_ms(self) -> i64 {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .map_or(0, |t| t.timestamp_millis())
    }

    /// The first instant after it, in milliseconds.
    pub fn end_ms(self) -> i64 {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .single()
            .map_or(i64::MAX, |t| t.timestamp_millis())
    }

    /// `YYYY`, as in its address.
    pub fn year_segment(self) -> String {
        format!("{:04}", self.year)
    }

    /// `MM`, as in its address.
    pub fn month_segment(self) -> String {
        format!("{:02}", self.month)
    }

    /// `YYYY-MM`: the key its change stamp is stored under.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `May 2024`, for feed titles (English, chrono's month names; pages
    /// write it in their language, `i18n::Ui::month_year`).
    pub fn label(self) -> String {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .map_or_else(|| self.to_string(), |d| d.format("%B %Y").to_string())
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_its_own_address_and_knows_its_bounds() {
        let may = Month::parse("2024", "05").unwrap();
        assert_eq!(may.key(), "2024-05");
        assert_eq!(may.start_ms(), 1_714_521_600_000);
        assert_eq!(may.end_ms(), 1_717_200_000_000);
        let dec = Month::parse("2023", "12").unwrap();
        assert_eq!(dec.end_ms(), Month::parse("2024", "01").unwrap().start_ms());
        assert_eq!(Month::of_ms(may.end_ms() - 1), Some(may));
        for (y, m) in [
            ("2024", "5"),
            ("2024", "13"),
            ("2024", "00"),
            ("24", "05"),
            ("0999", "01"),
            ("２０２４", "05"),
            ("2024", "+5"),
        ] {
            assert_eq!(Month::parse(y, m), None, "{y}/{m}");
        }
        assert!(Month::parse("2023", "12").unwrap() < may);
        assert_eq!(may.label(), "May 2024");
    }
}
