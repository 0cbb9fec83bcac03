//! Reading paths from disk into the store: folders are walked, ZIP archives opened, and every file
//! is reported, read or not.

use std::fs::File;
use std::io::{BufReader, Cursor, IsTerminal, Read, Seek};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use trailscope_model::{
    ingest_reader, is_os_metadata, packaging, FileIngestor, FileKind, FileOutcome, IngestError,
    Limits, Packaging,
};
use trailscope_model::{ArchiveStep, ArchiveTree};
use trailscope_store::{FileSummary, Store};

use crate::spill::{temporary_files_in_memory, FileSpill};

/// A file found under the given paths.
pub struct Input {
    /// Where it is on disk.
    pub path: PathBuf,
    /// How it is named in reports: as given, or relative to the given folder.
    pub display: String,
    /// Its size in bytes.
    pub size: u64,
    /// Why it cannot be read (a FIFO, a device, a folder that loops or cannot be listed, a path
    /// that does not exist): it is reported as a failed input, never opened, and every other
    /// input is still read.
    pub problem: Option<String>,
}

impl Input {
    fn unreadable(path: &Path, problem: String) -> Self {
        Input {
            path: path.to_path_buf(),
            display: path.display().to_string(),
            size: 0,
            problem: Some(problem),
        }
    }
}

/// Why a path that is not a regular file or folder is not read.
fn not_regular(meta: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO), not a file: not read".into();
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device, not a file: not read".into();
        }
        if t.is_socket() {
            return "a socket, not a file: not read".into();
        }
    }
    let _ = meta;
    "neither a file nor a folder: not read".into()
}

/// Expands the given paths into files, sorted within each folder. Nothing is opened here; paths
/// that cannot be read become inputs with a [`Input::problem`], so one bad path never stops the
/// run. Only a path that does not exist at all is a usage error (a typo).
pub fn collect_inputs(paths: &[PathBuf]) -> anyhow::Result<(Vec<Input>, u64)> {
    let mut inputs = Vec::new();
    let mut skipped = 0u64;
    for path in paths {
        if std::fs::symlink_metadata(path).is_err() {
            anyhow::bail!("{}: no such file or folder", path.display());
        }
        // Follows a symlink: a link to `/dev/zero` is a device, a link to a folder a folder.
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                inputs.push(Input::unreadable(path, format!("cannot read it: {e}")));
                continue;
            }
        };
        if meta.is_file() {
            inputs.push(Input {
                path: path.clone(),
                display: path.display().to_string(),
                size: meta.len(),
                problem: None,
            });
            continue;
        }
        if !meta.is_dir() {
            inputs.push(Input::unreadable(path, not_regular(&meta)));
            continue;
        }
        let walker = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    // A symlink loop, a folder that cannot be listed, a file that vanished.
                    let at = e.path().unwrap_or(path);
                    let why = if e.loop_ancestor().is_some() {
                        "a symbolic link that loops back to a folder above it: not followed"
                            .to_string()
                    } else {
                        match e.io_error() {
                            Some(io) => format!("cannot read it: {io}"),
                            None => format!("cannot read it: {e}"),
                        }
                    };
                    inputs.push(Input::unreadable(at, why));
                    continue;
                }
            };
            let display = entry.path().display().to_string();
            if is_os_metadata(&display) {
                skipped += 1;
                continue;
            }
            if entry.file_type().is_dir() {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(m) => m,
                Err(e) => {
                    inputs.push(Input::unreadable(
                        entry.path(),
                        format!("cannot read it: {e}"),
                    ));
                    continue;
                }
            };
            if !meta.is_file() {
                inputs.push(Input::unreadable(entry.path(), not_regular(&meta)));
                continue;
            }
            inputs.push(Input {
                path: entry.path().to_path_buf(),
                display,
                size: meta.len(),
                problem: None,
            });
        }
    }
    Ok((inputs, skipped))
}

/// The events of `paths` in a new store, with a progress bar on a terminal, and each file that
/// failed named on stderr (helper files that are not CloudTrail are not failures); the flag
/// says whether any failed.
pub fn load_paths(
    paths: &[PathBuf],
    progress: bool,
    budget: MemoryBudget,
) -> anyhow::Result<(Store, bool)> {
    let (inputs, _) = collect_inputs(paths)?;
    let mut store = budget.new_store();
    load_all(
        &mut store,
        &inputs,
        Limits::default(),
        progress && std::io::stderr().is_terminal(),
        budget,
    )?;
    let failed = report_failed(&store);
    Ok((store, failed))
}

