//! The console's Event history CSV download (and CSVs with CloudTrail's own column names).
//!
//! Columns are matched by header name, not position, so the console's labels (`Event name`,
//! `AWS access key`, ...) and CloudTrail's JSON names (`eventName`, `accessKeyId`, as Athena or
//! Lake query results have them) both work, in any order. Each row becomes a CloudTrail-shaped
//! JSON record, so everything downstream treats it like any other event. When a column carries
//! the whole event (`CloudTrail event`), that JSON is used as the record instead.

use csv_core::{ReadRecordResult, Reader};
use serde_json::{Map, Value};

use crate::event::{Envelope, Event};
use crate::unwrap::unwrap_record;

/// The fields a CSV column can map to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    EventId,
    EventTime,
    EventName,
    EventSource,
    UserName,
    AccessKey,
    Region,
    ErrorCode,
    ErrorMessage,
    SourceIp,
    ReadOnly,
    ResourceType,
    ResourceName,
    Resources,
    RequestId,
    EventType,
    UserAgent,
    Account,
    FullEvent,
}

/// Header spellings, compared after lowercasing and dropping spaces, `-` and `_`.
const HEADERS: &[(&str, Column)] = &[
    ("eventid", Column::EventId),
    ("eventtime", Column::EventTime),
    ("eventdatetime", Column::EventTime),
    ("eventname", Column::EventName),
    ("eventsource", Column::EventSource),
    ("username", Column::UserName),
    ("awsaccesskey", Column::AccessKey),
    ("accesskeyid", Column::AccessKey),
    ("accesskey", Column::AccessKey),
    ("awsregion", Column::Region),
    ("region", Column::Region),
    ("errorcode", Column::ErrorCode),
    ("errormessage", Column::ErrorMessage),
    ("sourceipaddress", Column::SourceIp),
    ("sourceip", Column::SourceIp),
    ("readonly", Column::ReadOnly),
    ("resourcetype", Column::ResourceType),
    ("resourcename", Column::ResourceName),
    ("resources", Column::Resources),
    ("requestid", Column::RequestId),
    ("eventtype", Column::EventType),
    ("useragent", Column::UserAgent),
    ("requestuseragent", Column::UserAgent),
    ("recipientaccountid", Column::Account),
    ("awsaccountid", Column::Account),
    ("cloudtrailevent", Column::FullEvent),
];

/// A malformed CSV.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// A row larger than the record cap.
    #[error("CSV row {row} is larger than {limit} bytes")]
    RowTooLarge {
        /// 1-based row number (the header is row 1).
        row: u64,
        /// The cap.
        limit: usize,
    },
    /// A row that is not valid UTF-8.
    #[error("CSV row {row} is not valid UTF-8")]
    NotUtf8 {
        /// 1-based row number.
        row: u64,
    },
    /// A row whose JSON rendering failed (cannot happen with well-formed strings).
    #[error("CSV row {row} cannot be read: {message}")]
    Row {
        /// 1-based row number.
        row: u64,
        /// What went wrong.
        message: String,
    },
}

/// Error from [`CsvHistory::feed`].
#[derive(Debug)]
pub enum CsvFeedError<E> {
    /// The CSV is malformed.
    Csv(CsvError),
    /// The consumer refused an event.
    Consumer(E),
}

/// Incremental reader of an Event history CSV.
#[derive(Debug)]
pub struct CsvHistory {
    reader: Reader,
    columns: Option<Vec<Option<Column>>>,
    field_bytes: Vec<u8>,
    field_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    row: u64,
    max_row_bytes: usize,
}

impl CsvHistory {
    /// Recognises the CSV from its first bytes: the header must name an event ID or event name
    /// and at least two more CloudTrail columns.
    pub fn detect(head: &[u8], max_row_bytes: usize) -> Option<Self> {
        let text = std::str::from_utf8(head).ok().or_else(|| {
            // The sniffed window may cut a character; the header line is what matters.
            let end = head.iter().position(|&b| b == b'\n')?;
            std::str::from_utf8(head.get(..end)?).ok()
        })?;
        let line = text.lines().next()?;
        let mut reader = Reader::new();
        let mut out = vec![0u8; line.len() + 1];
        let mut ends = vec![0usize; 256];
        let input = format!("{line}\n");
        let (result, _, nout, nend) = reader.read_record(input.as_bytes(), &mut out, &mut ends);
        if result != ReadRecordResult::Record {
            return None;
        }
        let columns = columns_of(out.get(..nout)?, ends.get(..nend)?);
        let known: Vec<Column> = columns.iter().flatten().copied().collect();
        let anchored = known.contains(&Column::EventId) || known.contains(&Column::EventName);
        if !anchored || known.len() < 3 {
            return None;
        }
        Some(CsvHistory {
            reader: Reader::new(),
            columns: None,
            field_bytes: vec![0; 4096],
            field_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            row: 0,
            max_row_bytes,
        })
    }

