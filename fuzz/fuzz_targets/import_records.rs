//! An import file in each format (the first byte picks it), read and checked as `import` does
//! before it looks at a database: records pass or are listed problems, never a panic.
#![no_main]

use authctl::bulk::check_input;
use authctl::records::FileFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, input)) = data.split_first() else {
        return;
    };
    let format = match first % 3 {
        0 => FileFormat::Csv,
        1 => FileFormat::Json,
        _ => FileFormat::Jsonl,
    };
    if let Ok(checked) = check_input(input, format) {
        for problem in checked.problems() {
            assert!(!problem.location.is_empty());
        }
    }
});