/// Prints every CloudTrail file of `store` that failed; returns whether one did.
pub fn report_failed(store: &Store) -> bool {
    let mut failed = false;
    for file in store.files() {
        if let (Some(error), false) = (&file.summary.error, file.is_not_cloudtrail()) {
            eprintln!("trailscope: {}: {error}", file.path);
            failed = true;
        }
    }
    failed
}

/// Reads every input into `store`, one file (or archive entry) at a time; stops with
/// [`TooLarge`] once the process holds more than `budget` allows.
pub fn load_all(
    store: &mut Store,
    inputs: &[Input],
    limits: Limits,
    progress: bool,
    budget: MemoryBudget,
) -> Result<(), TooLarge> {
    let mut reader = InputReader::new(inputs, limits, progress, budget);
    while reader.read_next(store)? {}
    reader.finish();
    Ok(())
}

/// Reads inputs one at a time, with a progress bar and a memory budget: `load_all` reads them
/// all into one store, `export` a part at a time into a store per part.
pub struct InputReader<'a> {
    inputs: &'a [Input],
    next: usize,
    limits: Limits,
    bar: ProgressBar,
    budget: MemoryBudget,
    read_since_check: u64,
    files_since_check: u32,
}

/// Bytes read between two looks at the process's memory: reading `/proc` costs about 20 µs,
/// a file of a few kilobytes about as much, so looking after every file would slow a trail of
/// small files down; a few megabytes is nothing next to the margin the budget leaves.
const CHECK_EVERY_BYTES: u64 = 4 << 20;
/// Files between two looks, whatever their size.
const CHECK_EVERY_FILES: u32 = 256;

impl<'a> InputReader<'a> {
    /// A reader of `inputs`; the bar shows on stderr when `progress`.
    pub fn new(inputs: &'a [Input], limits: Limits, progress: bool, budget: MemoryBudget) -> Self {
        let total: u64 = inputs.iter().map(|i| i.size).sum();
        let bar = bytes_bar(total, progress, "{msg}");
        InputReader {
            inputs,
            next: 0,
            limits,
            bar,
            budget,
            read_since_check: 0,
            files_since_check: 0,
        }
    }

    /// Reads the next input into `store`; `Ok(false)` when none is left. Stops with
    /// [`TooLarge`] when the process has outgrown the budget, before the system runs out.
    pub fn read_next(&mut self, store: &mut Store) -> Result<bool, TooLarge> {
        let Some(input) = self.inputs.get(self.next) else {
            return Ok(false);
        };
        self.next += 1;
        if let Some(problem) = &input.problem {
            failed(
                store,
                &input.display,
                FileKind::Unknown,
                IngestError::Read(problem.clone()),
            );
        } else {
            match File::open(&input.path) {
                Ok(file) => {
                    load_reader(store, &input.display, BufReader::new(file), self.limits, 0)
                }
                Err(e) => failed(
                    store,
                    &input.display,
                    FileKind::Unknown,
                    IngestError::Read(e.to_string()),
                ),
            }
        }
        self.bar.inc(input.size);
        self.bar.set_message(format!("{} events", store.len()));
        self.read_since_check += input.size;
        self.files_since_check += 1;
        if self.read_since_check >= CHECK_EVERY_BYTES || self.files_since_check >= CHECK_EVERY_FILES
        {
            self.read_since_check = 0;
            self.files_since_check = 0;
            if let Some(resident) = self.budget.exceeded(store) {
                self.bar.finish_and_clear();
                return Err(TooLarge {
                    files_read: self.next,
                    files: self.inputs.len(),
                    events: store.len() as u64,
                    resident,
                    budget: self.budget,
                    export_part_events: None,
                });
            }
        }
        Ok(true)
    }

