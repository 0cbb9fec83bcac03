//! Conflicting copies of events in the CLI's reports (`inspect --json`, `verify --json`): one
//! shape for both, whether the copies came from the store or from `verify`'s copy index.

use std::io::Write;

use serde::Serialize;
use trailscope_model::{compare_records, Comparison, Difference};
use trailscope_store::{FileConflict, Integrity, Store};
use trailscope_verify::{LogIntegrity, Report};

/// One event whose copies disagree. Field names are part of the CLI's contract.
#[derive(Clone, Debug, Serialize)]
pub struct ConflictReport {
    pub event_id: String,
    /// Every distinct copy, the one used first.
    pub copies: Vec<CopyReport>,
}

/// One copy of the event.
#[derive(Clone, Debug, Serialize)]
pub struct CopyReport {
    /// The file it came from.
    pub path: String,
    /// Whether this copy is the one used (the one from a verified file, when there is one).
    pub shown: bool,
    /// Its file's integrity, when verification judged it.
    pub integrity: Option<&'static str>,
    /// Where it differs from the copy used.
    pub differences: Vec<DifferenceReport>,
}

/// A field on which a copy differs from the copy used.
#[derive(Clone, Debug, Serialize)]
pub struct DifferenceReport {
    pub path: String,
    /// The value in the copy used (compact JSON; absent when the field is missing).
    pub shown: Option<String>,
    /// The value in this copy.
    pub this: Option<String>,
}

fn differences(list: Vec<Difference>) -> Vec<DifferenceReport> {
    list.into_iter()
        .map(|d| DifferenceReport {
            path: d.path,
            shown: d.first,
            this: d.second,
        })
        .collect()
}

/// From the store (`inspect`).
pub fn from_store(store: &Store) -> Vec<ConflictReport> {
    store
        .conflicts()
        .into_iter()
        .map(|c| ConflictReport {
            event_id: c.event_id,
            copies: c
                .copies
                .into_iter()
                .map(|copy| CopyReport {
                    path: copy.path,
                    shown: copy.shown,
                    integrity: copy.integrity.map(Integrity::as_str),
                    differences: differences(copy.differences),
                })
                .collect(),
        })
        .collect()
}

/// From `verify`'s copy index: the copy used is the one from a verified file, else the first.
pub fn from_files(
    conflicts: &[FileConflict],
    paths: &[String],
    report: &Report,
) -> Vec<ConflictReport> {
    // Verification names files as its path index does (without a leading `./` or `/`).
    let integrity = |path: &str| {
        let path = path.trim_start_matches("./").trim_start_matches('/');
        report
            .log_integrity
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, i)| match i {
                LogIntegrity::Verified => "verified",
                LogIntegrity::Failed => "failed",
                LogIntegrity::Unverified => "unverified",
                LogIntegrity::NotCovered => "not_covered",
            })
    };
    conflicts
        .iter()
        .map(|c| {
            let path_of = |file: u32| paths.get(file as usize).cloned().unwrap_or_default();
            let shown = c
                .copies
                .iter()
                .position(|(file, _, _)| integrity(&path_of(*file)) == Some("verified"))
                .unwrap_or(0);
            let shown_json = c
                .copies
                .get(shown)
                .map(|(_, j, _)| j.as_str())
                .unwrap_or("");
            let mut copies: Vec<CopyReport> = c
                .copies
                .iter()
                .enumerate()
                .map(|(i, (file, json, _))| {
                    let path = path_of(*file);
                    CopyReport {
                        integrity: integrity(&path),
                        path,
                        shown: i == shown,
                        differences: match compare_records(shown_json, json) {
                            Comparison::Differ(d) => differences(d),
                            _ => Vec::new(),
                        },
                    }
                })
                .collect();
            copies.sort_by_key(|c| !c.shown);
            ConflictReport {
                event_id: c.event_id.clone(),
                copies,
            }
        })
        .collect()
}

/// The conflicts as text, after a report.
pub fn print(out: &mut impl Write, conflicts: &[ConflictReport]) -> std::io::Result<()> {
    if conflicts.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nEvents with conflicting copies ({}): the copy used is marked *",
        conflicts.len()
    )?;
    for c in conflicts {
        writeln!(out, "  eventID {}", c.event_id)?;
        for copy in &c.copies {
            writeln!(
                out,
                "    {} {} ({})",
                if copy.shown { "*" } else { " " },
                copy.path,
                copy.integrity.unwrap_or("not verified")
            )?;
            for d in &copy.differences {
                writeln!(
                    out,
                    "        {}: {} instead of {}",
                    d.path,
                    d.this.as_deref().unwrap_or("(absent)"),
                    d.shown.as_deref().unwrap_or("(absent)")
                )?;
            }
        }
    }
    Ok(())
}