    /// Reads `input`, handing an event to `emit` for every complete row.
    pub fn feed<E>(
        &mut self,
        mut input: &[u8],
        emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), CsvFeedError<E>> {
        loop {
            let (result, nin, nout, nend) = self.reader.read_record(
                input,
                self.field_bytes
                    .get_mut(self.field_len..)
                    .unwrap_or_default(),
                self.ends.get_mut(self.ends_len..).unwrap_or_default(),
            );
            input = input.get(nin..).unwrap_or_default();
            // csv-core writes `ends` as offsets into the whole row, across calls: they need no
            // shifting (a fuzzer found rows cut across chunks losing fields when they were).
            self.field_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty => return Ok(()),
                ReadRecordResult::OutputFull => {
                    if self.field_bytes.len() >= self.max_row_bytes {
                        return Err(CsvFeedError::Csv(CsvError::RowTooLarge {
                            row: self.row + 1,
                            limit: self.max_row_bytes,
                        }));
                    }
                    let grown = (self.field_bytes.len() * 2).min(self.max_row_bytes);
                    self.field_bytes.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::Record => self.row_done(emit)?,
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// Ends the input (a last row without a newline is still read).
    pub fn finish<E>(
        &mut self,
        emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), CsvFeedError<E>> {
        loop {
            let (result, _, nout, nend) = self.reader.read_record(
                &[],
                self.field_bytes
                    .get_mut(self.field_len..)
                    .unwrap_or_default(),
                self.ends.get_mut(self.ends_len..).unwrap_or_default(),
            );
            self.field_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::Record => self.row_done(emit)?,
                ReadRecordResult::OutputFull => {
                    let grown = (self.field_bytes.len() * 2)
                        .min(self.max_row_bytes.max(self.field_bytes.len() + 1));
                    self.field_bytes.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len() * 2;
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::InputEmpty | ReadRecordResult::End => return Ok(()),
            }
        }
    }

    fn row_done<E>(
        &mut self,
        emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
    ) -> Result<(), CsvFeedError<E>> {
        self.row += 1;
        let fields = self.field_bytes.get(..self.field_len).unwrap_or_default();
        let ends = self.ends.get(..self.ends_len).unwrap_or_default();
        let result = match &self.columns {
            None => {
                self.columns = Some(columns_of(fields, ends));
                Ok(())
            }
            Some(columns) => emit_row(columns, fields, ends, self.row, emit),
        };
        self.field_len = 0;
        self.ends_len = 0;
        result
    }
}

fn columns_of(fields: &[u8], ends: &[usize]) -> Vec<Option<Column>> {
    split_fields(fields, ends)
        .map(|f| {
            let name: String = String::from_utf8_lossy(f)
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '_' | '\u{feff}'))
                .flat_map(char::to_lowercase)
                .collect();
            HEADERS.iter().find(|(h, _)| *h == name).map(|(_, c)| *c)
        })
        .collect()
}

fn split_fields<'f>(fields: &'f [u8], ends: &'f [usize]) -> impl Iterator<Item = &'f [u8]> + 'f {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let field = fields.get(start..end).unwrap_or_default();
        start = end;
        field
    })
}

