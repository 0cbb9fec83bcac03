//! The gzip member reader and the log hasher: never a panic, and the verdict's inputs (whether
//! the stream reads, its hash, data after it) do not depend on how the bytes were chunked.
use trailscope_model::parts::Gunzip;
use trailscope_model::LogHasher;

pub fn gzip_members(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let mut gunzip = Gunzip::new();
    let mut out = 0usize;
    for chunk in bytes.chunks(usize::from(cut).max(1)) {
        let fed = gunzip.feed::<()>(chunk, &mut |_, b| {
            out += b.len();
            if out > 8 << 20 {
                return Err(());
            }
            Ok(())
        });
        if fed.is_err() {
            break;
        }
    }
    let _ = gunzip.finish_lenient();
    let mut whole = LogHasher::new();
    whole.feed(bytes);
    let mut chunked = LogHasher::new();
    for chunk in bytes.chunks(usize::from(cut).max(1)) {
        chunked.feed(chunk);
    }
    let (a, b) = (whole.finish(), chunked.finish());
    let invalid =
        |h: &trailscope_model::LogHash| matches!(h.read, trailscope_model::LogRead::Invalid(_));
    assert_eq!(invalid(&a), invalid(&b), "{:?} / {:?}", a.read, b.read);
    // A stream that does not read is INVALID whatever its hash; one that reads hashes the same
    // bytes in any chunking, as aws-cli judges them.
    if !invalid(&a) {
        assert_eq!(a.sha256_hex, b.sha256_hex);
        assert_eq!(a.trailing_data, b.trailing_data);
        assert_eq!(a.read, b.read);
    }
}
