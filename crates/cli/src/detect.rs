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
use trailscope_detect::anomaly::behaviour::{detect_behaviour, BehaviourAnomaly, BehaviourOptions};
use trailscope_detect::anomaly::{detect_anomalies, Anomaly, AnomalyOptions};
use trailscope_detect::sigma::parse_sigma;
use trailscope_detect::{
    findings, parse_rules, BusinessHours, ClockOffset, Finding, Rule, RuleSet,
};
use trailscope_model::{Limits, Timestamp};
use trailscope_store::Store;

use trailscope_detect::emit_sql::rule_query;
use trailscope_query::emit_sql::SqlDialect;

use crate::load::{collect_inputs, load_all, MemoryBudget};
use crate::query::EmitSql;

/// Arguments of `trailscope detect`.
#[derive(clap::Args, Debug)]
pub struct DetectArgs {
    /// Files, folders (read recursively) and ZIP archives.
    #[arg(required_unless_present_any = ["list_rules", "emit_sql"], value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// List the rules (built-in, --rules, --sigma, after --only/--exclude) and exit: id,
    /// aliases, severity, title and the published filter a rule implements. With --json, as JSON.
    #[arg(long)]
    pub list_rules: bool,
    /// Run only this rule (id or alias). Repeatable; an unknown id is a usage error.
    #[arg(long = "only", value_name = "ID")]
    pub only: Vec<String>,
    /// Do not run this rule (id or alias). Repeatable; an unknown id is a usage error.
    #[arg(long = "exclude", value_name = "ID")]
    pub exclude: Vec<String>,
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
    /// Print each rule (after --only/--exclude) as SQL for a distributed engine instead of
    /// running it: Athena over the CloudTrail table AWS documents, or Spark SQL over
    /// `export --format parquet` read as the view `events`. No input is read. A rule SQL
    /// cannot answer the same way is named with the reason (exit code 1).
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub emit_sql: Option<EmitSql>,
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
            Some(text) => Some(text.parse::<ClockOffset>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        set.set_business_hours(start, end, offset)?;
    }
    Ok(set.select(&args.only, &args.exclude)?)
}

/// `--emit-sql`: each rule's query, or why it has none; as SQL with comments, or as JSON.
fn emit_sql(
    out: &mut impl Write,
    set: &RuleSet,
    dialect: SqlDialect,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut refused = 0usize;
    let mut items = Vec::new();
    for rule in set.rules() {
        let query = rule_query(rule, dialect);
        if let Err(e) = &query {
            refused += 1;
            eprintln!("trailscope: cannot express in SQL: {e}");
        }
        if json {
            items.push(match query {
                Ok(sql) => serde_json::json!({"id": rule.id, "title": rule.title, "sql": sql}),
                Err(e) => serde_json::json!({"id": rule.id, "title": rule.title, "not_expressible": e.reason}),
            });
        } else {
            writeln!(
                out,
                "-- {}: {} ({})",
                rule.id,
                rule.title,
                rule.severity.as_str()
            )?;
            match query {
                Ok(sql) => writeln!(out, "{sql};\n")?,
                Err(e) => writeln!(out, "-- cannot be expressed in SQL: {}\n", e.reason)?,
            }
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rules": items }))?;
        writeln!(out)?;
    }
    Ok(if refused > 0 {
        eprintln!(
            "trailscope: {refused} of {} rules cannot be expressed in SQL",
            set.rules().len()
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--list-rules`: one line per rule, or the rules as JSON.
fn list_rules(out: &mut impl Write, set: &RuleSet, json: bool) -> anyhow::Result<()> {
    if json {
        let rules: Vec<serde_json::Value> = set
            .rules()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id,
                    "aliases": r.aliases,
                    "severity": r.severity.as_str(),
                    "title": r.title,
                    "tactics": r.tactics.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
                    "techniques": r.techniques,
                    "implements": r.implements,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &serde_json::json!({ "rules": rules }))?;
        writeln!(out)?;
        return Ok(());
    }
    let width = set
        .rules()
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(out, "{:<width$}  {:<8}  TITLE", "ID", "SEVERITY")?;
    for rule in set.rules() {
        writeln!(
            out,
            "{:<width$}  {:<8}  {}",
            rule.id,
            rule.severity.as_str(),
            rule.title
        )?;
        if !rule.aliases.is_empty() {
            writeln!(
                out,
                "{:<width$}  {:<8}  also: {}",
                "",
                "",
                rule.aliases.join(", ")
            )?;
        }
        if let Some(implements) = &rule.implements {
            writeln!(
                out,
                "{:<width$}  {:<8}  implements: {}",
                "", "", implements.benchmark
            )?;
        }
    }
    writeln!(out, "{} rules", set.rules().len())?;
    Ok(())
}

pub fn run(args: &DetectArgs, budget: MemoryBudget) -> anyhow::Result<ExitCode> {
    let set = rule_set(args)?;
    if args.list_rules {
        list_rules(&mut std::io::stdout().lock(), &set, args.json)?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(engine) = args.emit_sql {
        return emit_sql(
            &mut std::io::stdout().lock(),
            &set,
            engine.dialect(),
            args.json,
        );
    }
    let (inputs, _) = collect_inputs(&args.paths)?;
    let mut store = budget.new_store();
    load_all(
        &mut store,
        &inputs,
        Limits::default(),
        !args.json && std::io::stderr().is_terminal(),
        budget,
    )?;
    let matches = set.evaluate(&store);
    let found = findings(&set, &matches, &store);
    let anomalies = detect_anomalies(&store, &AnomalyOptions::default());
    let behaviour = detect_behaviour(&store, &BehaviourOptions::default());
    let mut out = std::io::stdout().lock();
    if args.json {
        let anomalies: Vec<serde_json::Value> = anomalies.iter().map(anomaly_json).collect();
        let report = serde_json::json!({
            "findings": found,
            "anomalies": anomalies,
            "behaviour": behaviour,
            "failed_files": crate::load::failed_files(&store),
        });
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_text(&mut out, &store, &set, &found, &anomalies, &behaviour)?;
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
    behaviour: &[BehaviourAnomaly],
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
            let windows = if a.occurrences.len() > 1 {
                format!(" ({} windows)", a.occurrences.len())
            } else {
                String::new()
            };
            writeln!(
                out,
                "{} to {}  {:?} {:?}  {} {} {}{error}  {:.1}/min vs baseline {:.2}/min{}{windows}  score {:.1}",
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
                },
                a.score
            )?;
        }
    }
    writeln!(out)?;
    if behaviour.is_empty() {
        writeln!(
            out,
            "No behaviour anomalies (per principal, access key and address)."
        )?;
    } else {
        writeln!(
            out,
            "Behaviour anomalies, most important first (computed by Trailscope):"
        )?;
        for a in behaviour {
            writeln!(out, "score {:>5.1}  {:?}  {}", a.score, a.kind, a.summary)?;
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
