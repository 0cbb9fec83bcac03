//! The file ingestor fed the same bytes whole and in a chunking the fuzzer chooses: it never
//! panics, and the chunking never changes what the file reads as (its kind, events and error).
use trailscope_model::{Event, EventSink, FileIngestor, IngestError, Limits};

#[derive(Default)]
struct Ids(Vec<String>);

impl EventSink for Ids {
    type Error = std::convert::Infallible;
    fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
        self.0
            .push(event.record.event_id.as_str().unwrap_or("").to_string());
        Ok(())
    }
}

/// Small caps, so the fuzzer reaches them.
fn limits() -> Limits {
    Limits {
        max_decompressed_bytes: 4 << 20,
        ratio_check_after_bytes: 1 << 20,
        max_record_bytes: 64 << 10,
        max_whitespace_run: 256 << 10,
        ..Limits::default()
    }
}

fn read(bytes: &[u8], cut: usize) -> (String, Option<String>, Vec<String>) {
    let mut ingestor = FileIngestor::new(limits());
    let mut sink = Ids::default();
    let step = cut.max(1);
    for chunk in bytes.chunks(step) {
        if let Err(e) = ingestor.feed(chunk, &mut sink) {
            let outcome = ingestor.fail(e);
            return (
                outcome.kind.id().to_string(),
                outcome.error.map(kind),
                Vec::new(),
            );
        }
    }
    let outcome = ingestor.finish(&mut sink);
    let events = if outcome.error.is_some() {
        Vec::new()
    } else {
        sink.0
    };
    (
        outcome.kind.id().to_string(),
        outcome.error.map(kind),
        events,
    )
}

/// The error's kind (positions and decoder messages may differ with the chunking).
fn kind(e: IngestError) -> String {
    let text = match &e {
        IngestError::Gzip(g) => format!("gzip {g:?}"),
        other => format!("{other:?}"),
    };
    text.split(['(', ' ', '{'])
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn ingest_chunks(data: &[u8]) {
    let Some((&cut, bytes)) = data.split_first() else {
        return;
    };
    let mut whole = read(bytes, usize::MAX);
    let mut chunked = read(bytes, usize::from(cut));
    // A file that fails in both readings fails: which cap or damage it meets first (a bomb's
    // ratio, or the corrupt data beyond it) and what it looked like by then depend on how far
    // the decoder got with each chunk. Whether it fails, and everything a file that reads
    // yields, must not.
    if whole.1.is_some() && chunked.1.is_some() {
        whole = Default::default();
        chunked = Default::default();
    }
    assert_eq!(whole, chunked, "chunks of {cut} bytes read differently");
}
