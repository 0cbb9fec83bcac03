//! The console's Event history CSV reader: never a panic on any header and rows, in any chunking.
use trailscope_model::parts::CsvHistory;

pub fn console_csv(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let Some(mut csv) = CsvHistory::detect(bytes, 64 << 10) else {
        return;
    };
    let mut events = 0usize;
    let mut emit = |_: trailscope_model::Event<'_>| -> Result<(), ()> {
        events += 1;
        Ok(())
    };
    for chunk in bytes.chunks(usize::from(cut).max(1)) {
        if csv.feed(chunk, &mut emit).is_err() {
            return;
        }
    }
    let _ = csv.finish(&mut emit);
}
