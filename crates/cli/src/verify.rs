//! `trailscope verify`: offline log file integrity validation of a downloaded trail.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context;
use trailscope_model::{Event, EventSink, FileIngestor, Limits, LogHash, LogRead, Timestamp};
use trailscope_store::{CopyCollector, CopyIndex, FileConflict};
use trailscope_verify::{
    is_digest_path, verify, Content, DigestBytes, Mode, Options, PublicKeys, Signatures,
    TimeWindow, VerifyInputs, MAX_DIGEST_BYTES, MAX_KEY_FILE_BYTES,
};

use crate::load::collect_inputs;

pub struct Args {
    pub paths: Vec<PathBuf>,
    pub public_keys: Vec<PathBuf>,
    pub signatures: Vec<PathBuf>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub json: bool,
    pub aws_cli_compat: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let TimeWindow { start, end } =
        TimeWindow::parse(args.start_time.as_deref(), args.end_time.as_deref())
            .map_err(|e| anyhow::anyhow!("--start-time/--end-time: {e}"))?;
    let mut keys = PublicKeys::default();
    for path in &args.public_keys {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        keys.extend(PublicKeys::from_json(&bytes).with_context(|| path.display().to_string())?);
    }
    let mut signatures = Signatures::default();
    for path in &args.signatures {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        signatures
            .add_json(&bytes, &path.display().to_string())
            .with_context(|| path.display().to_string())?;
    }
    let (files, _) = collect_inputs(&args.paths)?;
    let TrailRead {
        inputs,
        conflicts,
        paths,
        unreadable,
    } = read_all(
        files,
        keys,
        signatures,
        !args.json && std::io::stderr().is_terminal(),
    );
    let options = Options {
        start,
        end,
        mode: if args.aws_cli_compat {
            Mode::AwsCli
        } else {
            Mode::Strict
        },
        checked_at: Some(now()),
    };
    let mut report = verify(&inputs, &options);
    for problem in unreadable {
        report.notices.push(format!("Not read: {problem}"));
    }
    let conflicts = crate::conflicts::from_files(&conflicts, &paths, &report);
    report.add_event_conflicts(conflicts.iter().map(|c| c.event_id.as_str()));
    let mut out = std::io::stdout().lock();
    if let Some(fatal) = &report.fatal {
        // aws-cli prints its fatal error on stderr between blank lines and exits 255.
        eprintln!("\n{fatal}");
    }
    if args.json {
        // The JSON shape is part of the CLI's contract (see the README): the core's report,
        // with the conflicting copies of events beside it.
        let mut json: serde_json::Value = serde_json::from_str(&report.to_json(None))?;
        if let Some(object) = json.as_object_mut() {
            object.insert("conflicts".into(), serde_json::to_value(&conflicts)?);
        }
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else if report.fatal.is_none() {
        out.write_all(report.to_text().as_bytes())?;
        crate::conflicts::print(&mut out, &conflicts)?;
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// The time of the check, for the report (the core has no clock).
fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// Reads every file on all cores: digests whole, everything else hashed as a log file while
/// streaming, so a trail of any size is read once and never held in memory.
fn read_all(
    files: Vec<crate::load::Input>,
    keys: PublicKeys,
    signatures: Signatures,
    progress: bool,
) -> TrailRead {
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = crate::load::bytes_bar(total, progress, "hashing");
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Evidence>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    let indexes: Mutex<Vec<CopyIndex>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut index = CopyIndex::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let content = read_one(file, u32::try_from(i).unwrap_or(u32::MAX), &mut index);
                    bar.inc(file.size);
                    if let Ok(mut r) = results.lock() {
                        if let Some(slot) = r.get_mut(i) {
                            *slot = Some(content);
                        }
                    }
                }
                if let Ok(mut all) = indexes.lock() {
                    all.push(index);
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut index = CopyIndex::new();
    for part in indexes.into_inner().unwrap_or_default() {
        index.merge(part);
    }
    let conflicts = find_conflicts(&files, &index);
    let mut inputs = VerifyInputs::new();
    inputs.trusted_keys = keys;
    let mut found_signatures = Signatures::default();
    let mut unreadable = Vec::new();
    for (file, content) in files.iter().zip(results.into_inner().unwrap_or_default()) {
        let path = file.display.replace('\\', "/");
        match content {
            Some(Evidence::Signatures(bytes)) => {
                let _ = found_signatures.add_json(&bytes, &path);
            }
            Some(Evidence::File(Content::Digest(d))) => inputs.add_digest(&path, d),
            Some(Evidence::File(Content::Log(h))) => inputs.add_log(&path, h),
            Some(Evidence::EventFile(h)) => inputs.add_event_file(&path, h),
            Some(Evidence::Unreadable(problem)) => {
                unreadable.push(format!("{path}: {problem}"));
                inputs.add_log(
                    &path,
                    LogHash {
                        sha256_hex: String::new(),
                        read: LogRead::Invalid(problem),
                        trailing_data: false,
                        decompressed_bytes: 0,
                    },
                );
            }
            Some(Evidence::KeyList(bytes)) => inputs.add_evidence_key_list(&path, &bytes),
            None => {}
        }
    }
    // The sidecars given with --signatures come last, so they win over ones found among the files.
    found_signatures.extend(signatures);
    inputs.signatures = found_signatures;
    let paths = files.iter().map(|f| f.display.replace('\\', "/")).collect();
    TrailRead {
        inputs,
        conflicts,
        paths,
        unreadable,
    }
}

/// What reading the trail gave.
struct TrailRead {
    inputs: VerifyInputs,
    /// Events whose copies disagree, with file numbers into `paths`.
    conflicts: Vec<FileConflict>,
    paths: Vec<String>,
    /// Paths that could not be read, with why.
    unreadable: Vec<String>,
}

/// What a walked file is to verification.
enum Evidence {
    /// A digest, or a file hashed as a log file.
    File(Content),
    /// A key list among the evidence: reported, never trusted.
    KeyList(Vec<u8>),
    /// A signature sidecar among the evidence.
    Signatures(Vec<u8>),
    /// A file that holds events, hashed as a log file.
    EventFile(LogHash),
    /// A path that cannot be read (a FIFO, a device, a looping link): never opened.
    Unreadable(String),
}

fn read_one(file: &crate::load::Input, number: u32, index: &mut CopyIndex) -> Evidence {
    let path = file.display.replace('\\', "/");
    if let Some(problem) = &file.problem {
        return Evidence::Unreadable(problem.clone());
    }
    let bytes_or_error = || std::fs::read(&file.path).map_err(|e| e.to_string());
    if is_digest_path(&path) {
        // Digests are kilobytes: one of gigabytes is refused unread.
        if file.size > MAX_DIGEST_BYTES as u64 {
            return Evidence::File(Content::Digest(DigestBytes::too_large(file.size)));
        }
        return Evidence::File(Content::Digest(match bytes_or_error() {
            Ok(bytes) => DigestBytes::from_stored(&bytes),
            Err(e) => DigestBytes {
                content: Err(e),
                trailing_data: false,
            },
        }));
    }
    if file.size <= MAX_KEY_FILE_BYTES as u64 {
        if let Ok(bytes) = std::fs::read(&file.path) {
            if looks_like_key_list(&bytes) {
                return Evidence::KeyList(bytes);
            }
            // A signature sidecar among the files is used as the page uses it: a signature is
            // only believed once a trusted key verifies it.
            if bytes.trim_ascii_start().starts_with(b"{")
                && Signatures::default()
                    .add_json(&bytes, &path)
                    .is_ok_and(|n| n > 0)
            {
                return Evidence::Signatures(bytes);
            }
        }
    }
    // Read once: the SHA-256 CloudTrail signed, and every event, so that copies of one event
    // that disagree across files are found (32 bytes an event, not the events themselves).
    let mut events = 0;
    let hash = match std::fs::File::open(&file.path) {
        Ok(f) => {
            let mut sink = Observe { index, number };
            let outcome = FileIngestor::new(Limits::default())
                .read_all(std::io::BufReader::with_capacity(1 << 20, f), &mut sink);
            if outcome.error.is_none() {
                events = outcome.events;
            }
            outcome.log_hash
        }
        Err(e) => Some(LogHash {
            sha256_hex: String::new(),
            read: LogRead::Invalid(format!("cannot read it: {e}")),
            trailing_data: false,
            decompressed_bytes: 0,
        }),
    };
    let hash = hash.unwrap_or(LogHash {
        sha256_hex: String::new(),
        read: LogRead::Invalid("empty file".into()),
        trailing_data: false,
        decompressed_bytes: 0,
    });
    if events > 0 {
        Evidence::EventFile(hash)
    } else {
        Evidence::File(Content::Log(hash))
    }
}

/// Hands every event of file `number` to a [`CopyIndex`] (or, in the second pass, a
/// [`CopyCollector`]).
struct Observe<'i, I> {
    index: &'i mut I,
    number: u32,
}

/// What both passes of the copy search do with an event.
trait SeesEvents {
    fn see(&mut self, file: u32, event: &Event<'_>);
}

impl SeesEvents for CopyIndex {
    fn see(&mut self, file: u32, event: &Event<'_>) {
        self.observe(file, event);
    }
}

impl SeesEvents for CopyCollector {
    fn see(&mut self, file: u32, event: &Event<'_>) {
        self.observe(file, event);
    }
}

impl<I: SeesEvents> EventSink for Observe<'_, I> {
    type Error = std::convert::Infallible;
    fn accept(&mut self, event: &Event<'_>) -> Result<(), Self::Error> {
        self.index.see(self.number, event);
        Ok(())
    }
}

/// The second pass: reads again the files that hold an event met with two contents, and
/// compares those copies by meaning.
fn find_conflicts(files: &[crate::load::Input], index: &CopyIndex) -> Vec<FileConflict> {
    let mut collector = index.collector();
    for number in index.candidate_files() {
        let Some(file) = files.get(number as usize) else {
            continue;
        };
        if let Ok(f) = std::fs::File::open(&file.path) {
            let mut sink = Observe {
                index: &mut collector,
                number,
            };
            FileIngestor::new(Limits::default())
                .read_all(std::io::BufReader::with_capacity(1 << 20, f), &mut sink);
        }
    }
    collector.conflicts()
}

/// `list-public-keys` output (or a bare array of its entries).
fn looks_like_key_list(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii_start();
    (text.starts_with(b"{") || text.starts_with(b"["))
        && PublicKeys::from_json(bytes)
            .is_ok_and(|keys| !keys.is_empty() || bytes.windows(13).any(|w| w == b"PublicKeyList"))
}
