//! The streaming JSON splitter over arbitrary text in arbitrary chunks: never a panic, and the
//! same pieces whatever the chunking.
use trailscope_model::parts::{SplitLimits, Splitter};

fn split(bytes: &[u8], step: usize) -> (Vec<String>, bool) {
    let mut splitter = Splitter::new(SplitLimits {
        max_depth: 32,
        max_record_bytes: 64 << 10,
    });
    let mut pieces = Vec::new();
    let mut record = |p: trailscope_model::parts::Piece<'_>| -> Result<(), ()> {
        pieces.push(format!("{p:?}"));
        Ok(())
    };
    for chunk in bytes.chunks(step.max(1)) {
        if splitter.feed(chunk, &mut record).is_err() {
            return (pieces, false);
        }
    }
    let ok = splitter.finish(&mut record).is_ok();
    (pieces, ok)
}

pub fn json_splitter(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let whole = split(bytes, usize::MAX);
    let chunked = split(bytes, usize::from(cut));
    assert_eq!(whole.1, chunked.1);
    if whole.1 {
        assert_eq!(whole.0, chunked.0);
    }
}
