//! Throughput: messages per second through the `scan` code path (one core, then all cores),
//! and MB per second of analysing one large message next to one SHA-256 pass over its bytes.
//!
//! `cargo bench --bench throughput` prints the figures; nothing is asserted (timings on a shared
//! machine are not tests). `MAILSLEUTH_BENCH_COPIES` (default 20) sets how many times the
//! bundled samples are repeated in the scanned mbox, `MAILSLEUTH_BENCH_MB` (default 8) the size
//! of the large message; `MAILSLEUTH_BENCH_ONE_WORKER=1` runs the one-worker scan only (for
//! `mailauth_side_by_side.sh`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailsleuth::analysis::{Options, analyze};
use mailsleuth::dns::snapshot::{Snapshot, SnapshotBackend};
use mailsleuth::dns::{Dns, DnsBackend, DnsConfig, DnsMode};
use mailsleuth::scan::{self, Format, ScanConfig, Shard};
use sha2::{Digest, Sha256};

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mailsleuth::ToolAllocator = mailsleuth::ToolAllocator;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let mut emls: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("sample-emails/ is part of the repository")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    emls.sort();
    emls
}

/// One snapshot answering for every sample (the first answer to a name wins).
fn merged_snapshot(emls: &[PathBuf]) -> Snapshot {
    let mut merged = serde_json::Map::new();
    for eml in emls {
        let Ok(text) = std::fs::read_to_string(eml.with_extension("dns.json")) else {
            continue;
        };
        if let Ok(serde_json::Value::Object(names)) = serde_json::from_str(&text) {
            for (k, v) in names {
                if k != "_meta" {
                    merged.entry(k).or_insert(v);
                }
            }
        }
    }
    Snapshot::parse(&serde_json::Value::Object(merged).to_string()).expect("merged snapshot")
}

/// An mbox of every sample, `copies` times over.
fn write_mbox(emls: &[PathBuf], copies: usize) -> (PathBuf, usize) {
    let mut out = Vec::new();
    let mut count = 0;
    for _ in 0..copies {
        for eml in emls {
            out.extend_from_slice(b"From sender@example.com Wed Nov  4 10:05:33 2026\r\n");
            out.extend(std::fs::read(eml).expect("sample"));
            out.extend_from_slice(b"\r\n");
            count += 1;
        }
    }
    let path = std::env::temp_dir().join(format!("mailsleuth-bench-{}.mbox", std::process::id()));
    std::fs::write(&path, out).expect("write the bench mbox");
    (path, count)
}

/// CPU time this process has used (user + system), from /proc/self/stat (Linux; None
/// elsewhere). Ticks are taken as 1/100 s, the usual USER_HZ.
fn cpu_time() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Messages per second of `scan` with `jobs` worker threads, and how many cores were busy
/// on average (CPU time / wall time).
fn scan_rate(mbox: &Path, backend: &Arc<dyn DnsBackend>, jobs: usize) -> (f64, usize, f64) {
    let config = ScanConfig {
        paths: vec![mbox.display().to_string()],
        format: Format::Jsonl,
        shard: Shard::ALL,
        jobs,
        top: 10,
        options: Options {
            now: 1_793_000_000,
            ..Default::default()
        },
        dns: DnsConfig {
            mode: DnsMode::Snapshot,
            ..Default::default()
        },
        progress: false,
    };
    let cpu_before = cpu_time().unwrap_or(0.0);
    let started = Instant::now();
    let outcome = scan::run(config, backend.clone(), &mut std::io::sink()).expect("scan");
    let elapsed = started.elapsed().as_secs_f64();
    let busy = (cpu_time().unwrap_or(0.0) - cpu_before) / elapsed;
    let n = outcome.analysed + outcome.errors;
    (n as f64 / elapsed, n, busy)
}

