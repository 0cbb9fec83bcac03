//! Conversions from the core's types to the wire types.

use trailscope_model::{FileKind, LogHash, LogRead};
use trailscope_store::{FileEntry, FileSummary, MemoryUse, Totals};
use trailscope_verify::{ObjectType, Report, RunInfo, Verdict};

use crate::{
    EvidenceKeyListView, FileRow, FileStatus, IntegrityInputs, LogHashWire, SummaryWire, TimeRange,
    TotalsView, TrustedKeyView, VerdictCounts, VerifyFindingView, VerifyRow, VerifyView,
};

/// The file list row for a loaded (or failed) file.
pub fn file_row(index: u32, file: &FileEntry) -> FileRow {
    let o = &file.summary;
    let status = if file.is_not_cloudtrail() {
        FileStatus::NotCloudTrail
    } else if o.error.is_some() {
        FileStatus::Failed
    } else if o.skipped_records > 0 || !o.warnings.is_empty() {
        FileStatus::Warning
    } else {
        FileStatus::Loaded
    };
    let mut notes = o.warnings.clone();
    if o.skipped_records > 0 {
        notes.push(format!("{} records skipped", o.skipped_records));
    }
    notes.extend(o.skipped_examples.iter().map(|e| format!("skipped {e}")));
    notes.extend(o.time_notes.describe());
    FileRow {
        index,
        path: file.path.clone(),
        kind: o.kind.id().to_string(),
        kind_label: o.kind.label().to_string(),
        events: if o.error.is_some() { 0 } else { o.events },
        duplicates: file.duplicates,
        status,
        error: o.error.clone(),
        notes,
        stored_bytes: o.stored_bytes,
    }
}

/// The summary totals.
pub fn totals(t: &Totals, memory: MemoryUse, integrity: IntegrityInputs) -> TotalsView {
    TotalsView {
        events: t.events,
        duplicates: t.duplicates,
        events_without_time: t.events_without_time,
        conflicts: t.conflicts,
        first_event_time: t.first_event_time.map(|t| t.to_string()),
        last_event_time: t.last_event_time.map(|t| t.to_string()),
        accounts: t.accounts.clone(),
        regions: t.regions.clone(),
        files: t.files,
        failed_files: t.failed_files,
        not_cloudtrail_files: t.not_cloudtrail_files,
        hashed_only_files: t.hashed_only_files,
        files_with_warnings: t.files_with_warnings,
        text_bytes: t.text_bytes,
        store_bytes: memory.columns_bytes as u64,
        records_bytes: memory.records_bytes,
        records_spilled_bytes: memory.records_spilled_bytes,
        integrity,
    }
}

/// A log hash for the wire.
pub fn log_hash_to_wire(h: &LogHash) -> LogHashWire {
    let (read, reason) = match &h.read {
        LogRead::Complete => ("complete", None),
        LogRead::TrailerMissing => ("trailer_missing", None),
        LogRead::Truncated => ("truncated", None),
        LogRead::Invalid(r) => ("invalid", Some(r.clone())),
    };
    LogHashWire {
        sha256: h.sha256_hex.clone(),
        read: read.into(),
        reason,
        trailing: h.trailing_data,
        bytes: h.decompressed_bytes,
    }
}

/// A log hash from the wire.
pub fn log_hash_from_wire(w: LogHashWire) -> LogHash {
    let read = match w.read.as_str() {
        "complete" => LogRead::Complete,
        "trailer_missing" => LogRead::TrailerMissing,
        "truncated" => LogRead::Truncated,
        _ => LogRead::Invalid(w.reason.unwrap_or_else(|| "invalid".into())),
    };
    LogHash {
        sha256_hex: w.sha256,
        read,
        trailing_data: w.trailing,
        decompressed_bytes: w.bytes,
    }
}

