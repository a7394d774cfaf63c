//! Fuzzing on the stable toolchain: deterministic generated and mutated inputs through every
//! parser that reads message or DNS text, and through the whole analysis. A plain `cargo test`
//! runs a short round; `MAILSLEUTH_FUZZ_CASES=200000 cargo test --release fuzz` runs a long one
//! (README). A failing input is written to `target/fuzz-failures/` and named in the panic, to be
//! kept as a regression test.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::test_support::random_sequences;

/// Cases per target (MAILSLEUTH_FUZZ_CASES overrides).
fn cases(default: usize) -> usize {
    std::env::var("MAILSLEUTH_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Bytes that mean something to the parsers, plus letters, digits and odd bytes.
const ALPHABET: &[u8] =
    b"::;;==<<>>(())\"\"\\\\@@..[[]]  \t\r\n\r\n,-_/+%{}~!aAbBdDiIsSvV019\xff\x00\x1b";

fn run_target(name: &str, seed: u64, max_len: u64, f: impl Fn(&[u8])) {
    for (i, input) in random_sequences(ALPHABET, seed, cases(2000), max_len)
        .into_iter()
        .enumerate()
    {
        if catch_unwind(AssertUnwindSafe(|| f(&input))).is_err() {
            let path = keep_failure(name, i, &input);
            panic!("{name}: case {i} panicked; input kept at {path}");
        }
    }
}

fn keep_failure(name: &str, i: usize, input: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{name}-{i}.bin"));
    let _ = std::fs::write(&path, input);
    path.display().to_string()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn fuzz_header_split_and_received() {
    run_target("split", 0x9e37_79b9_7f4a_7c15, 600, |b| {
        let parsed = crate::analysis::trail::headers::split_headers(b);
        let (_hops, _) = crate::analysis::trail::received::parse_hops(&parsed.headers);
        let _ = crate::analysis::trail::headers::from_domain(&parsed.headers);
    });
}

#[test]
fn fuzz_received_values() {
    run_target("received", 0x2545_f491_4f6c_dd1d, 300, |b| {
        let _ = crate::analysis::trail::received::parse_received(0, &text(b));
    });
}

#[test]
fn fuzz_authentication_results_and_received_spf() {
    run_target("authres", 0xbf58_476d_1ce4_e5b9, 300, |b| {
        let t = text(b);
        let _ = crate::analysis::trail::authres::parse_authentication_results(&t);
        let _ = crate::analysis::trail::authres::parse_received_spf(&t);
        let _ = crate::analysis::trail::headers::decode_unstructured(&t);
    });
}

#[test]
fn fuzz_dkim_tags_and_spf_records() {
    run_target("tags", 0x94d0_49bb_1331_11eb, 300, |b| {
        let t = text(b);
        let _ = crate::analysis::dkim::fuzz_parse(&t);
        let _ = crate::analysis::spf::record::parse_record(&format!("v=spf1 {t}"));
        let _ = crate::analysis::spf::record::parse_record(&t);
    });
}

#[test]
fn fuzz_snapshot_files() {
    run_target("snapshot", 0x1234_5678_9abc_def1, 300, |b| {
        let _ = crate::dns::snapshot::Snapshot::parse(&text(b));
    });
    // JSON-shaped inputs reach past the JSON parser.
    let shapes = [
        "{\"a.example\":{\"TXT\":[[\"X\"]]}}",
        "{\"a.example\":{\"MX\":[{\"exchange\":\"X\",\"priority\":1}]}}",
        "{\"a.example\":{\"CNAME\":[\"X\"]},\"_meta\":{\"ttl\":{}}}",
    ];
    for (n, words) in random_sequences(
        &["", ".", "\\\\", "\"", "a", "é", "0", "-", " ", "*", "_"],
        7,
        cases(2000),
        12,
    )
    .into_iter()
    .enumerate()
    {
        let w = words.concat();
        for shape in shapes {
            let input = shape.replace('X', &w);
            if catch_unwind(|| crate::dns::snapshot::Snapshot::parse(&input)).is_err() {
                let path = keep_failure("snapshot-shape", n, input.as_bytes());
                panic!("snapshot shape case {n} panicked; input kept at {path}");
            }
        }
    }
}

/// One mutation of a message: cut a range, repeat a line, insert a token, or swap two lines.
fn mutate(raw: &[u8], seed: &mut u64) -> Vec<u8> {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let mut lines: Vec<Vec<u8>> = raw
        .split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        return raw.to_vec();
    }
    const TOKENS: &[&[u8]] = &[
        b"<",
        b">",
        b";",
        b"=",
        b"\r\n",
        b"\r\n\r\n",
        b"\t",
        b"\"",
        b"(",
        b")",
        b"=?utf-8?B?",
        b"?=",
        b"From: ",
        b"Received: ",
        b"DKIM-Signature: v=1; ",
        b"Authentication-Results: ",
        b"\x1b[201~",
        b"\xff",
        b"\x00",
        b"..",
        b"@",
    ];
    for _ in 0..1 + next() % 4 {
        let n = lines.len();
        let i = (next() as usize) % n;
        match next() % 4 {
            0 => {
                let line = &mut lines[i];
                if !line.is_empty() {
                    let a = (next() as usize) % line.len();
                    let b = (a + (next() as usize) % 16).min(line.len());
                    line.drain(a..b);
                }
            }
            1 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            2 => {
                let token = TOKENS[(next() as usize) % TOKENS.len()];
                let line = &mut lines[i];
                let at = (next() as usize) % (line.len() + 1);
                line.splice(at..at, token.iter().copied());
            }
            _ => {
                let j = (next() as usize) % n;
                lines.swap(i, j);
            }
        }
    }
    lines.concat()
}

#[test]
fn fuzz_whole_analysis_on_mutated_samples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .expect("sample-emails")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    samples.sort();
    assert!(!samples.is_empty());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_sample = cases(2000) / 40 + 1;
    let mut seed = 0x5851_f42d_4c95_7f2d_u64;
    for path in &samples {
        let raw = std::fs::read(path).unwrap();
        let snapshot = crate::dns::snapshot::Snapshot::load(&path.with_extension("dns.json"))
            .unwrap_or_default();
        for i in 0..per_sample {
            let input = mutate(&raw, &mut seed);
            let opts = crate::analysis::Options {
                source: "fuzz".into(),
                now: 1_793_000_000,
                dns_mode: crate::analysis::DnsMode::Snapshot,
                ..Default::default()
            };
            let dns = crate::dns::Dns::from_snapshot(snapshot.clone());
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let a = rt.block_on(crate::analysis::analyze(&input, &opts, &dns));
                // Every view reads it without panicking, and output stays bounded.
                let json = crate::report::json(&a);
                let _ = crate::report::text(&a);
                let _ = crate::report::markdown(&a);
                json.len()
            }));
            match outcome {
                Ok(len) => assert!(
                    len < 64 * input.len() + 2_000_000,
                    "{}: mutation {i}: {len} bytes of JSON for {} bytes in",
                    path.display(),
                    input.len()
                ),
                Err(_) => {
                    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                    let kept = keep_failure(&name, i, &input);
                    panic!(
                        "{}: mutation {i} panicked; input kept at {kept}",
                        path.display()
                    );
                }
            }
        }
    }
}