/// Messages per second of [`analyze`] called in a loop on one thread over messages already in
/// memory, each result dropped: the library side of what `mailauth_side_by_side.sh` compares
/// (mailauth's `authenticate` in a loop). No file is read and no report written, unlike `scan`.
fn analysis_rate(emls: &[PathBuf], copies: usize, backend: &Arc<dyn DnsBackend>) -> (f64, usize) {
    let messages: Vec<(String, Vec<u8>)> = emls
        .iter()
        .map(|p| (p.display().to_string(), std::fs::read(p).expect("sample")))
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let run = |rounds: usize| {
        for _ in 0..rounds {
            for (source, raw) in &messages {
                let opts = Options {
                    source: source.clone(),
                    now: 1_793_000_000,
                    dns_mode: mailsleuth::analysis::DnsMode::Snapshot,
                    ..Default::default()
                };
                let dns = Dns::new(backend.clone());
                std::hint::black_box(rt.block_on(analyze(raw, &opts, &dns)));
            }
        }
    };
    run(2); // warm-up, as the mailauth side has
    let started = Instant::now();
    run(copies);
    let n = copies * messages.len();
    (n as f64 / started.elapsed().as_secs_f64(), n)
}

/// A signed sample with its body grown to `mb` megabytes of 76-character CRLF lines.
fn large_message(mb: usize) -> Vec<u8> {
    let eml =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails/clean-pass-dual-signed.eml");
    let raw = std::fs::read(eml).expect("sample");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header section")
        + 4;
    let mut out = raw[..split].to_vec();
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n";
    while out.len() < mb * 1024 * 1024 {
        out.extend_from_slice(line);
    }
    out
}

fn mean(iterations: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    let started = Instant::now();
    for _ in 0..iterations {
        f();
    }
    started.elapsed() / iterations as u32
}

fn main() {
    mailsleuth::tune_allocator();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let emls = samples();
    let snapshot = merged_snapshot(&emls);
    let backend: Arc<dyn DnsBackend> = Arc::new(SnapshotBackend::new(snapshot.clone()));
    let copies = env_or("MAILSLEUTH_BENCH_COPIES", 20);
    let (mbox, count) = write_mbox(&emls, copies);
    println!("mailsleuth throughput benchmark — {cpus} CPUs");
    println!();
    let (rate, n) = analysis_rate(&emls, copies, &backend);
    println!("analyze() in a loop on one thread, messages in memory, DNS from a snapshot");
    println!("  in process         {rate:>8.1} messages/s  ({n} messages, no report written)");
    println!();
    println!("scan of an mbox of {count} messages (the bundled samples), DNS from a snapshot");
    let (one, n1, busy1) = scan_rate(&mbox, &backend, 1);
    println!("  1 worker thread    {one:>8.1} messages/s  ({n1} messages, {busy1:.2} cores busy)");
    if std::env::var_os("MAILSLEUTH_BENCH_ONE_WORKER").is_some() {
        let _ = std::fs::remove_file(&mbox);
        return;
    }
    let (all, n2, busy) = scan_rate(&mbox, &backend, cpus);
    println!(
        "  {cpus} worker threads   {all:>8.1} messages/s  ({n2} messages, {busy:.2} cores busy, {:.2}× one)",
        all / one
    );
    let _ = std::fs::remove_file(&mbox);

    let mb = env_or("MAILSLEUTH_BENCH_MB", 8);
    let raw = large_message(mb);
    let size_mb = raw.len() as f64 / (1024.0 * 1024.0);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let opts = Options {
        now: 1_793_000_000,
        ..Default::default()
    };
    let iterations = 5;
    let analysis = mean(iterations, || {
        let dns = Dns::new(Arc::new(SnapshotBackend::new(snapshot.clone())));
        std::hint::black_box(rt.block_on(analyze(&raw, &opts, &dns)));
    });
    let sha = mean(iterations, || {
        std::hint::black_box(Sha256::digest(&raw));
    });
    let per_mb = |d: Duration| d.as_secs_f64() * 1000.0 / size_mb;
    println!();
    println!("one message of {size_mb:.1} MB (a signed sample, body grown), mean of {iterations}");
    println!(
        "  analysis           {:>8.1} ms  {:>8.1} MB/s  {:>6.2} ms/MB",
        analysis.as_secs_f64() * 1000.0,
        size_mb / analysis.as_secs_f64(),
        per_mb(analysis)
    );
    println!(
        "  one SHA-256 pass   {:>8.1} ms  {:>8.1} MB/s  {:>6.2} ms/MB",
        sha.as_secs_f64() * 1000.0,
        size_mb / sha.as_secs_f64(),
        per_mb(sha)
    );
    println!(
        "  analysis / SHA-256 {:>8.2}×",
        analysis.as_secs_f64() / sha.as_secs_f64()
    );
}
