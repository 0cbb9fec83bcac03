//! Filters, facets, timelines and exports over the event store.
//!
//! The page and the CLI describe what they want to see with a small filter language (below),
//! [`Filter::parse`] reads it, [`matches()`] answers it from the [`trailscope_store::Store`]'s
//! columns (and, for free text and other JSON paths, from the compressed original records), and
//! [`run_query`] returns in one call what the page shows: the count, the facets, the timeline
//! and a page of rows, as plain serde data. [`export()`] writes selected events as the console's
//! CSV, as CloudTrail JSON, or one record per line. Nothing here uses threads, files or clocks,
//! so the crate runs unchanged in the browser.
//!
//! ```
//! use trailscope_model::{ingest_bytes, Limits};
//! use trailscope_query::{run_query, QueryRequest};
//! use trailscope_store::Store;
//!
//! let log = br#"{"Records":[
//!   {"eventID":"1","eventName":"CreateUser","eventTime":"2024-02-28T21:47:12Z","errorCode":"AccessDenied"},
//!   {"eventID":"2","eventName":"ListUsers","eventTime":"2024-02-28T21:48:00Z","readOnly":true}]}"#;
//! let mut store = Store::new();
//! store.load("a.json", |batch| ingest_bytes(log, Limits::default(), batch));
//! let request = QueryRequest { filter: "name:create*".into(), ..QueryRequest::default() };
//! let answer = run_query(&mut store, &request).unwrap();
//! assert_eq!(answer.total, 1);
//! assert_eq!(answer.rows[0].event_id.as_deref(), Some("1"));
//! assert_eq!(answer.filter, "eventName:create*");
//! // The eventName facet ignores the eventName term: both names are offered.
//! assert_eq!(answer.facets[0].values.len(), 2);
//! ```
//!
//! # The filter language
//!
//! - `field:value` terms, all of which must hold; terms on the same field are alternatives
//!   (`eventName:CreateUser eventName:DeleteUser`). `-term` must not hold.
//! - Fields are CloudTrail's JSON paths (`eventName`, `errorCode`, `userIdentity.arn`,
//!   `requestParameters.bucketName`, any path starting with a record key; arrays on the way
//!   are searched element by element) and aliases: `name`, `source`, `region`, `ip`
//!   (`sourceIPAddress`, also `ip:10.0.0.0/8` and IPv6 ranges), `user` (the caller as the table
//!   shows it), `type`, `arn`, `accessKey`, `sessionIssuer`, `account` (`recipientAccountId`,
//!   else the caller's account), `error` (`errorCode` or `errorMessage`; `error:*` or `error:any`
//!   for any error), `readOnly` and `mfa` (`true`/`false`), `integrity` (`verified`, `failed`,
//!   `unverified`, `not_covered`, `unknown`), `resource`/`resourceName` (what the event acted
//!   on, whole or the name an ARN ends with: an ARN in `resources[]`, a target named in the
//!   request such as `instancesSet.items[].instanceId` or `bucketName`, see [`targets`]),
//!   `resourceType`, and time: `from:T` (at or after
//!   the start of T), `to:T` (up to the end of T), `after:T`, `before:T`, `time:T` or
//!   `time:T1..T2`, where T is a date (`2024-02-29`, the whole day, UTC) or an RFC 3339 time.
//!   Field names ignore case.
//! - Values match whole values, ignoring ASCII case (`errorcode:accessdenied` finds
//!   `AccessDenied`): CloudTrail's names differ by more than case, so being forgiving costs
//!   nothing. `*` at the start or end is a wildcard (`errorCode:AccessDenied*`,
//!   `eventName:*User`, `userAgent:*terraform*`); `field:*` means "has a value".
//! - A bare word, or `"quoted text"`, is free text: a case-insensitive substring of the original
//!   record's JSON, taken literally. Quotes keep spaces in values (`userAgent:"aws-cli/2 Py*"`);
//!   `\"` and `\\` escape inside them.
//!
//! Errors ([`ParseError`]) carry the byte range of the offending term and a message.
//! `Filter::to_string` prints a canonical form that parses back to the same filter (field
//! names as CloudTrail paths where there is one: `ip:` prints as `sourceIPAddress:`).
//!
//! # What a query returns
//!
//! Each [`Facet`] is counted under the filter *without that field's own terms*, as value pickers
//! work: with `eventName:CreateUser` in the filter, the `eventName` facet still lists the other
//! names (a second one can be picked), while every other facet counts only `CreateUser` events.
//! The yes/no facets (`readOnly`, `mfa`, `error`, `integrity`) work the same way. The
//! [`Histogram`] and the rows are under the whole filter; the bucket width is the smallest
//! round step (1 s, 2 s, 5 s, ... 1 min ... 1 h ... 1 day ... 1 year) that covers the selected
//! events in at most 120 buckets, which gives 40 to 120 of them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod case;
pub mod columns;
pub mod edit;
pub mod emit_sql;
mod eval;
pub mod export;
mod facets;
mod filter;
mod histogram;
mod key;
pub mod manifest;
mod parse;
mod query;
mod records;
pub mod related;
mod targets;

pub use eval::matches;
pub use export::{export, file_name as export_file_name, ExportFormat, ExportProgress, CSV_HEADER};
pub use facets::{field_facet, resource_facet, Facet, FacetValue, RESOURCE_FACET_MAX_EVENTS};
pub use filter::{Cidr, Filter, Pattern, Term, Test, TimeSpan, Value};
pub use histogram::{histogram, Bucket, Histogram};
pub use key::{field_name_completions, Key};
pub use parse::{ParseError, ParseErrorKind};
pub use query::{
    facets, ordered, page, run_query, run_query_within, wildcard_suggestion, EventRow, Order,
    QueryRequest, QueryResponse, SortBy, Sorting, Suggestion,
};
pub use records::{path_matches, resource_matches, resource_name};
pub use targets::targets;
pub use trailscope_store::RowSet;
