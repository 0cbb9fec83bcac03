//! Generates CloudTrail test data: realistic trails of any size, for tests and benchmarks.
//!
//! [`EventGenerator`] writes CloudTrail records with the shape and size of real ones (nested
//! identities, request parameters, errors, a mix of services), deterministically from a seed.
//! [`write_trail`] lays them out as a trail's S3 log files (`AWSLogs/<account>/CloudTrail/...`,
//! gzip, about five minutes of events per file), as `aws s3 sync` leaves them.
//!
//! ```
//! use trailscope_testgen::{EventGenerator, TrailSpec};
//!
//! let mut generator = EventGenerator::new(&TrailSpec::default());
//! let record = generator.next_record();
//! assert!(record.starts_with('{') && record.contains("\"eventID\""));
//! ```
#![forbid(unsafe_code)]
// Generated data only: indexes come from the generator's own bounded choices, never from
// input, and a broken built-in test key is a bug to stop at.
#![allow(clippy::indexing_slicing, clippy::panic)]
#![warn(missing_docs)]

mod events;
mod fixtures;
mod forgery;
mod real_shaped;
mod scenario;
mod signed;
mod test_keys;
mod trail;

pub use events::{EventGenerator, TrailSpec};
pub use fixtures::{write_fixtures, Expectation, Manifest};
pub use forgery::{forgeries, genuine_public_keys, write_forgeries, Forgery, ForgeryExpectation};
pub use real_shaped::write_real_shaped;
pub use scenario::{attack_scenario, write_attack_scenario, Planted, Scenario, SCENARIO_ACCOUNT};
pub use signed::{
    public_keys_json, signed_trail, SignedDigest, SignedTrail, SignedTrailSpec, TestKey,
};
pub use trail::{gzip, log_file_json, write_trail, LogFile, TrailLayout};
