//! ZIP walking over arbitrary bytes: opening, listing and reading every entry of the archive
//! and of the archives inside it (the `ArchiveTree` the CLI and the page share) never panics and
//! stays within the caps.
use std::io::{Cursor, Read};

use trailscope_model::Limits;
use trailscope_model::{ArchiveStep, ArchiveTree};

fn limits() -> Limits {
    Limits {
        max_decompressed_bytes: 4 << 20,
        max_archive_decompressed_bytes: 8 << 20,
        max_nested_archive_bytes: 1 << 20,
        entry_ratio_floor_bytes: 64 << 10,
        ..Limits::default()
    }
}

pub fn zip_walk(data: &[u8]) {
    let Ok(mut tree) = ArchiveTree::open("fuzz.zip", Cursor::new(data.to_vec()), limits(), 0, 4)
    else {
        return;
    };
    while let Some(step) = tree.next() {
        if let ArchiveStep::File { entry, .. } = step {
            let mut sink = Vec::new();
            let _ = entry.reader.take(16 << 20).read_to_end(&mut sink);
        }
    }
}
