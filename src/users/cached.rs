//! Look-ups for many users at once: the table's rows for a batch of specs, read in as few round
//! trips as the engine allows, then answered from memory, and kept up to date by the writes made
//! through it, so that the per-user path (`plan`, `apply`) runs unchanged over an import.

use std::collections::HashMap;

use crate::db::{Dependents, Lookup, NewUser, StoredUser, UserId, WriteTx};
use crate::error::Result;
use crate::password::HashCensus;
use crate::shape::{Flag, Shape};

use super::UserSpec;
use super::write::user_of;

pub(crate) struct Cached<'a, L: ?Sized> {
    inner: &'a mut L,
    /// By the login that found them (or wrote them).
    users: HashMap<String, StoredUser>,
    /// Email to the username that has it.
    owners: HashMap<String, String>,
    /// Look-alike key to a stored username, read on the first look-alike question.
    keys: Option<HashMap<String, String>>,
}

impl<'a, L: Lookup + ?Sized> Cached<'a, L> {
    /// Reads the users and email owners that `specs` can ask about.
    pub(crate) fn new<'s>(
        inner: &'a mut L,
        specs: impl Iterator<Item = &'s UserSpec>,
    ) -> Result<Self> {
        let (mut usernames, mut emails) = (Vec::new(), Vec::new());
        for spec in specs {
            usernames.push(spec.username.as_str());
            if let Some(Some(email)) = &spec.email {
                emails.push(email.as_str());
            }
        }
        let users = inner.find_users(&usernames)?.into_iter().collect();
        let owners = inner.email_owners(&emails)?.into_iter().collect();
        Ok(Cached {
            inner,
            users,
            owners,
            keys: None,
        })
    }

    /// Notes a user as it now is in the table.
    fn record(&mut self, id: UserId, user: &NewUser) {
        let shape = self.inner.shape();
        if let Some(old) = self.users.get(&user.username)
            && let Some(email) = &old.user.email
        {
            self.owners.remove(email);
        }
        if let Some(email) = &user.email {
            self.owners.insert(email.clone(), user.username.clone());
        }
        let stored = StoredUser {
            user: user_of(id, user, shape),
            hashed_password: user.hashed_password.clone(),
        };
        self.users.insert(user.username.clone(), stored);
    }

    fn forget(&mut self, id: &UserId) {
        self.users.retain(|_, stored| stored.user.id != *id);
        let users = &self.users;
        self.owners
            .retain(|_, owner| users.values().any(|u| u.user.username == *owner));
    }
}

impl<L: Lookup + ?Sized> Lookup for Cached<'_, L> {
    fn shape(&self) -> &'static Shape {
        self.inner.shape()
    }

    fn find_user(&mut self, username: &str) -> Result<Option<StoredUser>> {
        Ok(self.users.get(username).cloned())
    }

    fn find_by_id(&mut self, id: &UserId) -> Result<Option<StoredUser>> {
        Ok(self.users.values().find(|u| u.user.id == *id).cloned())
    }

    fn email_owner(&mut self, email: &str) -> Result<Option<String>> {
        Ok(self.owners.get(email).cloned())
    }

    fn find_users(&mut self, usernames: &[&str]) -> Result<Vec<(String, StoredUser)>> {
        Ok(usernames
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), self.users.get(*name)?.clone())))
            .collect())
    }

    fn email_owners(&mut self, emails: &[&str]) -> Result<Vec<(String, String)>> {
        Ok(emails
            .iter()
            .filter_map(|email| Some(((*email).to_owned(), self.owners.get(*email)?.clone())))
            .collect())
    }

    fn hash_census(&mut self) -> Result<HashCensus> {
        self.inner.hash_census()
    }

    fn for_each_username(&mut self, each: &mut dyn FnMut(&str)) -> Result<()> {
        self.inner.for_each_username(each)
    }

    /// Every stored name's key is computed once per import, not once per record.
    fn username_with_key(
        &mut self,
        username: &str,
        keys_of: fn(&str) -> [String; 2],
    ) -> Result<Option<String>> {
        if self.keys.is_none() {
            let mut keys = HashMap::new();
            self.inner.for_each_username(&mut |name| {
                for key in keys_of(name) {
                    keys.entry(key).or_insert_with(|| name.to_owned());
                }
            })?;
            self.keys = Some(keys);
        }
        let keys = self.keys.as_ref();
        let found = keys_of(username)
            .iter()
            .filter_map(|key| keys?.get(key))
            .find(|name| name.as_str() != username);
        Ok(found.cloned())
    }
}

