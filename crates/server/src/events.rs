//! Live events: unlock-request updates and new audit entries, fanned out to `GET /events`
//! subscribers through a bounded broadcast channel. Publishing never waits: a subscriber
//! that falls behind by more than the channel holds is dropped.

use std::sync::Arc;

use tokio::sync::broadcast;

/// Events kept for subscribers that are behind.
pub const CAPACITY: usize = 4096;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unlock request moved (its `UnlockRequest` as JSON).
    UnlockRequest,
    /// An audit entry was committed (the entry as `getActivity` shows it).
    Activity,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnlockRequest => "unlockRequest",
            Kind::Activity => "activity",
        }
    }
}

/// One event, with what subscribers filter and check visibility on.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: Kind,
    pub org_id: String,
    /// The lock's objectId.
    pub lock_id: Option<String>,
    pub request_id: Option<String>,
    pub initiator_id: String,
    pub data: Arc<str>,
}

/// The channel every server task publishes to.
#[derive(Debug, Clone)]
pub struct Events {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Events {
    /// Publishes to whoever listens now; never blocks.
    pub fn publish(&self, event: Event) {
        // No subscriber is not an error.
        let _ = self.sender.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}
