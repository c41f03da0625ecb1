//! Fixtures for the domain's unit tests: SQLite databases made and changed through the seam, as
//! another writer would change them, so that no domain test speaks SQL or opens an engine.

use std::path::Path;
use std::time::Duration;

use super::{Access, Location, NewUser, OpenOptions, StatusFilter, Store, StoredUser};
use crate::shape::Migrations;

fn options() -> OpenOptions {
    OpenOptions {
        lock_timeout: Duration::from_secs(1),
        shape: None,
    }
}

/// The store of an existing database, as a writing command opens it.
pub(crate) fn open(path: &Path) -> Box<dyn Store> {
    super::open(
        &Location::file(path.to_owned()),
        Access::ReadWrite,
        options(),
    )
    .unwrap()
}

/// A new database with authctl's own users table, as `init-db` makes it.
pub(crate) fn init(path: &Path) -> Box<dyn Store> {
    let mut store = super::open(&Location::file(path.to_owned()), Access::Init, options()).unwrap();
    store.init(Migrations::Respected).unwrap();
    store
}

/// A new database with the service's own `create_all` table, with or without its unique index
/// on `email` (without it, only the domain's check under the lock keeps an email unique).
pub(crate) fn service_table(path: &Path, email_index: bool) {
    super::sqlite::create_service_table(path, email_index).unwrap();
}

/// A user with this login and email, active, with a hash that verifies nothing.
pub(crate) fn new_user(username: &str, email: Option<&str>) -> NewUser {
    NewUser {
        id: None,
        username: username.to_owned(),
        email: email.map(str::to_owned),
        full_name: None,
        disabled: false,
        superuser: false,
        verified: false,
        hashed_password: "h".to_owned(),
    }
}

/// Another writer adds `user`.
pub(crate) fn insert(path: &Path, user: &NewUser) {
    let mut store = open(path);
    let mut tx = store.write().unwrap();
    tx.insert_user(user).unwrap();
    tx.commit().unwrap();
}

/// Another writer changes `login`'s user with `change`.
pub(crate) fn update(path: &Path, login: &str, change: impl FnOnce(&mut NewUser)) {
    let mut store = open(path);
    let mut tx = store.write().unwrap();
    let StoredUser {
        user,
        hashed_password,
    } = tx.find_user(login).unwrap().unwrap();
    let mut new = NewUser {
        id: None,
        username: user.username,
        email: user.email,
        full_name: user.full_name,
        disabled: user.disabled,
        superuser: user.superuser.unwrap_or(false),
        verified: user.verified.unwrap_or(false),
        hashed_password,
    };
    change(&mut new);
    tx.update_user(&user.id, &new).unwrap();
    tx.commit().unwrap();
}

/// Another writer deletes `login`'s user.
pub(crate) fn delete(path: &Path, login: &str) {
    let mut store = open(path);
    let mut tx = store.write().unwrap();
    let id = tx.find_user(login).unwrap().unwrap().user.id;
    tx.delete_user(&id).unwrap();
    tx.commit().unwrap();
}

/// How many users the table holds.
pub(crate) fn count(path: &Path) -> usize {
    let mut n = 0;
    open(path)
        .for_each_user(StatusFilter::All, &mut |_| {
            n += 1;
            Ok(())
        })
        .unwrap();
    n
}
