//! `trailscope verify`: offline log file integrity validation of a downloaded trail.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailscope_model::{LogHasher, Timestamp};
use trailscope_verify::{
    is_digest_path, verify, Content, DigestBytes, Mode, Options, PublicKeys, Signatures,
    VerifyInputs, MAX_DIGEST_BYTES, MAX_KEY_FILE_BYTES,
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

fn parse_time(text: &str, what: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_rfc3339(text)
        .or_else(|| Timestamp::parse_rfc3339(&format!("{text}T00:00:00Z")))
        .with_context(|| {
            format!("{what} {text:?} is not a time like 2024-02-28T20:00:00Z or 2024-02-28")
        })
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let start = args
        .start_time
        .as_deref()
        .map(|t| parse_time(t, "--start-time"))
        .transpose()?;
    let end = args
        .end_time
        .as_deref()
        .map(|t| parse_time(t, "--end-time"))
        .transpose()?;
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            bail!("Invalid time range specified: start-time must occur before end-time");
        }
    }
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
    let inputs = read_all(
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
    let report = verify(&inputs, &options);
    let mut out = std::io::stdout().lock();
    if let Some(fatal) = &report.fatal {
        // aws-cli prints its fatal error on stderr between blank lines and exits 255.
        eprintln!("\n{fatal}");
    }
    if args.json {
        // The JSON shape is part of the CLI's contract (see the README).
        out.write_all(report.to_json(None).as_bytes())?;
        writeln!(out)?;
    } else if report.fatal.is_none() {
        out.write_all(report.to_text().as_bytes())?;
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
) -> VerifyInputs {
    let total: u64 = files.iter().map(|f| f.size).sum();
    let bar = if progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} hashing")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Evidence>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { break };
                let content = read_one(file);
                bar.inc(file.size);
                if let Ok(mut r) = results.lock() {
                    if let Some(slot) = r.get_mut(i) {
                        *slot = Some(content);
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut inputs = VerifyInputs::new();
    inputs.trusted_keys = keys;
    inputs.signatures = signatures;
    for (file, content) in files.iter().zip(results.into_inner().unwrap_or_default()) {
        let path = file.display.replace('\\', "/");
        match content {
            Some(Evidence::File(Content::Digest(d))) => inputs.add_digest(&path, d),
            Some(Evidence::File(Content::Log(h))) => inputs.add_log(&path, h),
            Some(Evidence::KeyList(bytes)) => inputs.add_evidence_key_list(&path, &bytes),
            None => {}
        }
    }
    inputs
}

/// What a walked file is to verification.
enum Evidence {
    /// A digest, or a file hashed as a log file.
    File(Content),
    /// A key list among the evidence: reported, never trusted.
    KeyList(Vec<u8>),
}

fn read_one(file: &crate::load::Input) -> Evidence {
    let path = file.display.replace('\\', "/");
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
        }
    }
    let mut hasher = LogHasher::new();
    if let Ok(mut f) = std::fs::File::open(&file.path) {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            match f.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => hasher.feed(buf.get(..n).unwrap_or_default()),
            }
        }
    }
    Evidence::File(Content::Log(hasher.finish()))
}

/// `list-public-keys` output (or a bare array of its entries).
fn looks_like_key_list(bytes: &[u8]) -> bool {
    let text = bytes.trim_ascii_start();
    (text.starts_with(b"{") || text.starts_with(b"["))
        && PublicKeys::from_json(bytes)
            .is_ok_and(|keys| !keys.is_empty() || bytes.windows(13).any(|w| w == b"PublicKeyList"))
}
