//! A streaming splitter that cuts a JSON text into records without parsing the records.
//!
//! CloudTrail data comes as one big object (`{"Records":[...]}`, lookup-events' `{"Events":[...]}`),
//! as a top-level array, or as one value per line. The splitter finds the records in any of these
//! while the bytes stream in, holding one record at a time, so a gigabyte export never needs a
//! gigabyte of memory. Records are then parsed one by one with serde. It also enforces the nesting
//! and record-size caps before any parser sees the bytes.

use memchr::memchr2;

/// Keys of a top-level object whose array elements are streamed out one by one.
pub const STREAM_KEYS: [&str; 4] = ["Records", "Events", "events", "logEvents"];

/// Where an item came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// An element of a top-level array.
    TopArray,
    /// An element of the array under this key of a top-level object (one of [`STREAM_KEYS`]).
    Member(&'static str),
}

/// A piece of the document handed to the consumer.
#[derive(Debug)]
pub enum Piece<'a> {
    /// One element of a streamed array.
    Item {
        /// Which array it is in.
        container: Container,
        /// The element's exact bytes.
        bytes: &'a [u8],
        /// The line on which the element ends.
        line: u64,
    },
    /// A complete top-level object, without the members whose arrays were streamed as items.
    Object {
        /// The object's bytes; exact when nothing was streamed out of it.
        bytes: &'a [u8],
        /// The first member streamed out of it, if any (then `bytes` is the remainder, e.g. `{}`).
        streamed: Option<Container>,
        /// The line on which the object ends.
        line: u64,
    },
}

/// Caps that protect the parser from hostile input.
#[derive(Clone, Copy, Debug)]
pub struct SplitLimits {
    /// Deepest allowed nesting of arrays and objects.
    pub max_depth: u32,
    /// Largest allowed single record (or top-level object remainder), in bytes.
    pub max_record_bytes: usize,
}

/// Why the text cannot be split. `line` is 1-based; `offset` counts bytes from the start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (line {line}, byte {offset})")]
pub struct SplitError {
    /// What is wrong.
    pub kind: SplitErrorKind,
    /// Line where it was noticed.
    pub line: u64,
    /// Byte offset where it was noticed.
    pub offset: u64,
}

/// The kinds of [`SplitError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitErrorKind {
    /// A byte that cannot appear here (e.g. a closing bracket that does not match).
    #[error("invalid JSON: unexpected {0}")]
    Unexpected(String),
    /// A top-level value that is not an object or array.
    #[error("invalid JSON: the top level holds {0}, not an object or an array")]
    TopLevelScalar(String),
    /// Nesting beyond [`SplitLimits::max_depth`].
    #[error("JSON nested deeper than {0} levels")]
    TooDeep(u32),
    /// A record larger than [`SplitLimits::max_record_bytes`].
    #[error("a single record is larger than {0} bytes")]
    RecordTooLarge(usize),
    /// The text ends inside a value.
    #[error("truncated JSON: the text ends inside {0}")]
    Truncated(&'static str),
}

