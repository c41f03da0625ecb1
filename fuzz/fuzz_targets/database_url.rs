//! `--database-url` / `DATABASE_URL`: parsed or refused, never a panic; what is accepted shows
//! as a location.
#![no_main]

use authctl::db::Location;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|url: &str| {
    if let Ok(location) = Location::parse(url) {
        let _ = location.to_string();
    }
});
