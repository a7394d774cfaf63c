//! Analysis time per message from a DNS snapshot, over every bundled sample.
//!
//! `cargo bench --bench analysis` prints, per sample, the mean time to a full analysis and the
//! messages per second; then the same run with every DNS answer delayed by a fixed latency, to
//! show that independent lookups overlap (time ≈ depth of the dependent chain, not the sum).
//! Figures are wall-clock on a noisy machine: compare the ratios printed within one run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailsleuth::analysis::{Options, analyze};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::{Snapshot, SnapshotBackend};

mod common;
use common::Delayed;

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mailsleuth::ToolAllocator = mailsleuth::ToolAllocator;

fn main() {
    mailsleuth::tune_allocator();
    let iterations: usize = std::env::var("MAILSLEUTH_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let mut samples: Vec<_> = std::fs::read_dir(&dir)
        .expect("sample-emails/ is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    samples.sort();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");

    println!(
        "mailsleuth analysis benchmark — {} samples, {iterations} iterations each, {} CPUs",
        samples.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<34} {:>10} {:>10} {:>8}",
        "sample", "ms/msg", "msgs/s", "queries"
    );
    let mut total = Duration::ZERO;
    let mut count = 0usize;
    let latency = Duration::from_millis(20);
    let mut delayed_rows = Vec::new();
    for eml in &samples {
        let name = eml
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let snap_path = eml.with_extension("dns.json");
        let Ok(snapshot) = Snapshot::load(&snap_path) else {
            println!("{name:<34} (no snapshot, skipped)");
            continue;
        };
        let raw = std::fs::read(eml).expect("sample readable");
        let opts = Options {
            source: name.clone(),
            now: 1_790_000_000,
            ..Default::default()
        };
        let mut queries = 0;
        let started = Instant::now();
        for _ in 0..iterations {
            let dns = Dns::new(Arc::new(SnapshotBackend::new(snapshot.clone())));
            let a = rt.block_on(analyze(&raw, &opts, &dns));
            queries = a.dns.len();
        }
        let elapsed = started.elapsed();
        total += elapsed;
        count += iterations;
        let per = elapsed.as_secs_f64() * 1000.0 / iterations as f64;
        println!("{name:<34} {per:>10.2} {:>10.1} {queries:>8}", 1000.0 / per);

        // Latency run: one iteration is enough, the delay dominates.
        let dns = Dns::new(Arc::new(Delayed {
            inner: SnapshotBackend::new(snapshot.clone()),
            latency,
        }));
        let started = Instant::now();
        let a = rt.block_on(analyze(&raw, &opts, &dns));
        let wall = started.elapsed();
        let asked: u32 = a.dns.iter().map(|e| e.count).sum();
        delayed_rows.push((name, wall, asked));
    }
    if count > 0 {
        let per = total.as_secs_f64() * 1000.0 / count as f64;
        println!("{:<34} {per:>10.2} {:>10.1}", "ALL (mean)", 1000.0 / per);
    }
    println!();
    println!(
        "with {} ms per DNS answer: wall time vs. what sequential lookups would take",
        latency.as_millis()
    );
    println!(
        "{:<34} {:>10} {:>12} {:>8}",
        "sample", "wall ms", "serial ms", "ratio"
    );
    for (name, wall, asked) in delayed_rows {
        let serial = latency.as_secs_f64() * 1000.0 * asked as f64;
        let wall_ms = wall.as_secs_f64() * 1000.0;
        let ratio = if serial > 0.0 { wall_ms / serial } else { 0.0 };
        println!("{name:<34} {wall_ms:>10.1} {serial:>12.1} {ratio:>8.2}");
    }
}
