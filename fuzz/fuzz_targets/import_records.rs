//! An import file in each format and for each table shape (the first two bytes pick them), read
//! and checked as `import` does before it looks at a database: records pass or are listed
//! problems, never a panic.
#![no_main]

use authctl::bulk::check_input;
use authctl::records::FileFormat;
use authctl::shape::ShapeName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [first, second, input @ ..] = data else {
        return;
    };
    let format = match first % 3 {
        0 => FileFormat::Csv,
        1 => FileFormat::Json,
        _ => FileFormat::Jsonl,
    };
    let shape = ShapeName::ALL[usize::from(*second) % ShapeName::ALL.len()].shape();
    if let Ok(checked) = check_input(input, format, shape) {
        for problem in checked.problems() {
            assert!(!problem.location.is_empty());
        }
    }
});