/// Error from [`Splitter::feed`]: the text is bad, or the consumer refused a piece.
#[derive(Debug)]
pub enum SplitFeedError<E> {
    /// The JSON text is malformed or exceeds a cap.
    Split(SplitError),
    /// The consumer returned an error.
    Consumer(E),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    None,
    Item,
    Doc,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Member {
    ExpectKey,
    InKey,
    ExpectColon { stream: Option<&'static str> },
    ExpectValue { stream: Option<&'static str> },
    InValue,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ItemState {
    /// Between items of a streamed array.
    Expect,
    /// Inside a container or string item.
    Inside,
    /// Inside a bare scalar item (number, literal), which ends at `,`, `]` or whitespace.
    Scalar,
}

/// The incremental splitter. Feed bytes with [`Splitter::feed`], then call [`Splitter::finish`].
#[derive(Debug)]
pub struct Splitter {
    limits: SplitLimits,
    stack: Vec<u8>,
    in_string: bool,
    escape: bool,
    line: u64,
    offset: u64,
    // Capture of the current item / top-level object.
    target: Target,
    item: Vec<u8>,
    doc: Vec<u8>,
    // Streaming: the depth of the array whose elements are items, and its key.
    stream_depth: Option<usize>,
    stream_container: Container,
    item_state: ItemState,
    // Member tracking inside a top-level object (depth 1).
    member: Member,
    stream_candidate: Option<&'static str>,
    key: Vec<u8>,
    key_start: usize,
    last_comma: Option<usize>,
    drop_next_comma: bool,
    streamed: Option<Container>,
    top_values: u64,
}

impl Splitter {
    /// A splitter at the start of a text.
    pub fn new(limits: SplitLimits) -> Self {
        Splitter {
            limits,
            stack: Vec::new(),
            in_string: false,
            escape: false,
            line: 1,
            offset: 0,
            target: Target::None,
            item: Vec::new(),
            doc: Vec::new(),
            stream_depth: None,
            stream_container: Container::TopArray,
            item_state: ItemState::Expect,
            member: Member::ExpectKey,
            stream_candidate: None,
            key: Vec::new(),
            key_start: 0,
            last_comma: None,
            drop_next_comma: false,
            streamed: None,
            top_values: 0,
        }
    }

    /// Number of top-level values completed so far (more than one means NDJSON or similar).
    pub fn top_level_values(&self) -> u64 {
        self.top_values
    }

    /// Current 1-based line number.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether the splitter is between top-level values (nothing pending).
    pub fn is_between_values(&self) -> bool {
        self.stack.is_empty() && !self.in_string && self.item_state != ItemState::Scalar
    }

    /// Scans `chunk`, handing every completed piece to `out`.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        out: &mut impl FnMut(Piece<'_>) -> Result<(), E>,
    ) -> Result<(), SplitFeedError<E>> {
        let mut seg = 0usize; // start of the not-yet-copied part of the current capture
        let mut i = 0usize;
        while i < chunk.len() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    i += 1;
                    continue;
                }
                let rest = chunk.get(i..).unwrap_or_default();
                match memchr2(b'"', b'\\', rest) {
                    None => {
                        self.track_key_bytes(rest);
                        i = chunk.len();
                    }
                    Some(pos) => {
                        self.track_key_bytes(rest.get(..pos).unwrap_or_default());
                        i += pos;
                        if chunk.get(i) == Some(&b'\\') {
                            self.escape = true;
                            self.track_key_bytes(b"\\");
                            i += 1;
                        } else {
                            self.in_string = false;
                            i += 1;
                            self.string_closed(chunk, i, &mut seg, out)?;
                        }
                    }
                }
                continue;
            }
            let byte = chunk.get(i).copied().unwrap_or_default();
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    if byte == b'\n' {
                        self.line += 1;
                    }
                    if self.item_state == ItemState::Scalar && self.at_stream_depth() {
                        self.end_item(chunk, i, i, &mut seg, out)?;
                    }
                    i += 1;
                }
                b'"' => {
                    if self.stack.is_empty() {
                        return Err(
                            self.error(SplitErrorKind::TopLevelScalar("a string".into()), i)
                        );
                    }
                    self.value_starts(chunk, i, &mut seg, byte)?;
                    self.in_string = true;
                    i += 1;
                }
                b'{' | b'[' => {
                    self.value_starts(chunk, i, &mut seg, byte)?;
                    self.open(chunk, i, &mut seg, byte)
                        .map_err(SplitFeedError::Split)?;
                    i += 1;
                }
                b'}' | b']' => {
                    if self.item_state == ItemState::Scalar && self.at_stream_depth() {
                        self.end_item(chunk, i, i, &mut seg, out)?;
                    }
                    self.close(chunk, i, &mut seg, byte, out)?;
                    i += 1;
                }
                b',' => {
                    if self.item_state == ItemState::Scalar && self.at_stream_depth() {
                        self.end_item(chunk, i, i, &mut seg, out)?;
                    }
                    self.comma(chunk, i, &mut seg)
                        .map_err(SplitFeedError::Split)?;
                    i += 1;
                }
                b':' => {
                    if self.stack.len() == 1 && self.stream_depth.is_none() {
                        if let Member::ExpectColon { stream } = self.member {
                            self.member = Member::ExpectValue { stream };
                        }
                    }
                    i += 1;
                }
                _ => {
                    if self.stack.is_empty() {
                        return Err(self.error(SplitErrorKind::TopLevelScalar(describe(byte)), i));
                    }
                    self.value_starts(chunk, i, &mut seg, byte)?;
                    i += 1;
                }
            }
        }
        // Copy the rest of the chunk into whatever is being captured.
        self.flush(chunk, seg, chunk.len())
            .map_err(SplitFeedError::Split)?;
        self.offset += chunk.len() as u64;
        Ok(())
    }

    /// Ends the text. Fails if it stops inside a value.
    pub fn finish<E>(
        &mut self,
        out: &mut impl FnMut(Piece<'_>) -> Result<(), E>,
    ) -> Result<(), SplitFeedError<E>> {
        if self.item_state == ItemState::Scalar && self.at_stream_depth() {
            // A scalar item cannot end the text: its array is still open.
            return Err(self.error(SplitErrorKind::Truncated("an array"), 0));
        }
        if self.in_string {
            return Err(self.error(SplitErrorKind::Truncated("a string"), 0));
        }
        match self.stack.last() {
            None => {
                let _ = out; // nothing is pending: every piece was handed out as it completed
                Ok(())
            }
            Some(b'{') => Err(self.error(SplitErrorKind::Truncated("an object"), 0)),
            Some(_) => Err(self.error(SplitErrorKind::Truncated("an array"), 0)),
        }
    }

    /// An error noticed at `chunk[at]` of the chunk being fed (`at` is 0 after the last chunk).
    fn error<E>(&self, kind: SplitErrorKind, at: usize) -> SplitFeedError<E> {
        SplitFeedError::Split(SplitError {
            kind,
            line: self.line,
            offset: self.offset + at as u64,
        })
    }

    fn at_stream_depth(&self) -> bool {
        self.stream_depth == Some(self.stack.len())
    }

    fn track_key_bytes(&mut self, bytes: &[u8]) {
        // Only keys of the top-level object matter, and only short ones can be stream keys.
        if self.member == Member::InKey && self.stack.len() == 1 && self.key.len() <= 32 {
            let room = 33 - self.key.len();
            self.key
                .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
        }
    }

    /// Copies `chunk[from..to]` into the current capture target, enforcing the size cap.
    fn flush(&mut self, chunk: &[u8], from: usize, to: usize) -> Result<(), SplitError> {
        let bytes = chunk.get(from..to).unwrap_or_default();
        let buf = match self.target {
            Target::None => return Ok(()),
            Target::Item => &mut self.item,
            Target::Doc => &mut self.doc,
        };
        if buf.len() + bytes.len() > self.limits.max_record_bytes {
            return Err(SplitError {
                kind: SplitErrorKind::RecordTooLarge(self.limits.max_record_bytes),
                line: self.line,
                offset: self.offset + from as u64,
            });
        }
        buf.extend_from_slice(bytes);
        Ok(())
    }

    fn retarget(
        &mut self,
        chunk: &[u8],
        at: usize,
        seg: &mut usize,
        target: Target,
    ) -> Result<(), SplitError> {
        self.flush(chunk, *seg, at)?;
        *seg = at;
        self.target = target;
        Ok(())
    }

    /// A value (string, container or scalar) starts at `chunk[i]`.
    fn value_starts<E>(
        &mut self,
        chunk: &[u8],
        i: usize,
        seg: &mut usize,
        byte: u8,
    ) -> Result<(), SplitFeedError<E>> {
        if self.at_stream_depth() && self.item_state == ItemState::Expect {
            self.retarget(chunk, i, seg, Target::Item)
                .map_err(SplitFeedError::Split)?;
            self.item_state = if matches!(byte, b'{' | b'[' | b'"') {
                ItemState::Inside
            } else {
                ItemState::Scalar
            };
            return Ok(());
        }
        if self.stack.len() == 1 && self.stream_depth.is_none() && self.stack.first() == Some(&b'{')
        {
            match self.member {
                Member::ExpectKey if byte == b'"' => {
                    self.member = Member::InKey;
                    self.key.clear();
                    self.key_start = self.doc.len() + (i - *seg);
                }
                Member::ExpectValue { stream } => {
                    self.member = Member::InValue;
                    self.stream_candidate = if byte == b'[' { stream } else { None };
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn string_closed<E>(
        &mut self,
        chunk: &[u8],
        after: usize,
        seg: &mut usize,
        out: &mut impl FnMut(Piece<'_>) -> Result<(), E>,
    ) -> Result<(), SplitFeedError<E>> {
        if self.at_stream_depth() && self.item_state == ItemState::Inside {
            // A string item ends with its closing quote.
            return self.end_item(chunk, after, after, seg, out);
        }
        if self.member == Member::InKey && self.stack.len() == 1 {
            let stream = STREAM_KEYS
                .iter()
                .copied()
                .find(|k| k.as_bytes() == self.key.as_slice());
            self.member = Member::ExpectColon { stream };
        }
        Ok(())
    }

    fn open(
        &mut self,
        chunk: &[u8],
        i: usize,
        seg: &mut usize,
        byte: u8,
    ) -> Result<(), SplitError> {
        if self.stack.len() as u32 >= self.limits.max_depth {
            return Err(SplitError {
                kind: SplitErrorKind::TooDeep(self.limits.max_depth),
                line: self.line,
                offset: self.offset + i as u64,
            });
        }
        if self.stack.is_empty() {
            // A new top-level value.
            self.streamed = None;
            if byte == b'[' {
                self.retarget(chunk, i + 1, seg, Target::None)?;
                self.stream_depth = Some(1);
                self.stream_container = Container::TopArray;
                self.item_state = ItemState::Expect;
            } else {
                self.doc.clear();
                self.retarget(chunk, i, seg, Target::Doc)?;
                self.member = Member::ExpectKey;
                self.last_comma = None;
                self.drop_next_comma = false;
            }
        } else if self.stack.len() == 1 && self.stream_depth.is_none() && byte == b'[' {
            if let Some(key) = self.stream_candidate.take() {
                // Cut the member (and the comma before it) out of the captured object.
                self.flush(chunk, *seg, i)?;
                match self.last_comma.take() {
                    Some(pos) => self.doc.truncate(pos),
                    None => {
                        self.doc.truncate(self.key_start);
                        self.drop_next_comma = true;
                    }
                }
                *seg = i + 1;
                self.target = Target::None;
                self.stream_depth = Some(2);
                self.stream_container = Container::Member(key);
                self.item_state = ItemState::Expect;
                self.streamed.get_or_insert(Container::Member(key));
            }
        }
        self.stack.push(byte);
        Ok(())
    }

    fn close<E>(
        &mut self,
        chunk: &[u8],
        i: usize,
        seg: &mut usize,
        byte: u8,
        out: &mut impl FnMut(Piece<'_>) -> Result<(), E>,
    ) -> Result<(), SplitFeedError<E>> {
        let expected = if byte == b'}' { b'{' } else { b'[' };
        match self.stack.last() {
            Some(&open) if open == expected => {}
            Some(_) => {
                return Err(self.error(SplitErrorKind::Unexpected(format!("'{}'", byte as char)), i))
            }
            None => return Err(self.error(SplitErrorKind::TopLevelScalar(describe(byte)), i)),
        }
        self.stack.pop();
        let depth = self.stack.len();
        if self.stream_depth == Some(depth + 1) {
            // The streamed array itself closes.
            self.stream_depth = None;
            self.item_state = ItemState::Expect;
            if depth == 0 {
                self.retarget(chunk, i + 1, seg, Target::None)
                    .map_err(SplitFeedError::Split)?;
                self.top_values += 1;
            } else {
                // Back inside the top-level object: resume capturing its other members.
                *seg = i + 1;
                self.target = Target::Doc;
                self.member = Member::InValue;
            }
            return Ok(());
        }
        if self.at_stream_depth() && self.item_state == ItemState::Inside {
            return self.end_item(chunk, i + 1, i + 1, seg, out);
        }
        if depth == 0 {
            // A top-level object is complete.
            self.flush(chunk, *seg, i + 1)
                .map_err(SplitFeedError::Split)?;
            *seg = i + 1;
            self.target = Target::None;
            self.top_values += 1;
            let piece = Piece::Object {
                bytes: &self.doc,
                streamed: self.streamed,
                line: self.line,
            };
            out(piece).map_err(SplitFeedError::Consumer)?;
            self.doc.clear();
        }
        Ok(())
    }

    fn comma(&mut self, chunk: &[u8], i: usize, seg: &mut usize) -> Result<(), SplitError> {
        if self.at_stream_depth() {
            self.item_state = ItemState::Expect;
            return Ok(());
        }
        if self.stack.len() == 1 && self.stream_depth.is_none() && self.stack.first() == Some(&b'{')
        {
            self.member = Member::ExpectKey;
            if self.drop_next_comma {
                // The member before this comma was streamed out and was the first one.
                self.flush(chunk, *seg, i)?;
                *seg = i + 1;
                self.drop_next_comma = false;
                self.last_comma = None;
            } else {
                self.last_comma = Some(self.doc.len() + (i - *seg));
            }
        }
        Ok(())
    }

    fn end_item<E>(
        &mut self,
        chunk: &[u8],
        end: usize,
        resume: usize,
        seg: &mut usize,
        out: &mut impl FnMut(Piece<'_>) -> Result<(), E>,
    ) -> Result<(), SplitFeedError<E>> {
        self.flush(chunk, *seg, end)
            .map_err(SplitFeedError::Split)?;
        *seg = resume;
        self.target = Target::None;
        self.item_state = ItemState::Expect;
        let piece = Piece::Item {
            container: self.stream_container,
            bytes: &self.item,
            line: self.line,
        };
        out(piece).map_err(SplitFeedError::Consumer)?;
        self.item.clear();
        Ok(())
    }
}

fn describe(byte: u8) -> String {
    match byte {
        b'0'..=b'9' | b'-' => "a number".into(),
        b't' | b'f' => "a boolean".into(),
        b'n' => "null".into(),
        b'}' | b']' => format!("an unmatched '{}'", byte as char),
        0x20..=0x7e => format!("'{}'", byte as char),
        _ => format!("byte 0x{byte:02x}"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    const LIMITS: SplitLimits = SplitLimits {
        max_depth: 64,
        max_record_bytes: 1 << 20,
    };

    #[derive(Debug, PartialEq)]
    enum Got {
        Item(Container, String),
        Object(String, bool),
    }

    fn split(text: &[u8], chunk: usize, limits: SplitLimits) -> Result<Vec<Got>, SplitError> {
        let mut splitter = Splitter::new(limits);
        let mut got = Vec::new();
        let mut take = |piece: Piece<'_>| -> Result<(), ()> {
            got.push(match piece {
                Piece::Item {
                    container, bytes, ..
                } => Got::Item(container, String::from_utf8_lossy(bytes).into_owned()),
                Piece::Object {
                    bytes, streamed, ..
                } => Got::Object(
                    String::from_utf8_lossy(bytes).into_owned(),
                    streamed.is_some(),
                ),
            });
            Ok(())
        };
        for piece in text.chunks(chunk.max(1)) {
            match splitter.feed(piece, &mut take) {
                Err(SplitFeedError::Split(e)) => return Err(e),
                Err(SplitFeedError::Consumer(())) => unreachable!(),
                Ok(()) => {}
            }
        }
        match splitter.finish(&mut take) {
            Err(SplitFeedError::Split(e)) => return Err(e),
            Err(SplitFeedError::Consumer(())) => unreachable!(),
            Ok(()) => {}
        }
        Ok(got)
    }

    fn check(text: &str, expected: &[Got]) {
        for chunk in [1, 2, 3, 5, 8, 13, 1000] {
            assert_eq!(
                split(text.as_bytes(), chunk, LIMITS).as_deref(),
                Ok(expected),
                "chunk {chunk}: {text}"
            );
        }
    }

    fn item(container: Container, s: &str) -> Got {
        Got::Item(container, s.to_string())
    }
    const RECORDS: Container = Container::Member("Records");

    #[test]
    fn streams_records_of_a_log_file() {
        check(
            r#"{"Records":[{"a":1},{"b":[1,{"c":"]"}]}]}"#,
            &[
                item(RECORDS, r#"{"a":1}"#),
                item(RECORDS, r#"{"b":[1,{"c":"]"}]}"#),
                Got::Object("{}".into(), true),
            ],
        );
        check(
            "{ \"Records\" : [ {\"a\":1} ,\n {\"b\":2} ] }",
            &[
                item(RECORDS, r#"{"a":1}"#),
                item(RECORDS, r#"{"b":2}"#),
                Got::Object("{  }".into(), true),
            ],
        );
    }

    #[test]
    fn keeps_other_members_of_the_object() {
        check(
            r#"{"x":1,"Records":[{}],"y":2}"#,
            &[
                item(RECORDS, "{}"),
                Got::Object(r#"{"x":1,"y":2}"#.into(), true),
            ],
        );
        check(
            r#"{"Records":[{}],"y":2}"#,
            &[item(RECORDS, "{}"), Got::Object(r#"{"y":2}"#.into(), true)],
        );
        check(
            r#"{"x":1,"Records":[]}"#,
            &[Got::Object(r#"{"x":1}"#.into(), true)],
        );
        check(
            r#"{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"a\":1}"}],"owner":"1"}"#,
            &[
                item(Container::Member("logEvents"), r#"{"message":"{\"a\":1}"}"#),
                Got::Object(r#"{"messageType":"DATA_MESSAGE","owner":"1"}"#.into(), true),
            ],
        );
        // Only arrays under the known keys are streamed, and only at the top level.
        check(
            r#"{"Records":{"a":[1]}}"#,
            &[Got::Object(r#"{"Records":{"a":[1]}}"#.into(), false)],
        );
        check(
            r#"{"a":{"Records":[1]}}"#,
            &[Got::Object(r#"{"a":{"Records":[1]}}"#.into(), false)],
        );
        check(
            r#"{"Rec\"ords":[1]}"#,
            &[Got::Object(r#"{"Rec\"ords":[1]}"#.into(), false)],
        );
    }

    #[test]
    fn streams_top_level_arrays_and_lines() {
        check(
            r#"[{"a":1}, "s", 12, true ,null]"#,
            &[
                item(Container::TopArray, r#"{"a":1}"#),
                item(Container::TopArray, r#""s""#),
                item(Container::TopArray, "12"),
                item(Container::TopArray, "true"),
                item(Container::TopArray, "null"),
            ],
        );
        check(
            "{\"a\":1}\n{\"b\":\"x\\\\\"}\r\n\n",
            &[
                Got::Object(r#"{"a":1}"#.into(), false),
                Got::Object(r#"{"b":"x\\"}"#.into(), false),
            ],
        );
        check("", &[]);
        check("  \n ", &[]);
    }

    fn error_kind(text: &str, limits: SplitLimits) -> SplitErrorKind {
        split(text.as_bytes(), 7, limits).expect_err(text).kind
    }

    #[test]
    fn rejects_malformed_and_hostile_text() {
        assert_eq!(
            error_kind(r#"{"Records":[{"a":1}"#, LIMITS),
            SplitErrorKind::Truncated("an array")
        );
        assert_eq!(
            error_kind(r#"{"a":"#, LIMITS),
            SplitErrorKind::Truncated("an object")
        );
        assert_eq!(
            error_kind(r#"{"a":"xy"#, LIMITS),
            SplitErrorKind::Truncated("a string")
        );
        assert_eq!(
            error_kind(r#"[1, 2"#, LIMITS),
            SplitErrorKind::Truncated("an array")
        );
        assert_eq!(
            error_kind(r#"{"a":[}"#, LIMITS),
            SplitErrorKind::Unexpected("'}'".into())
        );
        assert_eq!(
            error_kind("42", LIMITS),
            SplitErrorKind::TopLevelScalar("a number".into())
        );
        assert_eq!(
            error_kind("\"s\"", LIMITS),
            SplitErrorKind::TopLevelScalar("a string".into())
        );
        assert_eq!(
            error_kind("}", LIMITS),
            SplitErrorKind::TopLevelScalar("an unmatched '}'".into())
        );
        assert_eq!(
            error_kind("Event ID,Event time", LIMITS),
            SplitErrorKind::TopLevelScalar("'E'".into())
        );
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(error_kind(&deep, LIMITS), SplitErrorKind::TooDeep(64));
        let long = format!(r#"{{"Records":[{{"a":"{}"}}]}}"#, "x".repeat(5000));
        let small = SplitLimits {
            max_depth: 64,
            max_record_bytes: 4096,
        };
        assert_eq!(
            error_kind(&long, small),
            SplitErrorKind::RecordTooLarge(4096)
        );
        let long_doc = format!(r#"{{"a":"{}"}}"#, "x".repeat(5000));
        assert_eq!(
            error_kind(&long_doc, small),
            SplitErrorKind::RecordTooLarge(4096)
        );
    }

    #[test]
    fn reports_the_line_of_an_error() {
        let err = split(b"{\"a\":1}\n{\"b\":2}\n{\"c\":]\n", 4, LIMITS).unwrap_err();
        assert_eq!(err.line, 3);
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(Value::from),
            "[a-z\"\\\\\\]\\[{}, ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-zR\"]{1,7}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn records_survive_any_chunking(records in prop::collection::vec(json_value(), 0..6), pretty: bool, chunk in 1usize..40) {
            let doc = serde_json::json!({ "head": 1, "Records": records, "tail": "x" });
            let text = if pretty { serde_json::to_string_pretty(&doc) } else { serde_json::to_string(&doc) }.unwrap();
            let got = split(text.as_bytes(), chunk, LIMITS).unwrap();
            let (items, rest) = got.split_at(got.len() - 1);
            let parsed: Vec<Value> = items.iter().map(|g| match g {
                Got::Item(RECORDS, s) => serde_json::from_str(s).unwrap(),
                other => panic!("unexpected {other:?}"),
            }).collect();
            prop_assert_eq!(&parsed, &records);
            let Got::Object(rest, true) = &rest[0] else { panic!("no remainder") };
            let rest: Value = serde_json::from_str(rest).unwrap();
            prop_assert_eq!(rest, serde_json::json!({"head": 1, "tail": "x"}));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), chunk in 1usize..50) {
            let _ = split(&bytes, chunk, SplitLimits { max_depth: 8, max_record_bytes: 64 });
        }
    }
}
