//! Renders and compressions run on the blocking pool, a few at a time
//! (one per core): a burst of cache misses then waits here, in a queue of
//! bounded length, instead of occupying hundreds of blocking threads that
//! all compete for the same cores. Beyond the queue, a request is told to
//! come back (503 with Retry-After) rather than queue without limit.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct RenderSlots {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// The queue is full: the caller answers 503.
#[derive(Debug)]
pub struct Busy;

impl RenderSlots {
    pub fn new(parallel: usize, max_waiting: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(parallel.max(1))),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// One core's turn for CPU work, once one is free; `Busy` when
    /// `max_waiting` requests are waiting already.
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit, Busy> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let permit = Arc::clone(&self.slots).acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.map_err(|_| Busy)
    }

    /// Requests waiting for a turn now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// A turn however many wait (for background work, which is few).
    pub async fn enter_unbounded(&self) -> Result<OwnedSemaphorePermit, Busy> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|_| Busy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_waits_in_a_bounded_queue() {
        let slots = Arc::new(RenderSlots::new(1, 2));
        let first = slots.enter().await.expect("a free slot");
        let a = tokio::spawn({
            let s = Arc::clone(&slots);
            async move { s.enter().await.is_ok() }
        });
        let b = tokio::spawn({
            let s = Arc::clone(&slots);
            async move { s.enter().await.is_ok() }
        });
        while slots.waiting.load(Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        assert!(slots.enter().await.is_err(), "a third waiter is refused");
        drop(first);
        assert!(a.await.unwrap());
        assert!(b.await.unwrap());
    }
}