    /// Clears the progress bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A progress bar over `total` bytes on stderr (hidden unless `progress`), `what` after the
/// counts (an indicatif template piece: `{msg}` for a message set as it goes).
pub fn bytes_bar(total: u64, progress: bool, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(&format!("{{bar:30}} {{bytes}}/{{total_bytes}} {what}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// How much memory a command may hold while it loads events: it stops with [`TooLarge`] past
/// it, instead of being killed by the system with nothing said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    /// Resident bytes allowed; `None` when there is no limit (none given, and the system's
    /// free memory could not be read).
    limit: Option<u64>,
    /// Whether the limit was given (`--memory-limit`) rather than taken from the system.
    given: bool,
    /// Bytes of compressed records a store keeps in memory; the rest go to a temporary file
    /// (`--records-in-memory`).
    records_in_memory: u64,
    /// Whether that file is in memory too (`TMPDIR` on a tmpfs): then its bytes count
    /// against the limit, as the system counts them.
    spill_in_memory: bool,
}

/// Compressed records kept in memory by default before the rest go to a temporary file: a
/// small trail never touches the disk, and a large one keeps only its columns in memory.
pub const RECORDS_IN_MEMORY_MIB: u64 = 256;

/// The share of the memory available at the start that loading may take by default: the
/// rest is the margin for the file being read when the limit is found passed, and for the
/// work after the load (sorting, detections, SQL).
const DEFAULT_SHARE_PERCENT: u64 = 80;

/// The default limit is never below this: a misread of the system's memory must not stop a
/// small trail, and below it the system is short of memory whatever this command does.
const DEFAULT_FLOOR: u64 = 512 << 20;

impl MemoryBudget {
    /// `--memory-limit MIB` when given; else 80% of the memory available now (the kernel's
    /// `MemAvailable`, or the cgroup's limit if lower) on top of what the process holds.
    /// `records_in_memory_mib` of compressed records stay in memory, the rest go to a
    /// temporary file.
    pub fn new(limit_mib: Option<u64>, records_in_memory_mib: u64) -> Self {
        let records_in_memory = records_in_memory_mib.saturating_mul(1 << 20);
        let spill_in_memory = temporary_files_in_memory();
        match limit_mib {
            Some(mib) => MemoryBudget {
                limit: Some(mib.saturating_mul(1 << 20)),
                given: true,
                records_in_memory,
                spill_in_memory,
            },
            None => MemoryBudget {
                limit: available_bytes().map(|available| {
                    (resident_bytes().unwrap_or(0) + available / 100 * DEFAULT_SHARE_PERCENT)
                        .max(DEFAULT_FLOOR)
                }),
                given: false,
                records_in_memory,
                spill_in_memory,
            },
        }
    }

    /// An empty store whose compressed records past `--records-in-memory` go to a temporary
    /// file. Where that file cannot be made or written, the store keeps the rest itself (said
    /// once on stderr), and the memory limit still watches it.
    pub fn new_store(&self) -> Store {
        let mut store = Store::new();
        store.spill_records_to(
            Box::new(FileSpill::new()),
            usize::try_from(self.records_in_memory).unwrap_or(usize::MAX),
        );
        store
    }

    /// The process's resident bytes (with `store`'s temporary file when that is in memory),
    /// when they are past the limit.
    fn exceeded(&self, store: &Store) -> Option<u64> {
        let limit = self.limit?;
        let spilled = if self.spill_in_memory {
            store.records().spilled_bytes()
        } else {
            0
        };
        resident_bytes()
            .map(|resident| resident.saturating_add(spilled))
            .filter(|&held| held > limit)
    }
}

/// Loading stopped because the events would not fit in memory.
#[derive(Debug)]
pub struct TooLarge {
    /// Inputs read before it stopped.
    pub files_read: usize,
    /// Inputs given.
    pub files: usize,
    /// Events held when it stopped.
    pub events: u64,
    /// The process's resident bytes then.
    pub resident: u64,
    /// The budget it passed.
    pub budget: MemoryBudget,
    /// Set by `export`, which holds one part, not every event: the part's size in events.
    pub export_part_events: Option<u64>,
}

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |b: u64| b >> 20;
        let limit = self.budget.limit.unwrap_or(0);
        let whence = if self.budget.given {
            "the limit given with --memory-limit".to_string()
        } else {
            format!(
                "{DEFAULT_SHARE_PERCENT}% of the memory this system had available; \
                 --memory-limit MIB sets another limit"
            )
        };
        write!(
            f,
            "stopped after reading {} of {} files ({} events in memory): the process reached \
             {} MiB, past {} MiB ({whence}).",
            self.files_read,
            self.files,
            self.events,
            mib(self.resident),
            mib(limit),
        )?;
        match self.export_part_events {
            Some(part) => write!(
                f,
                "\nThe export holds one part of the trail at a time ({part} events here) and \
                 every event's 16-byte key: give a smaller --part-events, or more memory."
            ),
            None => write!(
                f,
                "\nThis command holds every event's columns in memory, and printed nothing, so no partial \
                 answer passes for a whole one. A trail this large goes through Parquet, which \
                 streams: `trailscope export --format parquet --out DIR PATH...` reads it a \
                 part at a time, then `trailscope sql DIR -q '...'` queries the folder in \
                 place; `trailscope query --emit-sql spark` and `trailscope detect --emit-sql \
                 spark` give the filter and the rules as SQL for Spark or Athena."
            ),
        }
    }
}

impl std::error::Error for TooLarge {}

/// The process's resident memory (Linux: `VmRSS` of `/proc/self/status`); `None` elsewhere.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmRSS:")
}

