//! Storage errors: "not found" and "conflict" are answers, not failures.

use thiserror::Error;

/// A unique value that was already taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Email,
    Phone,
    LockId,
    ApiKey,
    /// Another unique constraint (an id collision, a second key for the same pair).
    Other,
}

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0:?} already taken")]
    Conflict(UniqueField),
    #[error("database error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T> = std::result::Result<T, StoreError>;
