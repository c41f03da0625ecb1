//! A stored `hashed_password` as any table may hold it: inspected and judged by every hash
//! scheme (parsing and bounds only; verifying is the hash libraries' own work).
#![no_main]

use authctl::password::{self, Scheme};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|stored: &str| {
    let inspected = password::inspect(stored);
    for scheme in [Scheme::Argon2, Scheme::Bcrypt { cost: 12 }, Scheme::Argon2Bcrypt] {
        let judged = scheme.judge(stored);
        // A hash the scheme accepts is one authctl can read.
        if judged.is_ok() {
            assert!(inspected.is_ok(), "{stored:?}");
        }
        if let Ok(info) = &judged {
            let _ = (scheme.needs_rehash(info), scheme.profile_of(info), info.to_string());
        }
    }
});