/// Memory the system can still give (Linux: `MemAvailable`, or what is left under the
/// cgroup's `memory.max` if that is less); `None` when it cannot be read.
fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let system = kib_field(&meminfo, "MemAvailable:")?;
    let cgroup = (|| {
        let read = |name: &str| std::fs::read_to_string(format!("/sys/fs/cgroup/{name}")).ok();
        let max: u64 = read("memory.max")?.trim().parse().ok()?; // "max" (no limit) does not parse
        let current: u64 = read("memory.current")?.trim().parse().ok()?;
        // The cgroup's count includes the page cache, which the kernel gives back under
        // pressure: after a build it can fill the cgroup without anything being short.
        let cache = read("memory.stat")
            .and_then(|stat| {
                let line = stat.lines().find(|l| l.starts_with("file "))?;
                line.get(5..)?.trim().parse::<u64>().ok()
            })
            .unwrap_or(0);
        Some(max.saturating_sub(current.saturating_sub(cache)))
    })();
    Some(cgroup.map_or(system, |c| c.min(system)))
}

/// A `Name:   123 kB` line's value in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line
        .get(name.len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Reads one file, which may be a ZIP archive, into the store.
fn load_reader<R: Read + Seek>(
    store: &mut Store,
    display: &str,
    mut reader: R,
    limits: Limits,
    depth: u8,
) {
    let mut head = [0u8; 4];
    let n = read_head(&mut reader, &mut head);
    if reader.rewind().is_err() {
        failed(
            store,
            display,
            FileKind::Unknown,
            IngestError::Read("cannot rewind".into()),
        );
        return;
    }
    if packaging(head.get(..n).unwrap_or_default()) == Packaging::Zip {
        load_zip(store, display, reader, limits, depth);
        return;
    }
    store.load(display, |batch| ingest_reader(reader, limits, batch));
}

fn read_head<R: Read>(reader: &mut R, head: &mut [u8; 4]) -> usize {
    let mut n = 0;
    while n < head.len() {
        match reader.read(head.get_mut(n..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn load_zip<R: Read + Seek>(
    store: &mut Store,
    display: &str,
    reader: R,
    limits: Limits,
    depth: u8,
) {
    let mut tree = match ArchiveTree::open(display, reader, limits, depth, 4) {
        Ok(tree) => tree,
        Err(e) => {
            failed(store, display, FileKind::Zip, e);
            return;
        }
    };
    while let Some(step) = tree.next() {
        match step {
            ArchiveStep::File { path, head, entry } => {
                let ingestor = FileIngestor::for_archive_entry(limits, entry.compressed_size);
                store.load(&path, |batch| {
                    ingestor.read_all(Cursor::new(head).chain(entry.reader), batch)
                });
            }
            ArchiveStep::Failed { path, kind, error } => failed(store, &path, kind, error),
            ArchiveStep::Nested => {}
        }
    }
}

/// Records a file that could not be read at all.
fn failed(store: &mut Store, path: &str, kind: FileKind, error: IngestError) {
    store.add_file(
        path,
        FileSummary::from(&FileOutcome::failed(kind, error)),
        Vec::new(),
    );
}

/// A file that could not be read, for reports.
#[derive(serde::Serialize)]
pub struct FailedFile {
    /// The file, as the report names it.
    pub path: String,
    /// Why it failed.
    pub error: String,
}

/// Every file that failed, in load order.
pub fn failed_files(store: &Store) -> Vec<FailedFile> {
    store
        .files()
        .iter()
        .filter_map(|f| {
            f.summary.error.as_ref().map(|e| FailedFile {
                path: f.path.clone(),
                error: e.clone(),
            })
        })
        .collect()
}