fn emit_row<E>(
    columns: &[Option<Column>],
    fields: &[u8],
    ends: &[usize],
    row: u64,
    emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
) -> Result<(), CsvFeedError<E>> {
    if ends.len() == 1 && fields.is_empty() {
        return Ok(()); // a blank line
    }
    let mut values: Vec<(Column, &str)> = Vec::with_capacity(columns.len());
    for (column, field) in columns.iter().zip(split_fields(fields, ends)) {
        let Some(column) = column else { continue };
        let Ok(text) = std::str::from_utf8(field) else {
            return Err(CsvFeedError::Csv(CsvError::NotUtf8 { row }));
        };
        values.push((*column, text.trim()));
    }
    let get = |c: Column| {
        values
            .iter()
            .find(|(col, v)| *col == c && !v.is_empty())
            .map(|(_, v)| *v)
    };
    // Prefer the full event when the export carries it.
    if let Some(full) = get(Column::FullEvent).filter(|v| v.starts_with('{')) {
        return emit_json(full, row, emit);
    }
    let json = row_to_record(&get);
    emit_json(&json, row, emit)
}

fn emit_json<E>(
    json: &str,
    row: u64,
    emit: &mut dyn FnMut(Event<'_>) -> Result<(), E>,
) -> Result<(), CsvFeedError<E>> {
    let result = unwrap_record(json, &mut |mut event: Event<'_>| {
        event.envelope = Envelope::EventHistoryCsv;
        emit(event)
    });
    match result {
        Ok(_) => Ok(()),
        Err(Ok(e)) => Err(CsvFeedError::Consumer(e)),
        Err(Err(e)) => Err(CsvFeedError::Csv(CsvError::Row {
            row,
            message: e.to_string(),
        })),
    }
}

/// Renders a row as a CloudTrail-shaped record, using CloudTrail's own field names.
fn row_to_record<'v>(get: &dyn Fn(Column) -> Option<&'v str>) -> String {
    let mut record = Map::new();
    let mut put = |key: &str, column: Column| {
        if let Some(v) = get(column) {
            record.insert(key.to_string(), Value::String(v.to_string()));
        }
    };
    put("eventID", Column::EventId);
    put("eventTime", Column::EventTime);
    put("eventName", Column::EventName);
    put("eventSource", Column::EventSource);
    put("awsRegion", Column::Region);
    put("sourceIPAddress", Column::SourceIp);
    put("userAgent", Column::UserAgent);
    put("errorCode", Column::ErrorCode);
    put("errorMessage", Column::ErrorMessage);
    put("requestID", Column::RequestId);
    put("eventType", Column::EventType);
    put("recipientAccountId", Column::Account);
    if let Some(flag) = get(Column::ReadOnly).and_then(crate::lenient::parse_flag) {
        record.insert("readOnly".into(), Value::Bool(flag));
    }
    let mut identity = Map::new();
    if let Some(user) = get(Column::UserName) {
        identity.insert("userName".into(), Value::String(user.into()));
    }
    if let Some(key) = get(Column::AccessKey) {
        identity.insert("accessKeyId".into(), Value::String(key.into()));
    }
    if !identity.is_empty() {
        record.insert("userIdentity".into(), Value::Object(identity));
    }
    let resources = resources_of(
        get(Column::Resources),
        get(Column::ResourceType),
        get(Column::ResourceName),
    );
    if !resources.is_empty() {
        record.insert("resources".into(), Value::Array(resources));
    }
    Value::Object(record).to_string()
}

/// The `Resources` cell holds lookup-events' JSON list; older downloads have a type and a name
/// column with comma-separated values instead.
fn resources_of(json: Option<&str>, types: Option<&str>, names: Option<&str>) -> Vec<Value> {
    if let Some(list) = json.and_then(|j| serde_json::from_str::<Vec<Map<String, Value>>>(j).ok()) {
        return list
            .into_iter()
            .map(|r| {
                let mut out = Map::new();
                if let Some(t) = r.get("ResourceType").or_else(|| r.get("resourceType")) {
                    out.insert("type".into(), t.clone());
                }
                if let Some(n) = r.get("ResourceName").or_else(|| r.get("resourceName")) {
                    out.insert("ARN".into(), n.clone());
                }
                Value::Object(out)
            })
            .collect();
    }
    let (Some(types), Some(names)) = (types, names) else {
        return Vec::new();
    };
    types
        .split(',')
        .zip(names.split(','))
        .map(|(t, n)| {
            let mut out = Map::new();
            out.insert("type".into(), Value::String(t.trim().into()));
            out.insert("ARN".into(), Value::String(n.trim().into()));
            Value::Object(out)
        })
        .collect()
}
