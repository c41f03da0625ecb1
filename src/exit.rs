//! authctl's exit status table (README "Exit status"): one number per failure class, never reused.

use std::io;

use crate::error::{Error, Kind};

pub const SUCCESS: u8 = 0;
pub const REJECTED: u8 = 1;
/// clap's own code for a wrong command line.
pub const USAGE: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const CONFLICT: u8 = 4;
pub const INVALID_INPUT: u8 = 5;
pub const BUSY: u8 = 6;
pub const DATABASE_UNUSABLE: u8 = 7;
pub const ENVIRONMENT: u8 = 8;
pub const UNVERIFIABLE: u8 = 9;
pub const INTERNAL: u8 = 70;

pub fn for_kind(kind: Kind) -> u8 {
    match kind {
        Kind::Rejected => REJECTED,
        Kind::Usage => USAGE,
        Kind::NotFound => NOT_FOUND,
        Kind::Conflict => CONFLICT,
        Kind::Invalid => INVALID_INPUT,
        Kind::Busy => BUSY,
        Kind::DatabaseUnusable => DATABASE_UNUSABLE,
        Kind::Environment => ENVIRONMENT,
        Kind::Unverifiable => UNVERIFIABLE,
        Kind::Internal => INTERNAL,
    }
}

/// The exit code for an error that reached `main`.
///
/// NOTE: a closed stdout (`authctl list-users | head -1`) is the reader's choice, not a failure:
/// like ripgrep, a broken pipe anywhere in the chain exits 0.
pub fn for_error(err: &anyhow::Error) -> u8 {
    if is_broken_pipe(err) {
        return SUCCESS;
    }
    for_kind(kind_of(err))
}

/// The class of an error that reached `main`: the first domain error in its chain.
pub fn kind_of(err: &anyhow::Error) -> Kind {
    domain_error(err).map_or(Kind::Internal, Error::kind)
}

pub fn domain_error(err: &anyhow::Error) -> Option<&Error> {
    err.chain().find_map(|cause| cause.downcast_ref::<Error>())
}

pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
