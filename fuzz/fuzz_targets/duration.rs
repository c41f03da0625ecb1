//! Duration options (`--busy-timeout`, `--expires-in`): parsed or refused with a message, and a
//! token lifetime checked against its bounds, never a panic.
#![no_main]

use authctl::cli::parse_duration;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_duration(text) {
        Ok(lifetime) => {
            let _ = authctl::token::check_lifetime(lifetime);
        }
        Err(message) => assert!(!message.is_empty()),
    }
});
