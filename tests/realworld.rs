//! Real mail from public corpora (`../shared/realworld/`, never copied here), read end to end.
//!
//! Every message is analysed offline (an empty DNS snapshot): none may panic, and each must come
//! out with headers. The messages with Received headers were labelled by hand, by reading their
//! headers as an analyst would, before looking at the tool's output (`tests/realworld_labels.toml`):
//! the receiving hop (the trust boundary) and the client IP it recorded are asserted against
//! those labels. A label of "undecidable" (no hop of the receiving organisation in the message)
//! asserts nothing about the boundary.

use std::path::{Path, PathBuf};

use mailsleuth::analysis::{Analysis, DnsMode, Options, analyze};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;
use serde::Deserialize;

mod common;

#[derive(Deserialize)]
struct Labels {
    message: Vec<Label>,
}

#[derive(Deserialize)]
struct Label {
    file: String,
    layout: String,
    receiving_received: toml::Value,
    client_ip: String,
    #[serde(default)]
    trusted: Vec<String>,
    #[serde(default)]
    untrusted: Vec<String>,
}

fn realworld_dir() -> Option<PathBuf> {
    common::shared_dir("realworld")
}

fn messages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "eml" || x == "txt" || x == "msg")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn analyse(raw: &[u8], source: &str) -> Analysis {
    let opts = Options {
        source: source.to_string(),
        // Evaluate as of the corpora's era would need a date per message; the trail does not
        // depend on it beyond future-date anomalies.
        now: 1_900_000_000,
        dns_mode: DnsMode::Snapshot,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(analyze(raw, &opts, &Dns::from_snapshot(Snapshot::new())))
}

fn labels() -> Labels {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/realworld_labels.toml"),
    )
    .expect("tests/realworld_labels.toml");
    toml::from_str(&text).expect("labels parse")
}

/// The 1-based position among Received headers of the boundary hop.
fn boundary_position(a: &Analysis) -> Option<usize> {
    a.envelope.boundary_hop.map(|b| b + 1)
}

/// `Name#n` (1-based among fields of that name) of every trusted / untrusted recorded result.
fn recorded_names(a: &Analysis, trusted: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in a.recorded.iter().filter(|r| r.trusted == trusted) {
        let Some(h) = a.headers.iter().find(|h| h.index == r.header_index) else {
            continue;
        };
        let n = a
            .headers
            .iter()
            .filter(|x| x.index <= h.index && x.name.eq_ignore_ascii_case(&h.name))
            .count();
        let name = format!("{}#{n}", h.name);
        if !out.iter().any(|x| x.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

/// The titles and explanations of every step, anywhere in the analysis' JSON.
fn step_texts(v: &serde_json::Value) -> Vec<&str> {
    let mut out = Vec::new();
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("title" | "explanation", serde_json::Value::String(s)) => out.push(s.as_str()),
                    _ => out.extend(step_texts(v)),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| out.extend(step_texts(v))),
        _ => {}
    }
    out
}

#[test]
fn every_real_message_is_analysed_without_panic() {
    let Some(dir) = realworld_dir() else { return };
    let all = messages(&dir);
    assert!(
        all.len() > 300,
        "expected the three corpora, found {}",
        all.len()
    );
    let mut sentences = 0;
    for path in &all {
        let raw = std::fs::read(path).unwrap();
        let name = path.strip_prefix(&dir).unwrap().display().to_string();
        let result = std::panic::catch_unwind(|| analyse(&raw, &name));
        let a = result.unwrap_or_else(|_| panic!("{name}: analysis panicked"));
        assert!(!a.headers.is_empty(), "{name}: no headers read");
        // Every sentence the analysis wrote has its slots filled.
        let json = serde_json::to_value(&a).unwrap();
        let texts = step_texts(&json);
        sentences += texts.len();
        for text in texts {
            if let Some(why) = common::empty_slot(text) {
                panic!("{name}: {why} in {text:?}");
            }
        }
        // Every hop the analysis shows points at a Received header of the message.
        for hop in &a.hops {
            let h = a.headers.iter().find(|h| h.index == hop.header_index);
            assert!(
                h.is_some_and(|h| h.name.eq_ignore_ascii_case("received")),
                "{name}: hop at header {} is not a Received header",
                hop.header_index
            );
        }
    }
    // Every message has at least its SPF, DMARC and summary steps to read.
    assert!(
        sentences > 3 * all.len(),
        "only {sentences} step texts read"
    );
}

#[test]
fn receiving_hop_client_ip_and_trusted_results_match_the_hand_labels() {
    let Some(dir) = realworld_dir() else { return };
    let labels = labels();
    assert!(
        labels.message.len() >= 80,
        "labels cover the Received-bearing messages"
    );
    let mut failures = Vec::new();
    let mut decided = 0;
    for l in &labels.message {
        let raw = std::fs::read(dir.join(&l.file)).unwrap_or_else(|e| panic!("{}: {e}", l.file));
        let a = analyse(&raw, &l.file);
        let mut fail = |what: String| failures.push(format!("{} ({}): {what}", l.file, l.layout));
        if let Some(want) = l.receiving_received.as_integer() {
            decided += 1;
            let got = boundary_position(&a);
            if got != Some(want as usize) {
                fail(format!("receiving Received #{want}, got {got:?}"));
            }
            let want_ip = (l.client_ip != "none").then_some(l.client_ip.as_str());
            if a.envelope.client_ip.as_deref() != want_ip {
                fail(format!(
                    "client IP {want_ip:?}, got {:?}",
                    a.envelope.client_ip
                ));
            }
        } else {
            assert_eq!(
                l.receiving_received.as_str(),
                Some("undecidable"),
                "{}: receiving_received is a position or \"undecidable\"",
                l.file
            );
        }
        let (trusted, untrusted) = (recorded_names(&a, true), recorded_names(&a, false));
        for want in &l.trusted {
            if !trusted.iter().any(|t| t.eq_ignore_ascii_case(want)) {
                fail(format!("{want} should be trusted (trusted: {trusted:?})"));
            }
        }
        for want in &l.untrusted {
            if !untrusted.iter().any(|t| t.eq_ignore_ascii_case(want)) {
                fail(format!(
                    "{want} should be untrusted (untrusted: {untrusted:?})"
                ));
            }
        }
        for got in &trusted {
            if !l.trusted.iter().any(|t| t.eq_ignore_ascii_case(got)) {
                fail(format!(
                    "{got} is trusted but the label says it is not the receiver's"
                ));
            }
        }
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "real mail: {} labelled messages ({decided} with a decidable boundary), {} mismatches",
        labels.message.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
