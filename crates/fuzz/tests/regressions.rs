//! Every input a fuzzer found a crash with, kept in `regressions/<target>/`, through its target's
//! check: a fixed crash stays fixed. Plus a smoke run of every check on small fixed inputs, so a
//! check that cannot run at all fails here, on stable, before anyone fuzzes.
use std::path::Path;

#[test]
fn every_kept_crash_input_passes_its_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut checked = 0;
    for (name, check) in trailscope_fuzz::TARGETS {
        let dir = root.join(name);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let data = std::fs::read(entry.path()).unwrap_or_default();
            check(&data);
            checked += 1;
        }
    }
    eprintln!("{checked} kept inputs checked");
}

#[test]
fn every_check_runs_on_small_inputs() {
    let samples: [&[u8]; 8] = [
        b"\x01SELECT eventName, count(*) FROM $EDS_ID GROUP BY 1 ORDER BY 2 DESC",
        b"\x09SELECT element_at(requestParameters, 'bucketName') FROM events WHERE",
        b"",
        b"\x07{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"A\"}]}",
        b"\x01\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
        b"\x03eventName:A -readOnly:true ip:10.0.0.0/8",
        b"\x02PK\x03\x04",
        b"\x05title: t\ndetection:\n  selection:\n    eventName: A\n  condition: selection\n",
    ];
    for (_, check) in trailscope_fuzz::TARGETS {
        for sample in samples {
            check(sample);
        }
    }
}
