//! ZIP walking over arbitrary bytes: opening, listing and reading every entry never panics and
//! stays within the caps (nested archives included).
use std::io::{Cursor, Read};

use trailscope_model::archive::{nesting_error, read_nested};
use trailscope_model::{packaging, Limits, Packaging, ZipWalker};

fn limits() -> Limits {
    Limits {
        max_decompressed_bytes: 4 << 20,
        max_archive_decompressed_bytes: 8 << 20,
        max_nested_archive_bytes: 1 << 20,
        entry_ratio_floor_bytes: 64 << 10,
        ..Limits::default()
    }
}

fn walk(bytes: Vec<u8>, depth: u8) {
    if nesting_error(depth, &limits()).is_some() {
        return;
    }
    let Ok(mut walker) = ZipWalker::open(Cursor::new(bytes), limits()) else {
        return;
    };
    while let Some(entry) = walker.next_entry() {
        let Ok(mut entry) = entry else { continue };
        let mut head = vec![0u8; 4];
        let n = entry.reader.read(&mut head).unwrap_or(0);
        head.truncate(n);
        if packaging(&head) == Packaging::Zip {
            if let Ok(inner) = read_nested(head, &mut entry.reader, &limits()) {
                walk(inner, depth + 1);
            }
            continue;
        }
        let mut sink = Vec::new();
        let _ = entry.reader.take(16 << 20).read_to_end(&mut sink);
    }
}

pub fn zip_walk(data: &[u8]) {
    walk(data.to_vec(), 0);
}
