//! Verification end to end: list the digests, walk each chain, then the findings aws-cli does
//! not make. Three steps, each its own module, none of them calling back into the one before.

use crate::inputs::VerifyInputs;
use crate::listing::{aws_cli_fatal, chain_signatures, list_digests, parse_all, Listed, Options};
use crate::report::{Range, Report, Summary};
use crate::walk::{state_view, walk, State};

/// Verifies everything in `inputs`: every trail and source region found among the digests.
pub fn verify(inputs: &VerifyInputs, options: &Options) -> Report {
    let parsed = parse_all(inputs, options.mode);
    let candidates = chain_signatures(&parsed);
    let groups = list_digests(inputs, &parsed, options);
    if let Some(fatal) = aws_cli_fatal(inputs, options, &groups) {
        // aws-cli aborts before looking at any digest (exit 255).
        return Report {
            fatal: Some(fatal),
            ..Report::default()
        };
    }
    let mut state = State::default();
    for (trail, listed) in &groups {
        let (standard, backfill): (Vec<&Listed>, Vec<&Listed>) =
            listed.iter().partition(|l| !l.info.backfill);
        walk(
            inputs,
            &parsed,
            &candidates,
            options,
            trail,
            &standard,
            false,
            &mut state,
        );
        walk(
            inputs,
            &parsed,
            &candidates,
            options,
            trail,
            &backfill,
            true,
            &mut state,
        );
    }
    let mut report = Report {
        results: std::mem::take(&mut state.results),
        notices: std::mem::take(&mut state.notices),
        findings: Vec::new(),
        summary: Summary {
            requested: match (options.start, options.end) {
                (Some(s), Some(e)) => Some(Range {
                    start: s.to_string(),
                    end: e.to_string(),
                }),
                (Some(s), None) => Some(Range {
                    start: s.to_string(),
                    end: "now".into(),
                }),
                (None, Some(e)) => Some(Range {
                    start: "the oldest digest".into(),
                    end: e.to_string(),
                }),
                (None, None) => None,
            },
            found: state.found.map(|(s, e)| Range {
                start: s.to_string(),
                end: e.to_string(),
            }),
            digests: state.digests,
            backfill_digests: state.backfill,
            logs: state.logs,
            trails: groups.keys().map(ToString::to_string).collect(),
            keys_used: state.keys_used.iter().cloned().collect(),
            ..Summary::default()
        },
        log_integrity: Vec::new(),
        fatal: None,
        mode: options.mode,
    };
    crate::findings::add_findings(
        inputs,
        &parsed,
        options,
        &groups,
        &mut state_view(&state),
        &mut report,
    );
    report
}
