//! Arbitrary bytes: the first byte picks the format (even: JSON, odd: YAML;
//! `J` and `Y` in the seeds), the rest is the document. Parses it, and when
//! it loads, validates it with the real driver registry and renders every
//! diagnostic as the console would.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&selector, doc)) = data.split_first() {
        chaos_fuzz::exercise(doc, chaos_fuzz::format_for(selector));
    }
});
