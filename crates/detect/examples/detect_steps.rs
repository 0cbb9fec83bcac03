//! Prints how long each detection step takes over the log files below a folder, e.g. one made
//! by `trailscope-gen real-shaped --events 1000000 DIR`. The page's store worker answers queries
//! between these steps, so the longest one is how long a query can wait for the detections.
//!
//! `cargo run --release -p trailscope-detect --example detect_steps -- DIR`

use std::path::{Path, PathBuf};
use std::time::Instant;

use trailscope_detect::anomaly::behaviour::{BehaviourOptions, BehaviourRun, RunStep};
use trailscope_detect::anomaly::{detect_anomalies, AnomalyOptions};
use trailscope_detect::RuleSet;
use trailscope_model::{ingest_reader, Limits};
use trailscope_store::Store;

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files_below(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: detect_steps DIR (log files below it)")?;
    let mut paths = Vec::new();
    files_below(Path::new(&dir), &mut paths)?;
    paths.sort();
    let started = Instant::now();
    let mut store = Store::new();
    for path in &paths {
        let file = std::fs::File::open(path)?;
        store.load(&path.display().to_string(), |sink| {
            ingest_reader(file, Limits::default(), sink)
        });
    }
    println!(
        "loaded {} events from {} files in {:.1} s",
        store.len(),
        paths.len(),
        started.elapsed().as_secs_f64()
    );
    let timed = |name: &str, started: Instant| {
        println!("{name:>20}: {:>6} ms", started.elapsed().as_millis());
    };
    let started = Instant::now();
    let matches = RuleSet::builtin().evaluate(&store);
    timed("rules", started);
    let started = Instant::now();
    let rate = detect_anomalies(&store, &AnomalyOptions::default());
    timed("rate anomalies", started);
    // Steps that go through rows repeat: their total, count and longest.
    let mut steps: Vec<(RunStep, u128, u32, u128)> = Vec::new();
    let mut run = BehaviourRun::new(BehaviourOptions::default());
    let behaviour = loop {
        let step = run.next_step();
        let started = Instant::now();
        let found = run.step(&store);
        let millis = started.elapsed().as_millis();
        match steps.iter_mut().find(|s| s.0 == step) {
            Some(s) => {
                s.1 += millis;
                s.2 += 1;
                s.3 = s.3.max(millis);
            }
            None => steps.push((step, millis, 1, millis)),
        }
        if let Some(found) = found {
            break found;
        }
        if step == RunStep::Done {
            return Err("the behaviour run ended without a result".into());
        }
    };
    for (step, total, count, longest) in steps {
        println!(
            "{:>20}: {total:>6} ms in {count} steps, longest {longest} ms",
            format!("{step:?}")
        );
    }
    let text = serde_json::to_string(&behaviour)?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::hash::Hash::hash(&text, &mut hasher);
    println!(
        "behaviour anomalies as JSON: {} bytes, hash {:016x}",
        text.len(),
        std::hash::Hasher::finish(&hasher)
    );
    println!(
        "{} rule matches, {} rate anomalies, {} behaviour anomalies",
        matches.len(),
        rate.len(),
        behaviour.len()
    );
    Ok(())
}