/// A verification report for the page, with its downloads.
pub fn verify_view(report: &Report, run: &RunInfo) -> VerifyView {
    let s = &report.summary;
    let counts = |c: &trailscope_verify::Counts| VerdictCounts {
        valid: c.valid,
        invalid: c.invalid,
        unverifiable: c.unverifiable,
    };
    let range = |r: &trailscope_verify::Range| TimeRange {
        start: r.start.clone(),
        end: r.end.clone(),
    };
    VerifyView {
        overall: report.overall().id().to_string(),
        headline: report.headline(),
        mode: run.mode.clone(),
        digests: counts(&s.digests),
        backfill_digests: counts(&s.backfill_digests),
        logs: counts(&s.logs),
        logs_not_covered: s.logs_not_covered,
        covered: s.covered.iter().map(range).collect(),
        gaps: s.gaps.iter().map(range).collect(),
        newest_digest_end: s.newest_digest_end.clone(),
        trails: s.trails.clone(),
        keys_used: s.keys_used.clone(),
        trusted_keys: s.trusted_keys.iter().map(trusted_key_view).collect(),
        evidence_key_lists: s
            .evidence_key_lists
            .iter()
            .map(|l| EvidenceKeyListView {
                path: l.path.clone(),
                fingerprints: l.fingerprints.clone(),
            })
            .collect(),
        list_keys_command: s.list_keys_command.clone(),
        rows: report
            .results
            .iter()
            .map(|r| VerifyRow {
                object: match r.object {
                    ObjectType::Digest => "digest",
                    ObjectType::Log => "log",
                }
                .into(),
                backfill: r.backfill,
                s3_uri: format!("s3://{}/{}", r.bucket, r.key),
                verdict: r.verdict.clone(),
                status: match r.outcome {
                    Verdict::Valid => "valid",
                    Verdict::Invalid(_) => "invalid",
                    Verdict::Unverifiable(_) => "unverifiable",
                }
                .into(),
            })
            .collect(),
        notices: report.notices.clone(),
        findings: report
            .findings
            .iter()
            .map(|f| VerifyFindingView {
                kind: f.kind.to_string(),
                severity: f.severity.id().to_string(),
                message: f.message.clone(),
                object: f.object.clone(),
            })
            .collect(),
        json: report.to_json(Some(run)),
        html: report.to_html(run),
        case: run.case.clone(),
        analyst: run.analyst.clone(),
        has_invalid: report.has_invalid(),
        rows_changed: 0,
        signatures_missing_only: report.only_signatures_missing(),
    }
}

/// The copies of the event at `row`, for the detail view (empty unless files disagree on it).
pub fn event_copies(store: &trailscope_store::Store, row: usize) -> Vec<crate::EventCopyView> {
    if !store.has_conflict(row) {
        return Vec::new();
    }
    store
        .copies(row)
        .into_iter()
        .map(|c| crate::EventCopyView {
            file: c.path,
            integrity: c.integrity.map(|i| i.as_str().to_string()),
            shown: c.shown,
            json: c.json,
            differences: c
                .differences
                .into_iter()
                .map(|d| crate::DifferenceView {
                    path: d.path,
                    shown: d.first,
                    this: d.second,
                })
                .collect(),
        })
        .collect()
}

/// A trusted key for the page.
pub fn trusted_key_view(k: &trailscope_verify::KeyReport) -> TrustedKeyView {
    TrustedKeyView {
        fingerprint: k.fingerprint.clone(),
        valid_from: k.valid_from.clone(),
        valid_to: k.valid_to.clone(),
        region: k.region.clone(),
        status: k.status.to_string(),
        regions_used: k.regions.clone(),
    }
}

/// A file summary for the wire.
pub fn summary_to_wire(s: &FileSummary) -> SummaryWire {
    SummaryWire {
        kind: s.kind.id().to_string(),
        events: s.events,
        skipped_records: s.skipped_records,
        skipped_examples: s.skipped_examples.clone(),
        time_notes: s.time_notes,
        stored_bytes: s.stored_bytes,
        text_bytes: s.text_bytes,
        error: s.error.clone(),
        warnings: s.warnings.clone(),
        foreign: s.foreign,
    }
}

/// A file summary from the wire (an unknown kind id reads as `Unknown`). The stored file's hash
/// travels beside it ([`crate::ParsedFile::stored_sha256`]), so the caller sets it.
pub fn summary_from_wire(w: SummaryWire) -> FileSummary {
    FileSummary {
        kind: FileKind::from_id(&w.kind).unwrap_or(FileKind::Unknown),
        events: w.events,
        skipped_records: w.skipped_records,
        skipped_examples: w.skipped_examples,
        time_notes: w.time_notes,
        stored_bytes: w.stored_bytes,
        text_bytes: w.text_bytes,
        error: w.error,
        warnings: w.warnings,
        foreign: w.foreign,
        stored_sha256: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_round_trip() {
        let summary = FileSummary {
            kind: FileKind::EventHistoryCsv,
            events: 3,
            skipped_records: 1,
            skipped_examples: vec!["record 2: bad".into()],
            time_notes: trailscope_model::TimeNotes {
                missing: 1,
                from_envelope: 2,
                ..trailscope_model::TimeNotes::default()
            },
            stored_bytes: 10,
            text_bytes: 20,
            error: None,
            warnings: vec!["w".into()],
            foreign: true,
            stored_sha256: None,
        };
        assert_eq!(summary_from_wire(summary_to_wire(&summary)), summary);
    }
}
