//! The same test bodies on PostgreSQL (their `TestEnv` is `TestEnv<Postgres>`), but for what
//! only SQLite has (files, pragmas, the docs' examples, the fault tests).

/// Tests of what only SQLite has (files, modes, pragmas, text booleans): left out here.
macro_rules! sqlite_only {
    ($($item:item)*) => {};
}

/// Tests of what only PostgreSQL has: compiled here.
#[allow(unused_macros)]
macro_rules! postgres_only {
    ($($item:item)*) => { $($item)* };
}

/// The engine every subject here runs on.
pub type TestEnv = crate::support::TestEnv<crate::support::Postgres>;

subjects!();

/// Behind a transaction pooler (PgBouncer): every command, many at once, the service beside it.
#[path = "pooler.rs"]
mod pooler;
/// Several hosts, a primary and its standby, client certificates.
#[path = "servers.rs"]
mod servers;
