//! Notifications at the edge (DESIGN §12): the wire formats of the targets and the sender that
//! delivers the outbox. What is routed where, the retry schedule and the signature are pure and
//! live in [`crate::domain`]; the outbox's SQL in the store.

pub mod format;
pub mod sender;

pub use sender::{PASS_EVERY, PassReport, Sender, client, idempotency_key, post};
