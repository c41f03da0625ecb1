//! authctl administers the `users` table of a FastAPI OAuth2 login service.
//!
//! The domain core (`db`, `users`, `password`, `token`) knows nothing of the command line or of
//! printing; `cli` turns arguments into calls to it and is the only place that prints.

// Unit tests may unwrap: a panic there is the failure report.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bulk;
pub mod cli;
pub mod db;
pub mod error;
pub mod exit;
pub mod password;
pub mod records;
pub mod token;
pub mod users;
