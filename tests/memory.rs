//! Memory held while a message is analysed and its report written, counted by a global allocator
//! that keeps the peak of the bytes live on the heap (this test binary's own allocator; the tool
//! itself may use another, so these are bytes asked for, not pages held). Asserted as sizes, never
//! as time: the figures do not depend on the machine.
//!
//! Issue 7: a message of 5,000 Received headers (about 1 MB) is analysed and reported in under
//! 8 MB, and the report goes out as it is made, never whole in memory.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use mailsleuth::analysis::{Analysis, DnsMode, Options, analyze};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // The old and the new block may both exist while the bytes move: count both.
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests share the counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// A message whose trace is `hops` Received headers, newest first, as a chain of relays writes
/// them (each about 190 bytes, folded over three lines).
fn many_hops(hops: usize) -> Vec<u8> {
    let mut text = String::new();
    for i in (0..hops).rev() {
        let octet = (i * 7) % 250 + 1;
        text.push_str(&format!(
            "Received: from relay{i}.example.net (relay{i}.example.net [198.51.100.{octet}])\r\n\
             \tby mx{}.example.org (Postfix) with ESMTPS id 4Xyz{i:05}Q\r\n\
             \tfor <user@example.org>; Wed, 4 Nov 2026 10:{:02}:{:02} +0000\r\n",
            i + 1,
            (i / 60) % 60,
            i % 60
        ));
    }
    text.push_str(
        "From: Alice <alice@example.com>\r\nTo: user@example.org\r\nSubject: many hops\r\n\
         Date: Wed, 4 Nov 2026 10:00:00 +0000\r\nMessage-ID: <x@example.com>\r\n\r\nbody\r\n",
    );
    text.into_bytes()
}

fn options() -> Options {
    Options {
        source: "many-hops.eml".into(),
        now: 1_793_000_000,
        dns_mode: DnsMode::Snapshot,
        ..Default::default()
    }
}

/// Counts only what `work` keeps or builds beyond what is live when it starts.
fn peak_during<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let out = work();
    (out, PEAK.load(Ordering::Relaxed) - before)
}

fn analyse(raw: &[u8]) -> Analysis {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dns = Dns::from_snapshot(Snapshot::new());
    rt.block_on(analyze(raw, &options(), &dns))
}

/// A writer that keeps only the size of what it was given.
struct Count(usize);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MB: usize = 1024 * 1024;

#[test]
fn five_thousand_received_headers_are_analysed_and_reported_in_under_8_mb() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let raw = many_hops(5_000);
    assert!(raw.len() > 900_000, "{} bytes", raw.len());
    let ((a, sizes), peak) = peak_during(|| {
        let a = analyse(&raw);
        let mut sizes = Vec::new();
        for write in [
            mailsleuth::report::write_json as fn(&mut dyn Write, &Analysis) -> std::io::Result<()>,
            mailsleuth::report::write_text,
            mailsleuth::report::write_markdown,
        ] {
            let mut out = Count(0);
            write(&mut out, &a).expect("a report to a counting writer");
            sizes.push(out.0);
        }
        (a, sizes)
    });
    // The analysis did read every hop, and the reports are bigger than the memory headroom
    // left for them: they cannot have been held whole.
    assert_eq!(a.hops.len(), 5_000);
    assert!(sizes[0] > 4 * MB, "JSON report of {} bytes", sizes[0]);
    eprintln!(
        "5,000 Received headers ({} bytes): peak {:.2} MB on the heap; reports of {sizes:?} bytes",
        raw.len(),
        peak as f64 / MB as f64
    );
    assert!(
        peak < 8 * MB,
        "peak {peak} bytes on the heap for a message of {} bytes",
        raw.len()
    );
}

#[test]
fn the_reports_go_out_as_they_are_made_never_whole() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let a = analyse(&many_hops(2_000));
    let whole = mailsleuth::report::json(&a).len();
    let (_, peak) = peak_during(|| {
        let mut out = Count(0);
        mailsleuth::report::write_json(&mut out, &a).unwrap();
        mailsleuth::report::write_text(&mut out, &a).unwrap();
        mailsleuth::report::write_markdown(&mut out, &a).unwrap();
        out.0
    });
    // Writing holds a buffer of a screenful or so, not the report.
    assert!(whole > MB, "{whole}");
    assert!(
        peak < 256 * 1024,
        "{peak} bytes held to write a {whole}-byte report"
    );
}

#[test]
fn a_streamed_report_is_byte_for_byte_the_report() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Long enough that the text and Markdown go out in several chunks, with a character of every
    // kind the JSON escapes (DEL, a C1 control, a bidi override, a line separator) in a header.
    let mut raw = b"Subject: a\x7f b\xc2\x85 c\xe2\x80\xae d\xe2\x80\xa8 e\r\n".to_vec();
    raw.extend(many_hops(1_500));
    let a = analyse(&raw);
    let mut json = Vec::new();
    mailsleuth::report::write_json(&mut json, &a).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        mailsleuth::report::json(&a) + "\n"
    );
    let json = mailsleuth::report::json(&a);
    for escaped in ["\\u007f", "\\u0085", "\\u202e", "\\u2028"] {
        assert!(json.contains(escaped), "{escaped} is escaped");
    }
    let mut text = Vec::new();
    mailsleuth::report::write_text(&mut text, &a).unwrap();
    assert!(text.len() > 128 * 1024, "{}", text.len());
    assert_eq!(
        String::from_utf8(text).unwrap(),
        mailsleuth::report::text(&a)
    );
    let mut md = Vec::new();
    mailsleuth::report::write_markdown(&mut md, &a).unwrap();
    assert_eq!(
        String::from_utf8(md).unwrap(),
        mailsleuth::report::markdown(&a)
    );
}

#[test]
fn a_failing_writer_stops_the_report_with_its_error() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("disk full"));
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let a = analyse(&many_hops(1_000));
    let e = mailsleuth::report::write_text(&mut Full(1000), &a).unwrap_err();
    assert_eq!(e.to_string(), "disk full");
    let e = mailsleuth::report::write_markdown(&mut Full(1000), &a).unwrap_err();
    assert_eq!(e.to_string(), "disk full");
    let e = mailsleuth::report::write_json(&mut Full(1000), &a).unwrap_err();
    assert_eq!(e.to_string(), "disk full");
}
