//! The filter language: any text either parses, and its canonical form parses to the same
//! filter, or fails with an error that points inside the text.
use trailscope_query::Filter;

pub fn filter_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Filter::parse(text) {
        Ok(filter) => {
            let canonical = filter.to_string();
            let again = Filter::parse(&canonical)
                .unwrap_or_else(|e| panic!("{canonical:?} (from {text:?}) does not parse: {e}"));
            assert_eq!(again, filter, "{text:?} -> {canonical:?}");
        }
        Err(e) => {
            assert!(
                e.start <= e.end && e.end <= text.len(),
                "{e:?} outside {text:?}"
            );
        }
    }
}
