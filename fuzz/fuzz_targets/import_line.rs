//! The import format: one JSON Lines line (`service::parse_line`) and a
//! whole file (`service::parse_jsonl`, which also meets invalid UTF-8).
//! Never panics; whatever it accepts is a valid release.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pressfeed::service::{parse_jsonl, parse_line};
use pressfeed_fuzz::assert_valid_draft;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(draft) = parse_line(&text) {
        assert_valid_draft(&draft);
    }
    match parse_jsonl(data) {
        Ok(file) => {
            assert_eq!(file.drafts.len(), file.lines.len());
            file.drafts.iter().for_each(assert_valid_draft);
        }
        Err(pressfeed::service::ImportError::BadLines(errs)) => assert!(!errs.is_empty()),
        Err(e) => panic!("reading a byte slice failed: {e}"),
    }
});
