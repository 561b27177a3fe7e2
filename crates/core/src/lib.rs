//! Latchkey's domain, free of I/O: identifiers and secrets, contact normalization,
//! roles, API versions, time formatting and the sign-in throttle. Everything here is a
//! pure function of its inputs (the caller passes the time), so it is unit-tested
//! without a database or a clock.

pub mod access;
pub mod audit;
pub mod contact;
pub mod ids;
pub mod role;
pub mod schedule;
pub mod secret;
pub mod status;
pub mod throttle;
pub mod time;
pub mod version;
