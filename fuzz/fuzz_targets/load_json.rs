//! The input is a JSON experiment document, as is.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    chaos_fuzz::exercise(data, chaos_experiment::Format::Json);
});
