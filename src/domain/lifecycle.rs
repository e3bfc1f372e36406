//! Where a release stands for readers at an instant. This is the one rule
//! for "is it visible now?": the store, the feeds, the pages, the newsroom
//! and the API all ask [`Lifecycle::state`]. Where the store must say it in
//! SQL (the list filters in `store/releases/list.rs`, the feed queries), a
//! test there checks the SQL against this rule.

use super::Status;
use chrono::{DateTime, Utc};

/// What decides a release's [`State`]: its stored status and the time it is
/// published at (for a draft, the time it is planned for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    pub status: Status,
    pub published_at: DateTime<Utc>,
}

/// A release's state at one instant. Only `Public` is in feeds and pages;
/// a `Scheduled` release becomes `Public` by itself when its time comes,
/// with no write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not published; its time, if ahead, is a plan that binds nothing.
    Draft,
    /// Published with a time still in the future (an embargo).
    Scheduled,
    /// Published and visible to readers.
    Public,
    /// Withdrawn: out of every feed, its page answers 410 Gone.
    Retracted,
}

impl Lifecycle {
    pub fn state(self, now: DateTime<Utc>) -> State {
        match self.status {
            Status::Draft => State::Draft,
            Status::Retracted => State::Retracted,
            Status::Published if self.published_at > now => State::Scheduled,
            Status::Published => State::Public,
        }
    }

    /// Whether readers see it at `now`.
    pub fn is_public(self, now: DateTime<Utc>) -> bool {
        self.state(now) == State::Public
    }
}

impl State {
    pub const ALL: [State; 4] = [
        State::Draft,
        State::Scheduled,
        State::Public,
        State::Retracted,
    ];

    /// The name the admin list's filter and the API use. A public release
    /// has always been called "published" there, so it keeps that name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Scheduled => "scheduled",
            State::Public => "published",
            State::Retracted => "retracted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_published_release_is_scheduled_until_its_instant_then_public() {
        let t = Utc.with_ymd_and_hms(2026, 12, 24, 9, 0, 0).unwrap();
        let l = Lifecycle {
            status: Status::Published,
            published_at: t,
        };
        assert_eq!(
            l.state(t - chrono::Duration::milliseconds(1)),
            State::Scheduled
        );
        assert_eq!(l.state(t), State::Public);
        assert!(l.is_public(t));
        let planned = Lifecycle {
            status: Status::Draft,
            ..l
        };
        assert_eq!(planned.state(t), State::Draft);
        assert_eq!(planned.state(t - chrono::Duration::days(1)), State::Draft);
        let retracted = Lifecycle {
            status: Status::Retracted,
            ..l
        };
        assert_eq!(
            retracted.state(t - chrono::Duration::days(1)),
            State::Retracted
        );
        assert!(!retracted.is_public(t));
    }

    #[test]
    fn every_state_round_trips_through_its_name() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
        assert_eq!(State::parse("public"), None);
    }
}