impl<L: WriteTx + ?Sized> WriteTx for Cached<'_, L> {
    fn id_owner(&mut self, id: &UserId) -> Result<Option<String>> {
        self.inner.id_owner(id)
    }

    fn insert_user(&mut self, user: &NewUser) -> Result<UserId> {
        let id = self.inner.insert_user(user)?;
        self.record(id.clone(), user);
        Ok(id)
    }

    fn update_user(&mut self, id: &UserId, user: &NewUser) -> Result<()> {
        self.inner.update_user(id, user)?;
        self.record(id.clone(), user);
        Ok(())
    }

    fn set_flag(&mut self, id: &UserId, flag: Flag, value: bool) -> Result<()> {
        self.inner.set_flag(id, flag, value)?;
        for stored in self.users.values_mut().filter(|s| s.user.id == *id) {
            stored.user.set_flag(flag, value);
        }
        Ok(())
    }

    fn delete_user(&mut self, id: &UserId) -> Result<Vec<Dependents>> {
        let removed = self.inner.delete_user(id)?;
        self.forget(id);
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Store;
    use crate::db::testing::{self, new_user};

    /// A table with ann (x@, an opaque hash) and bob (b@, a bcrypt hash), and the specs an
    /// import of ann (y@), bob and carl (x@) would bring: the cache holds what they can ask.
    fn table() -> (tempfile::TempDir, Box<dyn Store>, Vec<UserSpec>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.db");
        testing::service_table(&path, true);
        testing::insert(&path, &new_user("ann", Some("x@example.com")));
        let mut bob = new_user("bob", Some("b@example.com"));
        bob.hashed_password =
            "$2b$12$KIXQJrnVq9OQ0n9Eo5TBteJYDJ7vlb0E8yXvFkV1l7Z3mJqg0NqCe".to_owned();
        testing::insert(&path, &bob);
        let store = testing::open(&path);
        let specs = [("ann", "y"), ("bob", "b"), ("carl", "x")]
            .iter()
            .map(|(name, email)| {
                let email = Some(Some(format!("{email}@example.com")));
                UserSpec::new((*name).to_owned(), email, None, None).unwrap()
            })
            .collect();
        (dir, store, specs)
    }

    fn owner<L: Lookup + ?Sized>(cache: &mut Cached<'_, L>, email: &str) -> Option<String> {
        cache.email_owner(email).unwrap()
    }

    /// After each write through it, the cache answers as the table would: the import's later
    /// records are judged against what its earlier ones wrote.
    #[test]
    fn the_cache_answers_as_the_table_after_its_own_writes() {
        let (_dir, mut store, specs) = table();
        let mut tx = store.write().unwrap();
        let mut cache = Cached::new(&mut *tx, specs.iter()).unwrap();
        let ann = cache.find_user("ann").unwrap().unwrap().user.id;
        cache
            .update_user(&ann, &new_user("ann", Some("y@example.com")))
            .unwrap();
        assert_eq!(owner(&mut cache, "x@example.com"), None);
        assert_eq!(owner(&mut cache, "y@example.com").as_deref(), Some("ann"));

        let carl = cache
            .insert_user(&new_user("carl", Some("x@example.com")))
            .unwrap();
        assert_eq!(cache.find_user("carl").unwrap().unwrap().user.id, carl);
        assert_eq!(owner(&mut cache, "x@example.com").as_deref(), Some("carl"));
        // The batch questions get the same answers, for what is there only.
        let found = cache.find_users(&["carl", "zed", "bob"]).unwrap();
        let logins: Vec<&str> = found.iter().map(|(login, _)| login.as_str()).collect();
        assert_eq!(logins, ["carl", "bob"]);
        assert_eq!(found[0].1.user.email.as_deref(), Some("x@example.com"));
        let owners = cache
            .email_owners(&["x@example.com", "z@example.com", "y@example.com"])
            .unwrap();
        let pair = |email: &str, login: &str| (email.to_owned(), login.to_owned());
        assert_eq!(
            owners,
            [pair("x@example.com", "carl"), pair("y@example.com", "ann")]
        );

        let bob = cache.find_user("bob").unwrap().unwrap().user.id;
        cache.set_flag(&bob, Flag::Disabled, true).unwrap();
        assert!(cache.find_user("bob").unwrap().unwrap().user.disabled);
        assert!(!cache.find_user("carl").unwrap().unwrap().user.disabled);

        cache.delete_user(&ann).unwrap();
        assert!(cache.find_user("ann").unwrap().is_none());
        assert_eq!(owner(&mut cache, "y@example.com"), None);
        assert!(cache.find_user("bob").unwrap().is_some());
        assert_eq!(owner(&mut cache, "b@example.com").as_deref(), Some("bob"));
        drop(cache);
        // And every write reached the table.
        assert!(tx.find_user("ann").unwrap().is_none());
        assert!(tx.find_user("bob").unwrap().unwrap().user.disabled);
        assert_eq!(
            tx.email_owner("x@example.com").unwrap().as_deref(),
            Some("carl")
        );
    }

    /// What it does not hold, it asks the table.
    #[test]
    fn the_cache_passes_whole_table_questions_on() {
        let (_dir, mut store, specs) = table();
        let census = store.hash_census().unwrap();
        assert_eq!(census.bcrypt, 1, "{census:?}");
        let mut cache = Cached::new(&mut *store, specs.iter()).unwrap();
        assert_eq!(cache.hash_census().unwrap(), census);
        let mut names = Vec::new();
        cache
            .for_each_username(&mut |name| names.push(name.to_owned()))
            .unwrap();
        assert_eq!(names, ["ann", "bob"]);
    }
}
