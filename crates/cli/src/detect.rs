//! `trailscope detect`: run the built-in rules (plus rule files and Sigma rules) and the anomaly
//! model over CloudTrail files, and report findings.
//!
//! Exit codes: findings are results, not failures, so the command exits 0 whenever the inputs
//! were read (with or without findings), 1 when some input failed to read, and 2 on usage errors,
//! including a rule or Sigma file that cannot be read or converted.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use trailscope_detect::anomaly::{detect_anomalies, Anomaly, AnomalyOptions};
use trailscope_detect::sigma::parse_sigma;
use trailscope_detect::{findings, parse_rules, BusinessHours, Finding, Rule, RuleSet, UtcOffset};
use trailscope_model::{Limits, Timestamp};
use trailscope_store::Store;

use crate::load::{collect_inputs, load_all};

/// Arguments of `trailscope detect`.
#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    /// Files, folders (read recursively) and ZIP archives.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// More rules: a YAML or JSON rule file (see crates/detect/RULES.md). Repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// A Sigma rule for AWS CloudTrail (YAML). Repeatable.
    #[arg(long = "sigma", value_name = "FILE")]
    pub sigma: Vec<PathBuf>,
    /// Print `{"findings":[...],"anomalies":[...]}` instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Business hours for rules that test them, local time, end exclusive (default 08-18).
    #[arg(long, value_name = "HH-HH")]
    pub business_hours: Option<String>,
    /// Time zone of the business hours as a UTC offset (default +00:00).
    #[arg(long, value_name = "+HH:MM", allow_hyphen_values = true)]
    pub utc_offset: Option<String>,
}

/// Reads the rule files and builds the rule set; any problem is a usage error naming the file.
fn rule_set(args: &DetectArgs) -> anyhow::Result<RuleSet> {
    let mut set = RuleSet::builtin();
    for path in &args.rules {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read rule file {}", path.display()))?;
        let rules = parse_rules(&text).with_context(|| format!("rule file {}", path.display()))?;
        set.extend(rules)
            .with_context(|| format!("rule file {}", path.display()))?;
    }
    for path in &args.sigma {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read Sigma file {}", path.display()))?;
        let rule: Rule =
            parse_sigma(&text).with_context(|| format!("Sigma file {}", path.display()))?;
        set.extend(vec![rule])
            .with_context(|| format!("Sigma file {}", path.display()))?;
    }
    if args.business_hours.is_some() || args.utc_offset.is_some() {
        let (start, end) = match &args.business_hours {
            Some(text) => BusinessHours::parse_hours(text).map_err(anyhow::Error::msg)?,
            None => {
                let d = BusinessHours::default();
                (d.start_hour, d.end_hour)
            }
        };
        let offset = match &args.utc_offset {
            Some(text) => Some(text.parse::<UtcOffset>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        set.set_business_hours(start, end, offset)?;
    }
    Ok(set)
}

pub fn run(args: &DetectArgs) -> anyhow::Result<ExitCode> {
    let set = rule_set(args)?;
    let (inputs, _) = collect_inputs(&args.paths)?;
    let mut store = Store::new();
    load_all(
        &mut store,
        &inputs,
        Limits::default(),
        !args.json && std::io::stderr().is_terminal(),
    );
    let matches = set.evaluate(&store);
    let found = findings(&set, &matches, &store);
    let anomalies = detect_anomalies(&store, &AnomalyOptions::default());
    let mut out = std::io::stdout().lock();
    if args.json {
        let anomalies: Vec<serde_json::Value> = anomalies.iter().map(anomaly_json).collect();
        let report = serde_json::json!({
            "findings": found,
            "anomalies": anomalies,
            "failed_files": crate::load::failed_files(&store),
        });
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &store, &set, &found, &anomalies)?;
    }
    let failed = store.totals().failed_files;
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn time(millis: i64) -> String {
    Timestamp::from_unix_millis(millis).to_rfc3339()
}

/// An anomaly as the JSON report shows it: its fields plus readable start and end times.
fn anomaly_json(a: &Anomaly) -> serde_json::Value {
    let mut value = serde_json::to_value(a).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("startTime".into(), time(a.start_millis).into());
        map.insert("endTime".into(), time(a.end_millis).into());
    }
    value
}

fn print_text(
    out: &mut impl Write,
    store: &Store,
    set: &RuleSet,
    found: &[Finding],
    anomalies: &[Anomaly],
) -> std::io::Result<()> {
    if found.is_empty() {
        writeln!(out, "No rule matched.")?;
    } else {
        let width = found.iter().map(|f| f.rule.len()).max().unwrap_or(4).max(4);
        writeln!(
            out,
            "{:<8}  {:<width$}  {:>7}  TITLE",
            "SEVERITY", "RULE", "EVENTS"
        )?;
        for f in found {
            writeln!(
                out,
                "{:<8}  {:<width$}  {:>7}  {}",
                f.severity.as_str(),
                f.rule,
                f.events,
                f.title
            )?;
        }
    }
    writeln!(out)?;
    if anomalies.is_empty() {
        writeln!(
            out,
            "No anomalies (computed by Trailscope, not CloudTrail Insights)."
        )?;
    } else {
        writeln!(
            out,
            "Anomalies (computed by Trailscope, not CloudTrail Insights):"
        )?;
        for a in anomalies {
            let error = a
                .error_code
                .as_deref()
                .map(|e| format!(" {e}"))
                .unwrap_or_default();
            writeln!(
                out,
                "{} to {}  {:?} {:?}  {} {} {}{error}  {:.1}/min vs baseline {:.2}/min{}",
                time(a.start_millis),
                time(a.end_millis),
                a.insight_type,
                a.direction,
                a.aws_region,
                a.event_source,
                a.event_name,
                a.insight_average,
                a.baseline_average,
                if a.baseline_short {
                    format!(" (baseline only {} min)", a.baseline_duration_minutes)
                } else {
                    String::new()
                }
            )?;
        }
    }
    let totals = store.totals();
    writeln!(
        out,
        "\n{} events from {} files ({} failed); {} rules checked",
        totals.events,
        totals.files,
        totals.failed_files,
        set.rules().len()
    )?;
    for f in crate::load::failed_files(store) {
        writeln!(out, "failed: {}: {}", f.path, f.error)?;
    }
    Ok(())
}
