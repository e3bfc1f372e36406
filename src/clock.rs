//! The one place that reads the time, so tests can move it.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still at `start` until moved.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self {
            manual: Some(Arc::new(AtomicI64::new(start.timestamp_millis()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            None => Utc::now(),
            Some(ms) => {
                DateTime::from_timestamp_millis(ms.load(Ordering::SeqCst)).unwrap_or_default()
            }
        }
    }

    /// Whether this clock only moves when told (waiting does not move it).
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// Moves a manual clock; does nothing to the system clock.
    pub fn set(&self, t: DateTime<Utc>) {
        if let Some(ms) = &self.manual {
            ms.store(t.timestamp_millis(), Ordering::SeqCst);
        }
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }
}
