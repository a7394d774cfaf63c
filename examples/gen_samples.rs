//! Generates `sample-emails/`: realistic messages (`NAME.eml`), the DNS each one needs
//! (`NAME.dns.json`, the snapshot format of `mailsleuth::dns::snapshot`), `expected.json` (the
//! verdicts a reader should get) and `README.md`, all from the scenario table below.
//!
//! ```text
//! cargo run --example gen_samples                 # rewrites sample-emails/
//! cargo run --example gen_samples -- --out DIR    # writes elsewhere (the reproducibility test)
//! ```
//!
//! Signatures are made with the TEST keys in `sample-emails/test-keys/` and mail-auth's crypto
//! and canonicalization (`SigningKey`, `Canonicalization`). mail-auth's `DkimSigner::sign` and
//! `ArcSealer::seal` stamp `t=` from the system clock (dkim/sign.rs, arc/seal.rs) and take no
//! timestamp, so they cannot give the same bytes twice. Instead this file writes the
//! DKIM-Signature / ARC header text itself with fixed `t=`/`x=` and signs exactly the input
//! RFC 6376 §3.7 and RFC 8617 §5 define (selected headers, then the signature header with an
//! empty `b=`, relaxed). RSA PKCS#1 v1.5 and Ed25519 are deterministic, so every run gives the
//! same bytes; `tests/samples_reproducible.rs` checks that, and that mail-auth's verifier accepts
//! every signature meant to pass.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use mail_auth::common::crypto::{DkimKey, Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::Writable;
use mail_auth::dkim::Canonicalization;
use mailsleuth::dns::snapshot::{Snapshot, SnapshotEntry};
use mailsleuth::dns::{Record, RecordType};
use mailsleuth::input::{parse_now, rfc3339};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// What the snapshot's `_meta.resolver` says: these answers were written, not captured.
const RESOLVER: &str = "synthetic (gen_samples)";

/// One generated file: its name inside the output directory and its exact bytes.
pub struct SampleFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The verdicts a reader should get from `mailsleuth report NAME.eml --dns-snapshot
/// NAME.dns.json --now NOW`, in the JSON report's words.
pub struct Expect {
    pub spf_mail_from: &'static str,
    pub spf_helo: &'static str,
    /// (d=, s=, result) per DKIM-Signature, top to bottom.
    pub dkim: Vec<(&'static str, &'static str, &'static str)>,
    pub arc: &'static str,
    pub dmarc: &'static str,
    /// The DMARC policy that applies (p, sp or np's value); `none` when there is no record,
    /// None when the record could not be fetched (temperror: no policy is known).
    pub policy: Option<&'static str>,
    pub disposition: &'static str,
}

pub struct Scenario {
    pub name: &'static str,
    pub title: &'static str,
    /// What the scenario shows and why the verdicts are what they are (Markdown).
    pub shows: &'static str,
    /// The moment to evaluate as of (unix seconds); also the snapshot's capture time.
    pub now: i64,
    pub expect: Expect,
    pub message: Message,
    pub dns: Snapshot,
}

/// Every scenario, built with the TEST keys in `keys_dir`.
pub fn load_scenarios(keys_dir: &Path) -> Result<Vec<Scenario>, String> {
    scenarios(&Keys::load(keys_dir)?)
}

/// Everything `sample-emails/` holds that is generated, in a stable order.
pub fn generate(keys_dir: &Path) -> Result<Vec<SampleFile>, String> {
    let scenarios = load_scenarios(keys_dir)?;
    let mut files = Vec::new();
    for s in &scenarios {
        files.push(SampleFile {
            name: format!("{}.eml", s.name),
            bytes: s.message.to_bytes(),
        });
        files.push(SampleFile {
            name: format!("{}.dns.json", s.name),
            bytes: s.dns.to_json().into_bytes(),
        });
    }
    files.push(SampleFile {
        name: "expected.json".into(),
        bytes: expected_json(&scenarios).into_bytes(),
    });
    files.push(SampleFile {
        name: "README.md".into(),
        bytes: readme(&scenarios).into_bytes(),
    });
    Ok(files)
}

/// The committed sample directory and its keys, wherever cargo runs from.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut out = default_dir();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => match args.next() {
                Some(dir) => out = PathBuf::from(dir),
                None => fail("--out needs a directory"),
            },
            "-h" | "--help" => {
                println!(
                    "usage: gen_samples [--out DIR]   (default: {})",
                    out.display()
                );
                return;
            }
            other => fail(&format!(
                "unknown argument {other:?} (usage: gen_samples [--out DIR])"
            )),
        }
    }
    let files = generate(&default_dir().join("test-keys")).unwrap_or_else(|e| fail(&e));
    if let Err(e) = std::fs::create_dir_all(&out) {
        fail(&format!("cannot create {}: {e}", out.display()));
    }
    for file in &files {
        let path = out.join(&file.name);
        if let Err(e) = std::fs::write(&path, &file.bytes) {
            fail(&format!("cannot write {}: {e}", path.display()));
        }
    }
    println!("wrote {} files to {}", files.len(), out.display());
}

fn fail(message: &str) -> ! {
    eprintln!("gen_samples: {message}");
    std::process::exit(2)
}

// ---------------------------------------------------------------------------------------------
// Keys

/// A TEST key from `sample-emails/test-keys/`.
pub struct TestKey {
    key: DkimKey,
    /// The `_domainkey` TXT record publishing its public half.
    pub dns_record: String,
    algorithm: &'static str,
}

impl TestKey {
    fn load(path: &Path) -> Result<TestKey, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read test key {}: {e}", path.display()))?;
        let body: String = text
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect();
        let der = mail_parser::decoders::base64::base64_decode(body.trim().as_bytes())
            .ok_or_else(|| format!("{}: not PEM", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.contains("ed25519") {
            // The test key is PKCS#8 v1 (as OpenSSL writes it): ring reads that only "maybe
            // unchecked", deriving the public key from the seed.
            let key = Ed25519Key::from_pkcs8_maybe_unchecked_der(&der)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let dns_record = format!("v=DKIM1; k=ed25519; p={}", b64(&key.public_key()));
            Ok(TestKey {
                key: DkimKey::Ed25519(key),
                dns_record,
                algorithm: "ed25519-sha256",
            })
        } else {
            let key =
                RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            let dns_record = format!("v=DKIM1; k=rsa; p={}", b64(&rsa_spki(&key.public_key())));
            Ok(TestKey {
                key: DkimKey::Rsa(key),
                dns_record,
                algorithm: "rsa-sha256",
            })
        }
    }

    fn sign(&self, input: &[u8]) -> Result<String, String> {
        self.key
            .sign(input)
            .map(|b| b64(&b))
            .map_err(|e| format!("signing failed: {e}"))
    }

    fn canonical_body_len(&self, body: &str) -> usize {
        let mut canonical = Vec::new();
        Canonicalization::Relaxed
            .canonical_body(body.as_bytes(), 0)
            .write(&mut canonical);
        canonical.len()
    }

    fn body_hash(&self, body: &str) -> String {
        let canonical = Canonicalization::Relaxed.canonical_body(body.as_bytes(), 0);
        b64(self.key.hash(canonical).as_ref())
    }
}

struct Keys {
    /// example.com's own signing keys (Acme).
    acme_rsa: TestKey,
    acme_ed: TestKey,
    /// The newsletter ESP (mailrelay.example), for its own and its customers' selectors.
    esp: TestKey,
    /// lists.example.org: DKIM and ARC.
    list: TestKey,
    /// Everyone else who signs in one scenario only (paypa1.example, globex.example …).
    other: TestKey,
    /// example.org's key before rotation (the one its mail was signed with).
    northwind_old: TestKey,
}

impl Keys {
    fn load(dir: &Path) -> Result<Keys, String> {
        let key = |file: &str| TestKey::load(&dir.join(file));
        Ok(Keys {
            acme_rsa: key("TEST-ONLY-rsa2048-1.pem")?,
            acme_ed: key("TEST-ONLY-ed25519-1.pem")?,
            esp: key("TEST-ONLY-rsa2048-2.pem")?,
            list: key("TEST-ONLY-rsa2048-3.pem")?,
            other: key("TEST-ONLY-rsa2048-4.pem")?,
            northwind_old: key("TEST-ONLY-rsa2048-5.pem")?,
        })
    }
}

/// SubjectPublicKeyInfo around a PKCS#1 RSAPublicKey: what DKIM `p=` carries for RSA.
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    const RSA_ALGORITHM: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let mut inner = RSA_ALGORITHM.to_vec();
    inner.extend(der(0x03, &bits));
    der(0x30, &inner)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let first = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - first) as u8);
        out.extend_from_slice(&bytes[first..]);
    }
    out.extend_from_slice(content);
    out
}

fn b64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        let sextet = |shift: u32| ALPHABET[((n >> shift) & 63) as usize] as char;
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Messages and signatures

/// A message on the wire: header fields top to bottom (each `Name: value\r\n`, folded lines
/// included) and a CRLF body.
#[derive(Clone)]
pub struct Message {
    headers: Vec<String>,
    body: String,
}

/// Wire form of text written with `\n` line ends.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// One header field from source text (continuation lines start with a tab or spaces).
fn field(text: &str) -> String {
    // Signed fields arrive with their own CRLF: trim both, or the CR doubles (`\r\r\n`).
    let mut f = crlf(text.trim_end_matches(['\r', '\n']));
    f.push_str("\r\n");
    f
}

impl Message {
    fn new(headers: &[String], body: &str) -> Message {
        Message {
            headers: headers.iter().map(|h| field(h)).collect(),
            body: crlf(body),
        }
    }

    /// Adds a header field at the top, as each hop does.
    fn prepend(&mut self, header: &str) {
        self.headers.insert(0, field(header));
    }

    /// Adds fields at the top keeping their order (`fields[0]` ends up topmost).
    fn prepend_all(&mut self, fields: &[String]) {
        for f in fields.iter().rev() {
            self.prepend(f);
        }
    }

    /// Replaces the first field with this name (a list rewriting Subject).
    fn replace(&mut self, name: &str, header: &str) {
        if let Some(slot) = self
            .headers
            .iter_mut()
            .find(|h| field_name(h).eq_ignore_ascii_case(name))
        {
            *slot = field(header);
        }
    }

    fn append_body(&mut self, text: &str) {
        self.body.push_str(&crlf(text));
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.headers.concat();
        out.push_str("\r\n");
        out.push_str(&self.body);
        out.into_bytes()
    }
}

fn field_name(field: &str) -> &str {
    field
        .split_once(':')
        .map_or(field, |(name, _)| name)
        .trim_end()
}

/// Relaxed canonical form of one whole field (`Name: value\r\n`).
fn canonical_field(field: &str, out: &mut Vec<u8>) {
    if let Some((name, value)) = field.split_once(':') {
        Canonicalization::Relaxed
            .canonicalize_headers(std::iter::once((name.as_bytes(), value.as_bytes())), out);
    }
}

/// The header part of the signing input: for each name in `h=`, the bottom-most instance not
/// used yet (RFC 6376 §5.4.2); a name with no instance left contributes nothing.
fn signed_headers(message: &Message, h: &[&str]) -> Vec<u8> {
    let mut used = vec![false; message.headers.len()];
    let mut out = Vec::new();
    for name in h {
        let found = (0..message.headers.len())
            .rev()
            .find(|&i| !used[i] && field_name(&message.headers[i]).eq_ignore_ascii_case(name));
        if let Some(i) = found {
            used[i] = true;
            canonical_field(&message.headers[i], &mut out);
        }
    }
    out
}

/// A signed field: its text and its `b=` value (for `header.b=` in Authentication-Results).
struct Signed {
    field: String,
    b: String,
}

impl Signed {
    /// The first 8 characters of `b=`, as receivers quote it in `header.b=`.
    fn tag(&self) -> &str {
        self.b.get(..8).unwrap_or(&self.b)
    }
}

/// Signs `value` (which ends with an empty `b=`) after `input`, then fills in `b=`, folded.
fn sign_field(
    name: &str,
    value: &str,
    mut input: Vec<u8>,
    key: &TestKey,
) -> Result<Signed, String> {
    Canonicalization::Relaxed.canonicalize_headers(
        std::iter::once((name.as_bytes(), value.as_bytes())),
        &mut input,
    );
    let b = key.sign(&input)?;
    let folded: Vec<&str> = b
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(Signed {
        field: format!("{name}:{value}{}\r\n", folded.join("\r\n\t ")),
        b,
    })
}

/// `h=` value folded like real signers do.
fn header_list(h: &[&str]) -> String {
    let mut out = String::new();
    let mut line = 4;
    for (n, name) in h.iter().enumerate() {
        if n > 0 {
            out.push(':');
            line += 1;
        }
        if line + name.len() > 70 {
            out.push_str("\r\n\t  ");
            line = 3;
        }
        out.push_str(name);
        line += name.len();
    }
    out
}

struct Dkim<'a> {
    key: &'a TestKey,
    d: &'a str,
    s: &'a str,
    h: &'a [&'a str],
    t: i64,
    x: Option<i64>,
    /// Sign with `l=` covering the body as it is now (a risky option: text appended later
    /// is not covered).
    body_length: bool,
}

impl<'a> Dkim<'a> {
    /// A signature with no `x=` and no `l=`, as most senders make them.
    fn new(key: &'a TestKey, d: &'a str, s: &'a str, h: &'a [&'a str], t: i64) -> Dkim<'a> {
        Dkim {
            key,
            d,
            s,
            h,
            t,
            x: None,
            body_length: false,
        }
    }
}

fn dkim_sign(message: &Message, sig: &Dkim) -> Result<Signed, String> {
    let mut value = format!(
        " v=1; a={}; c=relaxed/relaxed; d={}; s={};\r\n\tt={}",
        sig.key.algorithm, sig.d, sig.s, sig.t
    );
    if let Some(x) = sig.x {
        value.push_str(&format!("; x={x}"));
    }
    if sig.body_length {
        // l= counts octets of the canonicalized body (RFC 6376 §3.5), not raw bytes.
        value.push_str(&format!(
            "; l={}",
            sig.key.canonical_body_len(&message.body)
        ));
    }
    value.push_str(&format!(
        ";\r\n\th={};\r\n\tbh={};\r\n\tb=",
        header_list(sig.h),
        sig.key.body_hash(&message.body)
    ));
    sign_field(
        "DKIM-Signature",
        &value,
        signed_headers(message, sig.h),
        sig.key,
    )
}

/// One ARC set as three fields, each ending in CRLF.
struct ArcSet {
    aar: String,
    ams: String,
    seal: String,
}

struct Arc<'a> {
    key: &'a TestKey,
    d: &'a str,
    s: &'a str,
    h: &'a [&'a str],
    t: i64,
    /// The AAR after `i=N; `: authserv-id and results.
    results: &'a str,
}

/// Seals the next ARC set over `message` (RFC 8617 §5.1): AMS over the selected headers and the
/// body, then AS over every earlier set and this one. `cv=` is `none` for i=1, else `pass` (the
/// sealer has validated the chain so far).
fn arc_seal(message: &Message, chain: &[ArcSet], arc: &Arc) -> Result<ArcSet, String> {
    let i = chain.len() + 1;
    let cv = if i == 1 { "none" } else { "pass" };
    let aar = field(&format!(
        "ARC-Authentication-Results: i={i}; {}",
        arc.results
    ));
    let ams_value = format!(
        " i={i}; a={}; c=relaxed/relaxed; d={}; s={};\r\n\tt={}; h={};\r\n\tbh={};\r\n\tb=",
        arc.key.algorithm,
        arc.d,
        arc.s,
        arc.t,
        header_list(arc.h),
        arc.key.body_hash(&message.body)
    );
    let ams = sign_field(
        "ARC-Message-Signature",
        &ams_value,
        signed_headers(message, arc.h),
        arc.key,
    )?
    .field;
    let mut input = Vec::new();
    for set in chain {
        canonical_field(&set.aar, &mut input);
        canonical_field(&set.ams, &mut input);
        canonical_field(&set.seal, &mut input);
    }
    canonical_field(&aar, &mut input);
    canonical_field(&ams, &mut input);
    let seal_value = format!(
        " i={i}; a={}; t={}; cv={cv};\r\n\td={}; s={};\r\n\tb=",
        arc.key.algorithm, arc.t, arc.d, arc.s
    );
    let seal = sign_field("ARC-Seal", &seal_value, input, arc.key)?.field;
    Ok(ArcSet { aar, ams, seal })
}

impl ArcSet {
    /// The fields in the order a sealer adds them at the top: AS, AMS, AAR.
    fn fields(&self) -> Vec<String> {
        vec![self.seal.clone(), self.ams.clone(), self.aar.clone()]
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// Unix seconds of `YYYY-MM-DD HH:MM:SS` (UTC).
fn ts(text: &str) -> i64 {
    parse_now(&format!("{}Z", text.replacen(' ', "T", 1)))
        .unwrap_or_else(|e| panic!("scenario time: {e}"))
}

/// RFC 5322 date of `t` in zone `tz` (`+0200`).
fn date(t: i64, tz: &str) -> String {
    let sign = if tz.starts_with('-') { -1 } else { 1 };
    let hours: i64 = tz.get(1..3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let minutes: i64 = tz.get(3..5).and_then(|s| s.parse().ok()).unwrap_or(0);
    let local = t + sign * (hours * 3600 + minutes * 60);
    let days = local.div_euclid(86_400);
    let civil = mail_parser::DateTime::from_timestamp(local);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} {}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        civil.day,
        MONTHS[usize::from(civil.month) - 1],
        civil.year,
        civil.hour,
        civil.minute,
        civil.second,
        tz
    )
}

// ---------------------------------------------------------------------------------------------
// Received header styles

/// Postfix: `from HELO (RDNS [IP])`, TLS details, `by HOST (Postfix) with PROTO id ID for <RCPT>`.
#[derive(Default)]
struct Postfix<'a> {
    /// The SASL login, for ESMTPSA submissions.
    login: &'a str,
    helo: &'a str,
    rdns: Option<&'a str>,
    ip: &'a str,
    by: &'a str,
    proto: &'a str,
    id: &'a str,
    rcpt: &'a str,
    t: i64,
    tz: &'a str,
}

impl<'a> Postfix<'a> {
    /// A hop received over TLS without a login, stamped in UTC: how most hops here look.
    fn esmtps(by: &'a str, rcpt: &'a str) -> Postfix<'a> {
        Postfix {
            by,
            proto: "ESMTPS",
            rcpt,
            tz: "+0000",
            ..Default::default()
        }
    }

    fn field(&self) -> String {
        let ip = if self.ip.contains(':') {
            format!("IPv6:{}", self.ip)
        } else {
            self.ip.to_string()
        };
        let mut out = format!(
            "Received: from {} ({} [{ip}])\n",
            self.helo,
            self.rdns.unwrap_or("unknown")
        );
        if self.proto.ends_with('S') || self.proto.ends_with("SA") {
            out.push_str(
                "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n\t \
                 key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)\n",
            );
            if self.proto.ends_with("SA") {
                out.push_str(&format!("\t(Authenticated sender: {})\n", self.login));
            } else {
                out.push_str("\t(No client certificate requested)\n");
            }
        }
        out.push_str(&format!(
            "\tby {} (Postfix) with {} id {}\n\tfor <{}>; {}",
            self.by,
            self.proto,
            self.id,
            self.rcpt,
            date(self.t, self.tz)
        ));
        out
    }
}

/// Exim: `from RDNS ([IP] helo=HELO)`, `by HOST with esmtps (TLS1.3) tls CIPHER (Exim 4.97.1)`.
struct Exim<'a> {
    helo: &'a str,
    rdns: Option<&'a str>,
    ip: &'a str,
    by: &'a str,
    envelope_from: &'a str,
    id: &'a str,
    rcpt: &'a str,
    t: i64,
    tz: &'a str,
}

impl Exim<'_> {
    fn field(&self) -> String {
        let from = match self.rdns {
            Some(rdns) if rdns == self.helo => format!("{rdns} ([{}])", self.ip),
            Some(rdns) => format!("{rdns} ([{}] helo={})", self.ip, self.helo),
            None => format!("[{}] (helo={})", self.ip, self.helo),
        };
        format!(
            "Received: from {from}\n\tby {} with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\t\
             (Exim 4.97.1)\n\t(envelope-from <{}>)\n\tid {}\n\tfor {};\n\t{}",
            self.by,
            self.envelope_from,
            self.id,
            self.rcpt,
            date(self.t, self.tz)
        )
    }
}

/// Google-style: `from HELO (RDNS. [IP])`, `by HOST with ESMTPS id ID for <RCPT> (version=…)`.
struct Gmailish<'a> {
    helo: &'a str,
    ip: &'a str,
    by: &'a str,
    id: &'a str,
    rcpt: &'a str,
    t: i64,
    tz: &'a str,
}

impl Gmailish<'_> {
    fn field(&self) -> String {
        format!(
            "Received: from {} ({}. [{}])\n        by {} with ESMTPS id {}\n        \
             for <{}>\n        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n        \
             {}",
            self.helo,
            self.helo,
            self.ip,
            self.by,
            self.id,
            self.rcpt,
            date(self.t, self.tz)
        )
    }
}

// ---------------------------------------------------------------------------------------------
// DNS snapshots

struct Zone {
    snapshot: Snapshot,
}

impl Zone {
    fn new(captured_at: i64) -> Zone {
        let mut snapshot = Snapshot::new();
        snapshot.meta.captured_at = Some(rfc3339(captured_at));
        snapshot.meta.resolver = Some(RESOLVER.to_string());
        snapshot.meta.default_ttl = Some(3600);
        Zone { snapshot }
    }

    fn add(&mut self, name: &str, rtype: RecordType, record: Record) -> &mut Zone {
        let mut records = match self.snapshot.entry(name, rtype) {
            Some(SnapshotEntry::Records(records)) => records.clone(),
            _ => Vec::new(),
        };
        records.push(record);
        self.snapshot
            .insert(name, rtype, SnapshotEntry::Records(records));
        self
    }

    /// A TXT record, split into character-strings of at most 255 bytes as DNS requires.
    fn txt(&mut self, name: &str, text: &str) -> &mut Zone {
        let strings = text
            .as_bytes()
            .chunks(255)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        self.add(name, RecordType::TXT, Record::Txt { strings })
    }

    fn a(&mut self, name: &str, ip: &str) -> &mut Zone {
        match ip.parse::<IpAddr>() {
            Ok(IpAddr::V4(address)) => self.add(name, RecordType::A, Record::A { address }),
            Ok(IpAddr::V6(address)) => self.add(name, RecordType::AAAA, Record::Aaaa { address }),
            Err(_) => self,
        }
    }

    fn mx(&mut self, name: &str, preference: u16, exchange: &str) -> &mut Zone {
        self.add(
            name,
            RecordType::MX,
            Record::Mx {
                preference,
                exchange: exchange.to_string(),
            },
        )
    }

    fn cname(&mut self, name: &str, target: &str) -> &mut Zone {
        self.add(
            name,
            RecordType::CNAME,
            Record::Cname {
                target: target.to_string(),
            },
        )
    }

    /// The reverse-DNS name of `ip` points at `host`.
    fn ptr(&mut self, ip: &str, host: &str) -> &mut Zone {
        let Ok(addr) = ip.parse::<IpAddr>() else {
            return self;
        };
        self.add(
            &reverse_name(addr),
            RecordType::PTR,
            Record::Ptr {
                name: host.to_string(),
            },
        )
    }

    fn timeout(&mut self, name: &str, rtype: RecordType) -> &mut Zone {
        self.snapshot.insert(name, rtype, SnapshotEntry::Timeout);
        self
    }

    fn done(&mut self) -> Snapshot {
        std::mem::take(&mut self.snapshot)
    }
}

fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut labels = Vec::with_capacity(32);
            for byte in v6.octets().iter().rev() {
                labels.push(format!("{:x}", byte & 0x0f));
                labels.push(format!("{:x}", byte >> 4));
            }
            format!("{}.ip6.arpa", labels.join("."))
        }
    }
}

/// example.com (Acme Corp) as the world sees it: mail servers, SPF, DKIM keys, DMARC p=reject.
fn acme_dns(zone: &mut Zone, keys: &Keys) {
    zone.txt(
        "example.com",
        "v=spf1 mx ip4:192.0.2.0/26 ip6:2001:db8:1::/48 -all",
    )
    .txt(
        "example.com",
        "google-site-verification=Xq3mBv2c1kS0-TEST-ONLY-not-a-real-token",
    )
    .mx("example.com", 10, "mx.example.com")
    .a("example.com", "192.0.2.80")
    .a("mx.example.com", "192.0.2.10")
    .a("smtp.example.com", "192.0.2.25")
    .a("smtp.example.com", "2001:db8:1::25")
    .txt("smtp.example.com", "v=spf1 a -all")
    .ptr("192.0.2.25", "smtp.example.com")
    .ptr("2001:db8:1::25", "smtp.example.com")
    .txt("rsa2026._domainkey.example.com", &keys.acme_rsa.dns_record)
    .txt("ed2026._domainkey.example.com", &keys.acme_ed.dns_record)
    .txt(
        "_dmarc.example.com",
        "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com; adkim=r; aspf=r; fo=1",
    );
}

/// example.org (Northwind Traders): one mail server, SPF ~all, DMARC p=none with sp=quarantine.
fn northwind_dns(zone: &mut Zone) {
    zone.txt("example.org", "v=spf1 mx include:_spf.example.org ~all")
        .txt("_spf.example.org", "v=spf1 ip4:198.51.100.0/28 -all")
        .mx("example.org", 10, "mail.example.org")
        .a("example.org", "198.51.100.80")
        .a("mail.example.org", "198.51.100.10")
        .txt("mail.example.org", "v=spf1 a -all")
        .ptr("198.51.100.10", "mail.example.org")
        .txt(
            "_dmarc.example.org",
            "v=DMARC1; p=none; sp=quarantine; np=reject; rua=mailto:dmarc@example.org",
        );
}

/// The receiving side, example.net, for scenarios that ask about it (none of its records
/// decide a verdict; they are here because a reader checking the recipient domain would ask).
fn receiver_dns(zone: &mut Zone) {
    zone.mx("example.net", 10, "mx.example.net")
        .a("mx.example.net", "198.51.100.25")
        .txt(
            "_dmarc.example.net",
            "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.net",
        );
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const ACME_H: &[&str] = &[
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "From",
    "Subject",
];

/// What a sender that signs the plain MUA fields (no Cc, no over-signing) lists in `h=`.
const PLAIN_H: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
];

fn scenarios(keys: &Keys) -> Result<Vec<Scenario>, String> {
    Ok(vec![
        clean_pass_dual_signed(keys)?,
        spf_softfail_unauthorized_ip()?,
        dkim_body_altered(keys)?,
        dkim_key_revoked(keys)?,
        dkim_expired_signature(keys)?,
        third_party_esp_dkim_only(keys)?,
        lookalike_domain(keys)?,
        spoofed_from_dmarc_reject(keys)?,
        mailing_list_arc(keys)?,
        subdomain_policy_sp()?,
        spf_permerror_too_many_lookups(keys)?,
        dns_timeout_temperror(keys)?,
        forged_authentication_results(keys)?,
        dkim_pass_then_key_rotated(keys)?,
        dkim_body_length_abused(keys)?,
        nonexistent_subdomain_np(keys)?,
        arc_chain_list_then_forwarder(keys)?,
    ])
}

/// A plain text/plain message: the header fields an MUA writes, top to bottom.
fn mua_fields(
    from: &str,
    to: &str,
    subject: &str,
    date_text: &str,
    message_id: &str,
) -> Vec<String> {
    vec![
        format!("From: {from}"),
        format!("To: {to}"),
        format!("Subject: {subject}"),
        format!("Date: {date_text}"),
        format!("Message-ID: <{message_id}>"),
        "MIME-Version: 1.0".to_string(),
        "Content-Type: text/plain; charset=UTF-8; format=flowed".to_string(),
        "Content-Transfer-Encoding: 7bit".to_string(),
    ]
}

fn clean_pass_dual_signed(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-06 12:02:51");
    let mut m = Message::new(
        &mua_fields(
            "Alice Martin <alice.martin@example.com>",
            "Bob Chen <bob.chen@example.net>",
            "Q4 planning: agenda for Thursday",
            &date(sent, "+0200"),
            "8c1f6a2e-3b7d-4e2a-9f10-5d2b7c4a9e31@example.com",
        ),
        "Hi Bob,\n\nHere is the agenda for Thursday's Q4 planning session (10:00-11:30, room 4B\nand on the usual video link):\n\n  1. Q3 numbers and what changed since the forecast\n  2. Hiring plan for the platform team\n  3. Budget for the office move in January\n  4. Anything else\n\nPlease send me your slides by Wednesday noon so I can merge them.\n\nThanks,\nAlice\n\n-- \nAlice Martin | Head of Operations | Acme Corp\n+1 555 0100 | https://www.example.com/\n",
    );
    m.prepend(
        &Postfix {
            helo: "[192.168.1.34]",
            rdns: Some("cpe-198-51-100-77.isp.example"),
            ip: "198.51.100.77",
            by: "smtp.example.com",
            proto: "ESMTPSA",
            login: "alice.martin",
            id: "4Q8xYz1Lb5z9tKr",
            rcpt: "bob.chen@example.net",
            t: sent + 1,
            tz: "+0000",
        }
        .field(),
    );
    // Ed25519 alongside RSA, as RFC 8463 recommends while verifiers catch up.
    let rsa = dkim_sign(
        &m,
        &Dkim::new(&keys.acme_rsa, "example.com", "rsa2026", ACME_H, sent + 1),
    )?;
    let ed = dkim_sign(
        &m,
        &Dkim::new(&keys.acme_ed, "example.com", "ed2026", ACME_H, sent + 1),
    )?;
    m.prepend(&rsa.field);
    m.prepend(&ed.field);
    let received = sent + 3;
    m.prepend(
        &Postfix {
            helo: "smtp.example.com",
            rdns: Some("smtp.example.com"),
            ip: "2001:db8:1::25",
            id: "4Q8xZ03kLmz2yRw",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <alice.martin@example.com>".into(),
        "X-Original-To: bob.chen@example.net".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (256-bit key; unprotected) header.d=example.com header.i=@example.com header.a=ed25519-sha256 header.s=ed2026 header.b={};\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=rsa2026 header.b={};\n\tspf=pass (mx.example.net: domain of alice.martin@example.com designates 2001:db8:1::25 as permitted sender) smtp.mailfrom=alice.martin@example.com;\n\tdmarc=pass (p=reject dis=none) header.from=example.com",
            ed.tag(),
            rsa.tag()
        ),
        "Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=2001:db8:1::25; helo=smtp.example.com; envelope-from=alice.martin@example.com; receiver=mx.example.net".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "clean-pass-dual-signed",
        title: "Clean pass, signed twice (rsa-sha256 and ed25519-sha256)",
        shows: "Ordinary mail from Acme's own server over IPv6. Two DKIM signatures by `example.com` \
                (RSA 2048 and Ed25519, RFC 8463 dual signing), both valid; SPF passes for the MAIL FROM \
                through `ip6:` and for the HELO through `a`; everything aligns with the From domain, so \
                DMARC passes under `p=reject`. The first hop is an authenticated submission from a home \
                IP with a private-address HELO literal. The headers sign From and Subject twice \
                (over-signing) so no extra From/Subject can be added without breaking them.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![
                ("example.com", "ed2026", "pass"),
                ("example.com", "rsa2026", "pass"),
            ],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn spf_softfail_unauthorized_ip() -> Result<Scenario, String> {
    let sent = ts("2026-10-12 09:14:40");
    let mut m = Message::new(
        &mua_fields(
            "Northwind Traders Accounts <accounts@example.org>",
            "bob.chen@example.net",
            "Overdue invoice INV-20931 - updated bank details",
            &date(sent, "+0100"),
            "20261012091440.7F3A2C1D0E@mail.example.org",
        ),
        "Dear customer,\n\nOur records show that invoice INV-20931 (USD 18,450.00, due 30 September)\nis still unpaid.\n\nPlease note that our bank details have changed. Kindly settle the amount\ntoday to the new account below to avoid a late-payment fee:\n\n  Beneficiary: Northwind Traders Ltd\n  IBAN: XX00 TEST 0000 0000 0000 00\n  Reference: INV-20931\n\nReply to this email with the remittance advice once the transfer is done.\n\nKind regards,\nAccounts Receivable\nNorthwind Traders\n",
    );
    // A hop the sending script wrote itself, claiming to come from Northwind's server.
    m.prepend(
        "Received: from WIN-8J3K2L1Q (unknown [10.20.0.12])\n\tby mail.example.org (Postfix) with ESMTP id 7F3A2C1D0E\n\tfor <bob.chen@example.net>; Mon, 12 Oct 2026 10:14:41 +0100",
    );
    let received = sent + 4;
    m.prepend(
        &Exim {
            helo: "mail.example.org",
            rdns: None,
            ip: "203.0.113.45",
            by: "mx2.example.net",
            envelope_from: "accounts@example.org",
            id: "1tKz8c-00A1bC-2x",
            rcpt: "bob.chen@example.net",
            t: received,
            tz: "+0000",
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <accounts@example.org>".into(),
        "Envelope-to: bob.chen@example.net".into(),
        "Delivery-date: Mon, 12 Oct 2026 09:14:45 +0000".into(),
        "Authentication-Results: mx2.example.net;\n\tiprev=fail smtp.remote-ip=203.0.113.45 (NXDOMAIN);\n\tspf=softfail smtp.mailfrom=example.org smtp.helo=mail.example.org;\n\tdkim=none;\n\tdmarc=fail (p=none sp=quarantine np=reject) header.from=example.org;\n\tarc=none".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    northwind_dns(&mut zone);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "spf-softfail-unauthorized-ip",
        title: "SPF softfail from an unauthorized IP",
        shows: "An invoice-fraud message claiming to be from Northwind (`example.org`), sent straight \
                to the receiver from 203.0.113.45, an address with no reverse DNS that `example.org`'s \
                SPF does not list. The record ends in `~all`, so the MAIL FROM result is softfail; the \
                HELO claims `mail.example.org`, whose own SPF (`a -all`) fails for this IP. The lowest \
                Received header was written by the sender itself (private IP 10.20.0.12, below the \
                trust boundary). No DKIM signature, so DMARC fails; `example.org` only monitors \
                (`p=none`), so the disposition is none: the message is delivered, which is why the \
                reader has to look.",
        now,
        expect: Expect {
            spf_mail_from: "softfail",
            spf_helo: "fail",
            dkim: vec![],
            arc: "none",
            dmarc: "fail",
            policy: Some("none"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

/// Acme mail that passed through Acme's outbound DLP gateway, which appends a footer after the
/// message was signed.
fn dkim_body_altered(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-14 15:31:07");
    let mut fields = mua_fields(
        "Priya Natarajan <priya.natarajan@example.com>",
        "Bob Chen <bob.chen@example.net>",
        "Re: Renewal quote for 2027",
        &date(sent, "-0400"),
        "CAF7k2mQ9x_renewal-2027.4411@example.com",
    );
    fields.insert(5, "In-Reply-To: <20261013101500.GA1234@example.net>".into());
    fields.insert(6, "References: <20261013101500.GA1234@example.net>".into());
    let mut m = Message::new(
        &fields,
        "Hi Bob,\n\nAttached is the renewal quote we discussed. The price is held until\n30 November; after that the 2027 list prices apply.\n\nLet me know if you need a PO number on it.\n\nBest,\nPriya\n",
    );
    m.prepend(
        &Postfix {
            helo: "[10.1.4.22]",
            rdns: Some("vpn-gw.example.com"),
            ip: "192.0.2.5",
            by: "smtp.example.com",
            proto: "ESMTPSA",
            login: "priya.natarajan",
            id: "4QBdR24xy7z1kT9",
            rcpt: "bob.chen@example.net",
            t: sent + 1,
            tz: "+0000",
        }
        .field(),
    );
    let rsa = dkim_sign(
        &m,
        &Dkim::new(&keys.acme_rsa, "example.com", "rsa2026", ACME_H, sent + 1),
    )?;
    m.prepend(&rsa.field);
    m.prepend(
        &Postfix {
            helo: "smtp.example.com",
            rdns: Some("smtp.example.com"),
            ip: "192.0.2.25",
            id: "4QBdR31Vhsz3pQm",
            t: sent + 2,
            ..Postfix::esmtps("dlp-gw.example.com", "bob.chen@example.net")
        }
        .field(),
    );
    // The gateway's footer: the reason the body hash no longer matches.
    m.append_body(
        "\n________________________________\nThis email was scanned by Acme Secure Mail Gateway. CONFIDENTIALITY NOTICE:\nthis message may contain confidential information intended only for the\nnamed recipient.\n",
    );
    let received = sent + 5;
    m.prepend(
        &Gmailish {
            helo: "dlp-gw.example.com",
            ip: "192.0.2.30",
            by: "mx.example.net",
            id: "a640c23a62f3a-b0c2f1e5d9esi1234567.66.2026.10.14.12.31.12",
            rcpt: "bob.chen@example.net",
            t: received,
            tz: "-0700",
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <priya.natarajan@example.com>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n       dkim=neutral (body hash did not verify) header.i=@example.com header.s=rsa2026 header.b={};\n       spf=pass (mx.example.net: domain of priya.natarajan@example.com designates 192.0.2.30 as permitted sender) smtp.mailfrom=priya.natarajan@example.com;\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com",
            rsa.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.a("dlp-gw.example.com", "192.0.2.30")
        .ptr("192.0.2.30", "dlp-gw.example.com");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dkim-body-altered",
        title: "DKIM body altered in transit (footer added after signing)",
        shows: "Acme's submission server signs the message, then Acme's own outbound DLP gateway \
                (`dlp-gw.example.com`) appends a confidentiality footer. The body hash no longer \
                matches `bh=`; the header signature itself is still checked and is valid (the headers \
                were not touched), which tells the reader the change is in the body only. SPF passes \
                for the gateway's IP (192.0.2.30 is inside `ip4:192.0.2.0/26`) and aligns, so DMARC \
                still passes. The receiver wrote `dkim=neutral (body hash did not verify)`, Gmail's \
                wording for the same finding.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "none",
            dkim: vec![("example.com", "rsa2026", "fail")],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn northwind_outbound(m: &mut Message, helo_client: &str, id: &str, rcpt: &str, t: i64) {
    m.prepend(
        &Postfix {
            helo: helo_client,
            rdns: Some("office-gw.example.org"),
            ip: "198.51.100.3",
            by: "mail.example.org",
            proto: "ESMTPSA",
            login: "erp-mailer",
            id,
            rcpt,
            t,
            tz: "+0100",
        }
        .field(),
    );
}

const NORTHWIND_H: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Content-Type",
];

fn dkim_key_revoked(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-20 08:45:12");
    let mut m = Message::new(
        &mua_fields(
            "Northwind Traders <orders@example.org>",
            "purchasing@example.net",
            "Order confirmation NW-552190",
            &date(sent, "+0100"),
            "order-552190.1792485912@example.org",
        ),
        "Thank you for your order.\n\nOrder:     NW-552190\nItems:     4 x Industrial shelving unit, grey (SKU 40-1180)\nDelivery:  week 44, to Receiving Dock B\nTotal:     USD 2,316.00 (invoice to follow)\n\nQuestions? Reply to this email or call +1 555 0142.\n\nNorthwind Traders - Order Desk\n",
    );
    northwind_outbound(
        &mut m,
        "erp01.corp.example.org",
        "4QG1n63Kd2z8wWc",
        "purchasing@example.net",
        sent + 1,
    );
    // Signed with the selector Northwind retired (and revoked) the week before.
    let sig = dkim_sign(
        &m,
        &Dkim::new(&keys.other, "example.org", "nw2025", NORTHWIND_H, sent + 1),
    )?;
    m.prepend(&sig.field);
    let received = sent + 3;
    m.prepend(
        &Postfix {
            helo: "mail.example.org",
            rdns: Some("mail.example.org"),
            ip: "198.51.100.10",
            id: "4QG1n71pTmz5vBx",
            t: received,
            ..Postfix::esmtps("mx.example.net", "purchasing@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <orders@example.org>".into(),
        "Delivered-To: purchasing@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=permerror (key revoked) header.d=example.org header.s=nw2025 header.b={};\n\tspf=pass (mx.example.net: domain of orders@example.org designates 198.51.100.10 as permitted sender) smtp.mailfrom=orders@example.org;\n\tdmarc=pass (p=none dis=none) header.from=example.org",
            sig.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    northwind_dns(&mut zone);
    zone.txt("nw2025._domainkey.example.org", "v=DKIM1; k=rsa; p=");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dkim-key-revoked",
        title: "DKIM key revoked (empty p=)",
        shows: "Northwind's ERP still signs with selector `nw2025`, which Northwind revoked by \
                publishing `p=` empty (RFC 6376 §3.6.1). The key record is found but holds no key, \
                so the signature cannot verify: permerror, whatever the signature bytes are. SPF \
                passes from Northwind's mail server and aligns, so DMARC passes anyway — the \
                revocation shows up only as a DKIM problem the sender should fix.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![("example.org", "nw2025", "permerror")],
            arc: "none",
            dmarc: "pass",
            policy: Some("none"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn dkim_expired_signature(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-22 07:00:05");
    let mut m = Message::new(
        &mua_fields(
            "Acme Monitoring <alerts@example.com>",
            "oncall@example.net",
            "[RESOLVED] api-gateway p95 latency above 800 ms",
            &date(sent, "+0000"),
            "alert-7d41c9.resolved.1792652405@monitor.example.com",
        ),
        "RESOLVED: api-gateway p95 latency above 800 ms\n\nStarted:  2026-10-22 06:41 UTC\nResolved: 2026-10-22 06:58 UTC (17 min)\nPeak:     1,240 ms (eu-west-2)\n\nRunbook: https://wiki.example.com/runbooks/api-gateway-latency\n\n-- \nAcme Monitoring. You receive this because you are on the api-gateway rota.\n",
    );
    m.prepend(
        &Postfix {
            helo: "monitor.example.com",
            rdns: Some("monitor.example.com"),
            ip: "192.0.2.41",
            id: "4QHc5v0Wp1z4nLs",
            t: sent + 1,
            ..Postfix::esmtps("smtp.example.com", "oncall@example.net")
        }
        .field(),
    );
    // Short-lived signature (x= one hour after t=), as some alerting systems set.
    let sig = dkim_sign(
        &m,
        &Dkim {
            x: Some(sent + 1 + 3600),
            ..Dkim::new(&keys.acme_rsa, "example.com", "rsa2026", ACME_H, sent + 1)
        },
    )?;
    m.prepend(&sig.field);
    // The receiver greylisted, then smtp.example.com's queue retried after 2 h 41 min.
    let received = sent + 2 * 3600 + 41 * 60 + 27;
    m.prepend(
        &Postfix {
            helo: "smtp.example.com",
            rdns: Some("smtp.example.com"),
            ip: "192.0.2.25",
            id: "4QHhGq6Tfjz1rKd",
            t: received,
            ..Postfix::esmtps("mx.example.net", "oncall@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <alerts@example.com>".into(),
        "Delivered-To: oncall@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=fail reason=\"signature expired\" header.d=example.com header.s=rsa2026 header.b={};\n\tspf=pass (mx.example.net: domain of alerts@example.com designates 192.0.2.25 as permitted sender) smtp.mailfrom=alerts@example.com;\n\tdmarc=pass (p=reject dis=none) header.from=example.com",
            sig.tag()
        ),
    ]);
    let now = received;
    let mut zone = Zone::new(now + 60);
    acme_dns(&mut zone, keys);
    zone.a("monitor.example.com", "192.0.2.41");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dkim-expired-signature",
        title: "Expired DKIM signature (x= before the receipt date)",
        shows: "Acme's monitoring system signs its alerts with `x=` one hour after `t=`. The \
                receiver greylisted the first attempt and the message sat in `smtp.example.com`'s \
                queue for 2 h 41 min (visible as the delay between the two Received hops), so at \
                receipt the signature had expired. Evaluate `--now` at the receipt time: the \
                signature is otherwise valid (body hash and header signature both check), and is \
                reported as expired: permerror (RFC 6376 §6.1.1 \"PERMFAIL (signature expired)\"; \
                mail-auth words it neutral). Evaluated as of today instead, it is just as expired. \
                SPF passes and aligns, so DMARC passes.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![("example.com", "rsa2026", "permerror")],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn third_party_esp_dkim_only(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-27 14:00:00");
    let html = "<!DOCTYPE html>\n<html><body style=3D\"font-family:Arial,sans-serif\">\n<h1>What's new at Acme - October 2026</h1>\n<p>Our new <a href=3D\"https://click.mailrelay.example/ls/click?upn=3DaB3d-acme-fw=\n-2026\">Field Service app</a> is live: schedule visits, sign off work orders=\n and share photos from the site.</p>\n<p>Join the <a href=3D\"https://click.mailrelay.example/ls/click?upn=3DcD4e-ac=\nme-webinar\">webinar on 5 November</a> for a walkthrough.</p>\n<p style=3D\"font-size:11px\">You receive this because you subscribed at example.=\ncom. <a href=3D\"https://click.mailrelay.example/unsub/acme/4f1c2a\">Unsubscribe=\n</a></p>\n</body></html>\n";
    let text = "What's new at Acme - October 2026\n\nOur new Field Service app is live: schedule visits, sign off work orders\nand share photos from the site.\nhttps://click.mailrelay.example/ls/click?upn=aB3d-acme-fw-2026\n\nJoin the webinar on 5 November for a walkthrough:\nhttps://click.mailrelay.example/ls/click?upn=cD4e-acme-webinar\n\nYou receive this because you subscribed at example.com.\nUnsubscribe: https://click.mailrelay.example/unsub/acme/4f1c2a\n";
    let body = format!(
        "--=_mr_b1f0c9e2\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 7bit\n\n{text}\n--=_mr_b1f0c9e2\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n{html}\n--=_mr_b1f0c9e2--\n"
    );
    let mut m = Message::new(
        &[
            "From: Acme Newsletter <news@example.com>".into(),
            "To: bob.chen@example.net".into(),
            "Subject: What's new at Acme - October 2026".into(),
            format!("Date: {}", date(sent, "+0000")),
            "Message-ID: <4f1c2a.20261027140000.x7Q2@em.mailrelay.example>".into(),
            "List-Unsubscribe: <https://click.mailrelay.example/unsub/acme/4f1c2a>,\n <mailto:unsub-4f1c2a@em.mailrelay.example>".into(),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click".into(),
            "Feedback-ID: acme:newsletter:mailrelay".into(),
            "MIME-Version: 1.0".into(),
            "Content-Type: multipart/alternative; boundary=\"=_mr_b1f0c9e2\"".into(),
        ],
        &body,
    );
    let h = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Feedback-ID",
        "MIME-Version",
        "Content-Type",
    ];
    // The customer's domain signature (key hosted by the ESP behind a CNAME), then the ESP's own.
    let customer = dkim_sign(&m, &Dkim::new(&keys.esp, "example.com", "mr1", &h, sent))?;
    let esp = dkim_sign(
        &m,
        &Dkim::new(&keys.other, "mailrelay.example", "s1", &h, sent),
    )?;
    m.prepend(&customer.field);
    m.prepend(&esp.field);
    let received = sent + 2;
    m.prepend(
        &Postfix {
            helo: "o7.out.mailrelay.example",
            rdns: Some("o7.out.mailrelay.example"),
            ip: "203.0.113.87",
            id: "4QMb0R2Gtnz6hYq",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <bounces+acme-4f1c2a=example.net@em.mailrelay.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key) header.d=mailrelay.example header.i=@mailrelay.example header.a=rsa-sha256 header.s=s1 header.b={};\n\tdkim=pass (2048-bit key) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=mr1 header.b={};\n\tspf=pass (mx.example.net: domain of bounces+acme-4f1c2a=example.net@em.mailrelay.example designates 203.0.113.87 as permitted sender) smtp.mailfrom=\"bounces+acme-4f1c2a=example.net@em.mailrelay.example\";\n\tdmarc=pass (p=reject dis=none) header.from=example.com",
            esp.tag(),
            customer.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.cname("mr1._domainkey.example.com", "mr1.dkim.mailrelay.example")
        .txt("mr1.dkim.mailrelay.example", &keys.esp.dns_record)
        .txt("s1._domainkey.mailrelay.example", &keys.other.dns_record)
        .txt(
            "em.mailrelay.example",
            "v=spf1 include:_spf.mailrelay.example -all",
        )
        .txt(
            "_spf.mailrelay.example",
            "v=spf1 ip4:203.0.113.64/26 ip6:2001:db8:77::/48 -all",
        )
        .txt("o7.out.mailrelay.example", "v=spf1 a -all")
        .a("o7.out.mailrelay.example", "203.0.113.87")
        .ptr("203.0.113.87", "o7.out.mailrelay.example")
        .mx("em.mailrelay.example", 10, "mx.mailrelay.example")
        .txt(
            "_dmarc.mailrelay.example",
            "v=DMARC1; p=reject; rua=mailto:dmarc@mailrelay.example",
        );
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "third-party-esp-dkim-only",
        title: "Third-party sender (newsletter ESP) aligned through DKIM only",
        shows: "Acme's newsletter is sent by an email service provider, `mailrelay.example`. The \
                bounce address is the ESP's (`em.mailrelay.example`), so SPF passes for a domain that \
                does not align with `example.com`. Of the two DKIM signatures, the ESP's own \
                (`d=mailrelay.example`) does not align either; the one made for the customer \
                (`d=example.com; s=mr1`, key published by Acme as a CNAME to the ESP) does, and that \
                single aligned DKIM pass is what makes DMARC pass under `p=reject`. Multipart \
                text+HTML with one-click unsubscribe headers, all signed.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![
                ("mailrelay.example", "s1", "pass"),
                ("example.com", "mr1", "pass"),
            ],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn lookalike_domain(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-02 16:22:09");
    let mut m = Message::new(
        &[
            "From: PayPal <service@paypa1.example>".into(),
            "Reply-To: PayPal Resolution Center <resolution-center@paypa1.example>".into(),
            "To: bob.chen@example.net".into(),
            "Subject: Your account access has been limited".into(),
            format!("Date: {}", date(sent, "+0000")),
            "Message-ID: <PP-LTD-20261102-88213@paypa1.example>".into(),
            "MIME-Version: 1.0".into(),
            "Content-Type: text/plain; charset=UTF-8".into(),
            "Content-Transfer-Encoding: 7bit".into(),
        ],
        "Dear customer,\n\nWe noticed unusual activity on your account and have temporarily limited\nwhat you can do with it.\n\nTo restore full access, confirm your information within 24 hours:\n\n  https://paypa1.example/signin/restore?case=PP-D-88213\n\nIf you do not confirm, your account will remain limited.\n\nSincerely,\nAccount Review Department\n",
    );
    let sig = dkim_sign(
        &m,
        &Dkim::new(
            &keys.other,
            "paypa1.example",
            "default",
            &[
                "From",
                "Reply-To",
                "To",
                "Subject",
                "Date",
                "Message-ID",
                "MIME-Version",
                "Content-Type",
            ],
            sent,
        ),
    )?;
    m.prepend(&sig.field);
    let received = sent + 2;
    m.prepend(
        &Postfix {
            helo: "mail.paypa1.example",
            rdns: Some("mail.paypa1.example"),
            ip: "203.0.113.99",
            id: "4QRq1d5Hcvz9mNe",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <bounce@paypa1.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key) header.d=paypa1.example header.i=@paypa1.example header.a=rsa-sha256 header.s=default header.b={};\n\tspf=pass (mx.example.net: domain of bounce@paypa1.example designates 203.0.113.99 as permitted sender) smtp.mailfrom=bounce@paypa1.example;\n\tdmarc=pass (p=reject dis=none) header.from=paypa1.example",
            sig.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    zone.txt("paypa1.example", "v=spf1 ip4:203.0.113.99 -all")
        .a("paypa1.example", "203.0.113.99")
        .mx("paypa1.example", 10, "mail.paypa1.example")
        .a("mail.paypa1.example", "203.0.113.99")
        .txt("mail.paypa1.example", "v=spf1 a -all")
        .ptr("203.0.113.99", "mail.paypa1.example")
        .txt("default._domainkey.paypa1.example", &keys.other.dns_record)
        .txt(
            "_dmarc.paypa1.example",
            "v=DMARC1; p=reject; adkim=s; aspf=s",
        );
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "lookalike-domain",
        title: "Lookalike domain that passes everything for itself",
        shows: "A phishing message from `paypa1.example` (digit one for the letter l). The attacker \
                set up the domain properly: SPF, DKIM and even DMARC `p=reject` with strict \
                alignment all pass for `paypa1.example`. Every check is green, and correctly so — \
                authentication proves who sent it, not that the name is the one the reader thinks. \
                The reader has to look at the From domain itself (and the Reply-To and link going to \
                the same lookalike).",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![("paypa1.example", "default", "pass")],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn spoofed_from_dmarc_reject(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-04 10:05:33");
    let mut m = Message::new(
        &[
            "From: Daniel Reyes <daniel.reyes@example.com>".into(),
            "Reply-To: Daniel Reyes <d.reyes.office@freemail.example>".into(),
            "To: bob.chen@example.net".into(),
            "Subject: Urgent - confidential wire transfer today".into(),
            format!("Date: {}", date(sent, "+0000")),
            "Message-ID: <1730714733.552.bm7@smtp.bulk-mailer.example>".into(),
            "MIME-Version: 1.0".into(),
            "Content-Type: text/plain; charset=UTF-8".into(),
            "X-Mailer: Microsoft Outlook 16.0".into(),
        ],
        "Bob,\n\nAre you at your desk? I need you to handle a confidential transfer for an\nacquisition we are closing today. Legal has asked me not to discuss it with\nanyone else until it is announced.\n\nI will send the beneficiary details shortly. Reply to this email only; I am in\nmeetings and cannot take calls.\n\nDaniel Reyes\nCEO, Acme Corp\nSent from my iPhone\n",
    );
    let received = sent + 3;
    m.prepend(
        &Postfix {
            helo: "smtp.bulk-mailer.example",
            rdns: Some("smtp.bulk-mailer.example"),
            ip: "198.51.100.200",
            id: "4QTm7k1Zbdz2xFh",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <bounce-7731@bulk-mailer.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        "X-Spam-Flag: YES".into(),
        "Authentication-Results: mx.example.net;\n\tspf=pass (mx.example.net: domain of bounce-7731@bulk-mailer.example designates 198.51.100.200 as permitted sender) smtp.mailfrom=bounce-7731@bulk-mailer.example;\n\tdkim=none (message not signed);\n\tdmarc=fail (p=reject dis=quarantine) header.from=example.com".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.txt("bulk-mailer.example", "v=spf1 ip4:198.51.100.192/27 -all")
        .a("smtp.bulk-mailer.example", "198.51.100.200")
        .ptr("198.51.100.200", "smtp.bulk-mailer.example");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "spoofed-from-dmarc-reject",
        title: "Spoofed From under DMARC p=reject (CEO fraud)",
        shows: "A CEO-fraud message with `From: daniel.reyes@example.com`, sent through a bulk \
                mailer. SPF passes — for `bulk-mailer.example`, the bounce domain, which has nothing \
                to do with `example.com`; there is no DKIM signature. Nothing authenticated aligns \
                with the From domain, so DMARC fails and `example.com`'s `p=reject` applies: the \
                disposition is reject. The receiver recorded `dis=quarantine` (its local policy \
                quarantines instead of rejecting), which is why the message exists in a mailbox to \
                be analysed. The Reply-To goes to a free-mail address.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "none",
            dkim: vec![],
            arc: "none",
            dmarc: "fail",
            policy: Some("reject"),
            disposition: "reject",
        },
        message: m,
        dns: zone.done(),
    })
}

/// Carol's message as the list sends it out: tagged, footed, DKIM-signed by the list and
/// sealed (ARC i=1).
struct ListCopy {
    message: Message,
    arc: ArcSet,
    original: Signed,
    list_dkim: Signed,
    sealed: i64,
}

fn list_expansion(keys: &Keys) -> Result<ListCopy, String> {
    let sent = ts("2026-11-09 13:40:18");
    let mut m = Message::new(
        &[
            "From: =?UTF-8?Q?Carol_D=C3=ADaz?= <carol.diaz@example.com>".into(),
            "To: dev@lists.example.org".into(),
            "Subject: Proposal: move CI to nightly full builds".into(),
            format!("Date: {}", date(sent, "+0100")),
            "Message-ID: <d2b4e6f8-0a1c-4e3b-8d5f-7a9c1e3b5d70@example.com>".into(),
            "MIME-Version: 1.0".into(),
            "Content-Type: text/plain; charset=UTF-8; format=flowed".into(),
            "Content-Transfer-Encoding: 8bit".into(),
        ],
        "Hi all,\n\nOur CI queue regularly backs up past 40 minutes. I propose:\n\n- per-commit builds run the fast suite only (~6 min)\n- the full matrix runs nightly at 02:00 UTC and on release branches\n- a red nightly blocks merges until fixed\n\nComments welcome until Friday; I'll summarise on the wiki.\n\nCarol\n",
    );
    m.prepend(
        &Postfix {
            helo: "[192.168.10.21]",
            rdns: Some("cpe-198-51-100-91.isp.example"),
            ip: "198.51.100.91",
            by: "smtp.example.com",
            proto: "ESMTPSA",
            login: "carol.diaz",
            id: "4QXk2P0cRtz7mDd",
            rcpt: "dev@lists.example.org",
            t: sent + 1,
            tz: "+0000",
        }
        .field(),
    );
    let original = dkim_sign(
        &m,
        &Dkim::new(&keys.acme_rsa, "example.com", "rsa2026", ACME_H, sent + 1),
    )?;
    m.prepend(&original.field);
    let at_list = sent + 2;
    m.prepend(
        &Postfix {
            helo: "smtp.example.com",
            rdns: Some("smtp.example.com"),
            ip: "192.0.2.25",
            id: "4QXk2Q5jWfz3tVb",
            t: at_list,
            ..Postfix::esmtps("mail.lists.example.org", "dev@lists.example.org")
        }
        .field(),
    );
    let list_ar = format!(
        "lists.example.org;\n\tdkim=pass header.d=example.com header.s=rsa2026 header.b={};\n\tspf=pass (lists.example.org: domain of carol.diaz@example.com designates 192.0.2.25 as permitted sender) smtp.mailfrom=carol.diaz@example.com;\n\tdmarc=pass (p=reject) header.from=example.com",
        original.tag()
    );
    m.prepend(&format!("Authentication-Results: {list_ar}"));
    // What Mailman does: tag the Subject, add the List-* headers and a footer.
    m.replace(
        "Subject",
        "Subject: [dev] Proposal: move CI to nightly full builds",
    );
    m.prepend_all(&[
        "List-Id: Developers <dev.lists.example.org>".into(),
        "List-Post: <mailto:dev@lists.example.org>".into(),
        "List-Unsubscribe: <mailto:dev-leave@lists.example.org>".into(),
        "List-Archive: <https://lists.example.org/archives/list/dev@lists.example.org/>".into(),
        "Precedence: list".into(),
        "Sender: dev-bounces@lists.example.org".into(),
    ]);
    m.append_body(
        "_______________________________________________\ndev mailing list -- dev@lists.example.org\nTo unsubscribe send an email to dev-leave@lists.example.org\n",
    );
    let sealed = at_list + 1;
    let list_h = [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Type",
        "List-Id",
        "List-Post",
        "List-Unsubscribe",
        "List-Archive",
        "Sender",
    ];
    let list_dkim = dkim_sign(
        &m,
        &Dkim::new(&keys.list, "lists.example.org", "list2026", &list_h, sealed),
    )?;
    m.prepend(&list_dkim.field);
    let set = arc_seal(
        &m,
        &[],
        &Arc {
            key: &keys.list,
            d: "lists.example.org",
            s: "arc2026",
            h: &list_h,
            t: sealed,
            results: &list_ar,
        },
    )?;
    m.prepend_all(&set.fields());
    Ok(ListCopy {
        message: m,
        arc: set,
        original,
        list_dkim,
        sealed,
    })
}

fn mailing_list_arc(keys: &Keys) -> Result<Scenario, String> {
    let ListCopy {
        message: mut m,
        original,
        list_dkim,
        sealed,
        ..
    } = list_expansion(keys)?;
    let received = sealed + 2;
    m.prepend(
        &Postfix {
            helo: "mail.lists.example.org",
            rdns: Some("mail.lists.example.org"),
            ip: "198.51.100.40",
            id: "4QXk2T1nQsz4kPw",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <dev-bounces+bob.chen=example.net@lists.example.org>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=fail (body hash did not verify) header.d=example.com header.s=rsa2026 header.b={};\n\tdkim=pass (2048-bit key) header.d=lists.example.org header.s=list2026 header.b={};\n\tarc=pass (i=1 spf=pass dkim=pass dkdomain=example.com dmarc=pass fromdomain=example.com);\n\tspf=pass (mx.example.net: domain of dev-bounces+bob.chen=example.net@lists.example.org designates 198.51.100.40 as permitted sender) smtp.mailfrom=dev-bounces+bob.chen=example.net@lists.example.org;\n\tdmarc=fail reason=\"arc override\" (p=reject dis=none) header.from=example.com",
            original.tag(),
            list_dkim.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.txt("lists.example.org", "v=spf1 ip4:198.51.100.40 -all")
        .mx("lists.example.org", 10, "mail.lists.example.org")
        .a("mail.lists.example.org", "198.51.100.40")
        .txt("mail.lists.example.org", "v=spf1 a -all")
        .ptr("198.51.100.40", "mail.lists.example.org")
        .txt(
            "list2026._domainkey.lists.example.org",
            &keys.list.dns_record,
        )
        .txt(
            "arc2026._domainkey.lists.example.org",
            &keys.list.dns_record,
        );
    northwind_dns(&mut zone);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "mailing-list-arc",
        title: "Mailing-list forwarding with an ARC chain",
        shows: "Carol (Acme, `p=reject`) writes to `dev@lists.example.org`. The list (Mailman) \
                checks her message — DKIM, SPF and DMARC all pass, recorded in its \
                Authentication-Results — then tags the Subject `[dev]`, adds List-* headers and a \
                footer, re-signs with its own DKIM key and adds ARC set i=1 (`cv=none`) carrying \
                those results. At the receiver, Carol's signature fails (Subject and body changed), \
                the list's passes but is `d=lists.example.org`, and SPF passes for the list's bounce \
                domain: nothing aligns with `example.com`, so DMARC fails under `p=reject`. The ARC \
                chain validates and says the message passed DMARC when it reached the list; the \
                receiver trusted that and delivered it (`reason=\"arc override\"`). mailsleuth \
                reports the DMARC verdict itself (fail, reject) and the ARC evidence beside it.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![
                ("lists.example.org", "list2026", "pass"),
                ("example.com", "rsa2026", "fail"),
            ],
            arc: "pass",
            dmarc: "fail",
            policy: Some("reject"),
            disposition: "reject",
        },
        message: m,
        dns: zone.done(),
    })
}

fn subdomain_policy_sp() -> Result<Scenario, String> {
    let sent = ts("2026-11-10 06:00:12");
    let mut m = Message::new(
        &mua_fields(
            "Northwind Billing <noreply@billing.example.org>",
            "ap@example.net",
            "Your November statement is ready",
            &date(sent, "+0000"),
            "stmt-2026-11-ap.example.net.90311@billing.example.org",
        ),
        "Your Northwind statement for November 2026 is ready.\n\nAccount:  AP-90311\nBalance:  USD 4,812.50\nDue:      2026-11-30\n\nView it at https://billing.example.org/statements/AP-90311\n\nThis is an automated message; replies are not read.\n",
    );
    let received = sent + 2;
    m.prepend(
        &Exim {
            helo: "app-prod-3.cloudhost.example",
            rdns: Some("app-prod-3.cloudhost.example"),
            ip: "203.0.113.150",
            by: "mx2.example.net",
            envelope_from: "noreply@billing.example.org",
            id: "1tP3xQ-00C7dE-4k",
            rcpt: "ap@example.net",
            t: received,
            tz: "+0000",
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <noreply@billing.example.org>".into(),
        "Envelope-to: ap@example.net".into(),
        "Delivery-date: Tue, 10 Nov 2026 06:00:14 +0000".into(),
        "Authentication-Results: mx2.example.net;\n\tiprev=pass (app-prod-3.cloudhost.example) smtp.remote-ip=203.0.113.150;\n\tspf=fail smtp.mailfrom=billing.example.org;\n\tdkim=none;\n\tdmarc=fail (p=none sp=quarantine np=reject) header.from=billing.example.org;\n\tarc=none".into(),
        "X-Spam-Status: Yes, score=5.9 required=5.0 tests=DMARC_QUAR,SPF_FAIL".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    northwind_dns(&mut zone);
    zone.txt("billing.example.org", "v=spf1 ip4:198.51.100.12 -all")
        .a("billing.example.org", "198.51.100.12")
        .a("app-prod-3.cloudhost.example", "203.0.113.150")
        .ptr("203.0.113.150", "app-prod-3.cloudhost.example");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "subdomain-policy-sp",
        title: "Subdomain policy (sp=) inherited from the organizational domain",
        shows: "Northwind moved its billing app to a new cloud server (203.0.113.150) but the SPF \
                record of `billing.example.org` still lists only the old one, and the app does not \
                sign. SPF fails, there is no DKIM, so DMARC fails. `billing.example.org` has no DMARC \
                record of its own: the record comes from the organizational domain `example.org` \
                (`_dmarc.example.org`), and because the From domain is a subdomain, its `sp=quarantine` \
                applies — not `p=none`. Disposition: quarantine.",
        now,
        expect: Expect {
            spf_mail_from: "fail",
            spf_helo: "none",
            dkim: vec![],
            arc: "none",
            dmarc: "fail",
            policy: Some("quarantine"),
            disposition: "quarantine",
        },
        message: m,
        dns: zone.done(),
    })
}

fn spf_permerror_too_many_lookups(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-12 17:30:00");
    let mut m = Message::new(
        &mua_fields(
            "Globex Payroll <payroll-noreply@globex.example>",
            "bob.chen@example.net",
            "Your payslip for November 2026",
            &date(sent, "+0000"),
            "payslip.2026-11.e88213@payrollco.example",
        ),
        "Hello,\n\nYour payslip for November 2026 is available in the employee portal:\nhttps://globex.payrollco.example/payslips/2026-11\n\nFor questions about your pay, contact hr@globex.example.\n\nGlobex HR (sent by PayrollCo on behalf of Globex)\n",
    );
    let sig = dkim_sign(
        &m,
        &Dkim::new(&keys.other, "globex.example", "payroll", PLAIN_H, sent),
    )?;
    m.prepend(&sig.field);
    let received = sent + 2;
    m.prepend(
        &Postfix {
            helo: "out-2.payrollco.example",
            rdns: Some("out-2.payrollco.example"),
            ip: "203.0.113.200",
            id: "4QZw5c3Rsnz1qHt",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <payroll-noreply@globex.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key) header.d=globex.example header.i=@globex.example header.a=rsa-sha256 header.s=payroll header.b={};\n\tspf=permerror (mx.example.net: too many DNS lookups) smtp.mailfrom=payroll-noreply@globex.example;\n\tdmarc=pass (p=quarantine dis=none) header.from=globex.example",
            sig.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    // Lookup terms, counted as RFC 7208 §4.6.4 counts them: mx(1) a(2) include(3) include(4)
    // include(5) include(6) include(7) include(8) include(9) a(10) include(11) → permerror
    // before the payroll provider's range is ever reached.
    zone.txt(
        "globex.example",
        "v=spf1 mx a include:_spf.globex.example include:spf.crmcloud.example include:spf.helpdesk.example include:_spf.payrollco.example ~all",
    )
    .mx("globex.example", 10, "mx1.globex.example")
    .mx("globex.example", 20, "mx2.globex.example")
    .a("mx1.globex.example", "203.0.113.130")
    .a("mx2.globex.example", "203.0.113.131")
    .a("globex.example", "203.0.113.135")
    .txt("_spf.globex.example", "v=spf1 ip4:203.0.113.128/28 include:_netblocks2.globex.example ~all")
    .txt("_netblocks2.globex.example", "v=spf1 ip4:203.0.113.144/28 ip6:2001:db8:6b::/48 ~all")
    .txt(
        "spf.crmcloud.example",
        "v=spf1 include:_spf1.crmcloud.example include:_spf2.crmcloud.example ~all",
    )
    .txt("_spf1.crmcloud.example", "v=spf1 ip4:198.51.100.96/28 ~all")
    .txt("_spf2.crmcloud.example", "v=spf1 ip4:198.51.100.112/28 ~all")
    .txt(
        "spf.helpdesk.example",
        "v=spf1 include:mail.helpdesk.example a:smtp.helpdesk.example ~all",
    )
    .txt("mail.helpdesk.example", "v=spf1 ip4:192.0.2.96/28 ~all")
    .a("smtp.helpdesk.example", "192.0.2.100")
    .txt("_spf.payrollco.example", "v=spf1 ip4:203.0.113.192/27 -all")
    .txt("out-2.payrollco.example", "v=spf1 a -all")
    .a("out-2.payrollco.example", "203.0.113.200")
    .ptr("203.0.113.200", "out-2.payrollco.example")
    .txt("payroll._domainkey.globex.example", &keys.other.dns_record)
    .txt("_dmarc.globex.example", "v=DMARC1; p=quarantine; rua=mailto:dmarc@globex.example");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "spf-permerror-too-many-lookups",
        title: "SPF with more than 10 DNS lookups (permerror)",
        shows: "Globex's SPF record grew one include at a time: `mx`, `a` and four includes, two \
                of which include further records. Counting lookup terms in evaluation order (RFC 7208 \
                §4.6.4), the 11th — `include:_spf.payrollco.example`, the very one that lists the \
                sending IP — exceeds the limit of 10, so SPF is permerror for mail that is in fact \
                authorized. The step list shows the count after each term. The payroll provider \
                signs with `d=globex.example`, so DMARC passes through DKIM alone.",
        now,
        expect: Expect {
            spf_mail_from: "permerror",
            spf_helo: "pass",
            dkim: vec![("globex.example", "payroll", "pass")],
            arc: "none",
            dmarc: "pass",
            policy: Some("quarantine"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn dns_timeout_temperror(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-16 11:11:45");
    let mut m = Message::new(
        &mua_fields(
            "Initech Support <support@initech.example>",
            "bob.chen@example.net",
            "[Ticket #48213] Printer driver update for TPS workstation",
            &date(sent, "-0600"),
            "ticket-48213-reply-3@initech.example",
        ),
        "Hello Bob,\n\nThe updated printer driver (v5.2.1) for the TPS workstation is now on the\nsoftware portal. Install it and reboot; the cover-sheet tray should then\nbe detected.\n\nReply to this email if the problem persists; please keep the ticket number\nin the subject.\n\nInitech Support\n",
    );
    let sig = dkim_sign(
        &m,
        &Dkim::new(&keys.other, "initech.example", "s1", PLAIN_H, sent),
    )?;
    m.prepend(&sig.field);
    let received = sent + 2;
    m.prepend(
        &Postfix {
            helo: "mail.initech.example",
            rdns: Some("mail.initech.example"),
            ip: "198.51.100.150",
            id: "4QdT3y0Gkrz5wLp",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <support@initech.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key) header.d=initech.example header.s=s1 header.b={};\n\tspf=pass (mx.example.net: domain of support@initech.example designates 198.51.100.150 as permitted sender) smtp.mailfrom=support@initech.example;\n\tdmarc=pass (p=quarantine dis=none) header.from=initech.example",
            sig.tag()
        ),
    ]);
    let now = received + 600;
    let mut zone = Zone::new(now);
    // initech.example's name servers stopped answering after the message was received.
    for (name, rtype) in [
        ("initech.example", RecordType::TXT),
        ("initech.example", RecordType::MX),
        ("initech.example", RecordType::A),
        ("mail.initech.example", RecordType::TXT),
        ("mail.initech.example", RecordType::A),
        ("mail.initech.example", RecordType::AAAA),
        ("s1._domainkey.initech.example", RecordType::TXT),
        ("_dmarc.initech.example", RecordType::TXT),
    ] {
        zone.timeout(name, rtype);
    }
    zone.ptr("198.51.100.150", "mail.initech.example");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dns-timeout-temperror",
        title: "DNS timeout: every verdict temperror",
        shows: "At receipt everything passed. Now `initech.example`'s name servers do not answer: \
                the snapshot holds `TIMEOUT` for its SPF record, its DKIM key and its DMARC record. \
                SPF (MAIL FROM and HELO), DKIM and DMARC are all temperror — \"try again later\", \
                not fail — and the DNS evidence shows the timeouts. The recorded results (all pass) \
                disagree with today's, and the comparison says why.",
        now,
        expect: Expect {
            spf_mail_from: "temperror",
            spf_helo: "temperror",
            dkim: vec![("initech.example", "s1", "temperror")],
            arc: "none",
            dmarc: "temperror",
            policy: None,
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

fn forged_authentication_results(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-17 08:52:30");
    let mut m = Message::new(
        &mua_fields(
            "Acme IT Service Desk <it-support@example.com>",
            "bob.chen@example.net",
            "Action required: mailbox storage quota exceeded",
            &date(sent, "+0000"),
            "quota-2f8a11@example.com",
        ),
        "Your mailbox has exceeded its storage quota (49.8 GB of 50 GB).\n\nIncoming messages will be rejected from 18:00 today unless you re-validate\nyour account:\n\n  https://example-com.mailbox-verify.example/owa/revalidate\n\nAcme IT Service Desk\n",
    );
    // Headers the sender wrote to look already checked and relayed by Acme and by the receiver.
    m.prepend_all(&[
        "Authentication-Results: mx.example.net;\n\tspf=pass smtp.mailfrom=example.com;\n\tdkim=pass header.d=example.com header.s=rsa2026;\n\tdmarc=pass (p=reject dis=none) header.from=example.com".into(),
        "Received: from smtp.example.com (smtp.example.com [192.0.2.25])\n\tby mx.example.net (Postfix) with ESMTPS id 4QfA0b1Xkqz2rTc\n\tfor <bob.chen@example.net>; Tue, 17 Nov 2026 08:52:31 +0000".into(),
    ]);
    let received = sent + 4;
    m.prepend(
        &Postfix {
            helo: "smtp.example.com",
            rdns: None,
            ip: "203.0.113.23",
            by: "mx.example.net",
            proto: "ESMTP",
            id: "4QfA0f6Lmnz8sWd",
            rcpt: "bob.chen@example.net",
            t: received,
            tz: "+0000",
            ..Default::default()
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <it-support@example.com>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        "Authentication-Results: mx.example.net;\n\tspf=fail (mx.example.net: domain of it-support@example.com does not designate 203.0.113.23 as permitted sender) smtp.mailfrom=it-support@example.com;\n\tdkim=none (message not signed);\n\tdmarc=fail (p=reject dis=quarantine) header.from=example.com".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "forged-authentication-results",
        title: "Forged Authentication-Results below the trust boundary",
        shows: "A credential-phishing message that arrived with its own `Authentication-Results: \
                mx.example.net; spf=pass; dkim=pass; dmarc=pass` and a fake Received hop, so that a \
                reader (or a naive filter) scrolling the headers sees passes from the right \
                authserv-id. The real receiver's header is the topmost one, above its own Received \
                hop from 203.0.113.23 (no reverse DNS, HELO lying as `smtp.example.com`): SPF fail, no \
                DKIM, DMARC fail under `p=reject`. The forged header sits below the trust boundary \
                — added before the receiver got the message — and must be flagged as untrusted, not \
                compared as if the receiver had written it. (RFC 8601 §5 says receivers should \
                remove such headers; this one did not.)",
        now,
        expect: Expect {
            spf_mail_from: "fail",
            spf_helo: "fail",
            dkim: vec![],
            arc: "none",
            dmarc: "fail",
            policy: Some("reject"),
            disposition: "reject",
        },
        message: m,
        dns: zone.done(),
    })
}

fn dkim_pass_then_key_rotated(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-10-08 13:20:44");
    let mut m = Message::new(
        &mua_fields(
            "Northwind Traders <orders@example.org>",
            "purchasing@example.net",
            "Shipping notice NW-550874",
            &date(sent, "+0100"),
            "ship-550874.1791465644@example.org",
        ),
        "Your order NW-550874 has shipped.\n\nCarrier:   FreightLine\nTracking:  FL 7781 2250 9031\nETA:       2026-10-13\n\nNorthwind Traders - Order Desk\n",
    );
    northwind_outbound(
        &mut m,
        "erp01.corp.example.org",
        "4Q9k6n2Tgvz7xYb",
        "purchasing@example.net",
        sent + 1,
    );
    let sig = dkim_sign(
        &m,
        &Dkim::new(
            &keys.northwind_old,
            "example.org",
            "nw2026a",
            NORTHWIND_H,
            sent + 1,
        ),
    )?;
    m.prepend(&sig.field);
    let received = sent + 3;
    m.prepend(
        &Postfix {
            helo: "mail.example.org",
            rdns: Some("mail.example.org"),
            ip: "198.51.100.10",
            id: "4Q9k6p0Hsdz3vNc",
            t: received,
            ..Postfix::esmtps("mx.example.net", "purchasing@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <orders@example.org>".into(),
        "Delivered-To: purchasing@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.org header.i=@example.org header.a=rsa-sha256 header.s=nw2026a header.b={};\n\tspf=pass (mx.example.net: domain of orders@example.org designates 198.51.100.10 as permitted sender) smtp.mailfrom=orders@example.org;\n\tdmarc=pass (p=none dis=none) header.from=example.org",
            sig.tag()
        ),
    ]);
    // Analysed six weeks later, after Northwind replaced the key under the same selector.
    let now = ts("2026-11-19 09:30:00");
    let mut zone = Zone::new(now);
    northwind_dns(&mut zone);
    zone.txt("nw2026a._domainkey.example.org", &keys.esp.dns_record);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dkim-pass-then-key-rotated",
        title: "dkim=pass recorded at receipt, key rotated since",
        shows: "The receiver recorded `dkim=pass` for `s=nw2026a` in October. Six weeks later \
                Northwind reused the selector for a new key, so today's key record holds a different \
                public key: the body hash still matches but the header signature does not verify. \
                Re-verification says fail; the recorded result says pass; the comparison flags the \
                disagreement and the likely reason (the key changed, not the message — the body \
                hash still matches). SPF passes and aligns, so DMARC passes either way.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![("example.org", "nw2026a", "fail")],
            arc: "none",
            dmarc: "pass",
            policy: Some("none"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

/// A genuine signed notice, replayed by someone else with text appended after the `l=` limit.
fn dkim_body_length_abused(keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-18 09:00:00");
    let mut m = Message::new(
        &mua_fields(
            "Acme Accounts Payable <ap-notices@example.com>",
            "supplier-updates@example.com",
            "Remittance advice - payment run 2026-11-18",
            &date(sent, "+0000"),
            "remit-20261118-0412@ap.example.com",
        ),
        "Dear supplier,\n\nAcme Corp has released payment run 2026-11-18. Remittance details are\navailable in the supplier portal:\n\n  https://suppliers.example.com/remittance/2026-11-18\n\nPayments reach your account within 2 business days.\n\nAcme Corp - Accounts Payable\n",
    );
    m.prepend(
        &Postfix {
            helo: "ap-invoicing.example.com",
            rdns: Some("ap-invoicing.example.com"),
            ip: "192.0.2.44",
            id: "4QgBq03Lcnz1wTd",
            t: sent + 1,
            ..Postfix::esmtps("smtp.example.com", "supplier-updates@example.com")
        }
        .field(),
    );
    // The invoicing system's legacy signer still sets l= (the body length at signing).
    let sig = dkim_sign(
        &m,
        &Dkim {
            body_length: true,
            ..Dkim::new(
                &keys.acme_rsa,
                "example.com",
                "rsa2026",
                &[
                    "From",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "MIME-Version",
                    "Content-Type",
                ],
                sent,
            )
        },
    )?;
    m.prepend(&sig.field);
    // An attacker who received a copy changes the To (not signed), appends instructions, and
    // sends it on to a new victim from a rented server.
    m.replace("To", "To: bob.chen@example.net");
    m.append_body(
        "\nIMPORTANT UPDATE (2026-11-18): because of an audit of our banking\nprovider, payments to Acme must from today be made to our new account:\n\n  IBAN: XX99 TEST 9999 9999 9999 99\n\nPlease confirm the change by replying to accounts.acme@freemail.example.\n",
    );
    let received = ts("2026-11-18 14:27:36");
    m.prepend(
        &Postfix {
            helo: "vps-4471.rented-cloud.example",
            rdns: Some("vps-4471.rented-cloud.example"),
            ip: "203.0.113.77",
            id: "4QgL2r5Yhxz6pRk",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <mailer@rented-cloud.example>".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=rsa2026 header.b={};\n\tspf=pass (mx.example.net: domain of mailer@rented-cloud.example designates 203.0.113.77 as permitted sender) smtp.mailfrom=mailer@rented-cloud.example;\n\tdmarc=pass (p=reject dis=none) header.from=example.com",
            sig.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.txt("rented-cloud.example", "v=spf1 ip4:203.0.113.64/26 ~all")
        .a("vps-4471.rented-cloud.example", "203.0.113.77")
        .ptr("203.0.113.77", "vps-4471.rented-cloud.example");
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "dkim-body-length-abused",
        title: "DKIM l= abused: text appended after the signed length",
        shows: "A genuine Acme remittance notice, signed by `example.com` with `l=` (the body \
                length at signing). Someone who received it replays it five hours later from a \
                rented server: the To header was not signed, so it is changed, and new payment \
                instructions are appended after the signed length. The signature still verifies \
                — it only covers the first `l=` bytes — and it aligns, so DMARC passes under \
                `p=reject` even though SPF passed only for the unrelated bounce domain. The \
                signature is a pass with a risk flag: `l=` leaves unsigned bytes at the end of the \
                body, and those bytes are the fraud. (To was also not signed.)",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "none",
            dkim: vec![("example.com", "rsa2026", "pass")],
            arc: "none",
            dmarc: "pass",
            policy: Some("reject"),
            disposition: "none",
        },
        message: m,
        dns: zone.done(),
    })
}

/// From a subdomain that does not exist at all: DMARCbis `np=` applies.
fn nonexistent_subdomain_np(_keys: &Keys) -> Result<Scenario, String> {
    let sent = ts("2026-11-19 07:45:10");
    let mut m = Message::new(
        &mua_fields(
            "Northwind Security <no-reply@secure-login.example.org>",
            "bob.chen@example.net",
            "New sign-in to your Northwind supplier account",
            &date(sent, "+0000"),
            "signin-alert-6612@secure-login.example.org",
        ),
        "We detected a new sign-in to your Northwind supplier account from an\nunrecognised device (Windows, Chrome, Lagos).\n\nIf this was not you, secure your account now:\n\n  https://secure-login.example.org.account-check.example/verify\n\nNorthwind Security Team\n",
    );
    let received = sent + 3;
    m.prepend(
        &Exim {
            helo: "localhost",
            rdns: None,
            ip: "198.51.100.233",
            by: "mx2.example.net",
            envelope_from: "no-reply@secure-login.example.org",
            id: "1tQ9aB-00D2kL-7s",
            rcpt: "bob.chen@example.net",
            t: received,
            tz: "+0000",
        }
        .field(),
    );
    m.prepend_all(&[
        "Return-Path: <no-reply@secure-login.example.org>".into(),
        "Envelope-to: bob.chen@example.net".into(),
        "Delivery-date: Thu, 19 Nov 2026 07:45:13 +0000".into(),
        "Authentication-Results: mx2.example.net;\n\tiprev=fail smtp.remote-ip=198.51.100.233 (NXDOMAIN);\n\tspf=none smtp.mailfrom=secure-login.example.org;\n\tdkim=none;\n\tdmarc=fail (p=none sp=quarantine np=reject) header.from=secure-login.example.org;\n\tarc=none".into(),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    northwind_dns(&mut zone);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "nonexistent-subdomain-np",
        title: "From a non-existent subdomain: DMARC np= applies",
        shows: "A phishing message from `secure-login.example.org`, a name that does not exist in \
                DNS at all (every query for it is NXDOMAIN). SPF has no record to check (none), \
                there is no DKIM, so DMARC fails. The DMARC record is found at the organizational \
                domain `example.org`, and because the From domain does not exist, the DMARCbis \
                `np=reject` applies — not `p=none`, and not `sp=quarantine`, which is for \
                subdomains that exist. An RFC 7489 receiver that ignores `np=` would apply \
                `sp=quarantine`. The HELO is `localhost`.",
        now,
        expect: Expect {
            spf_mail_from: "none",
            spf_helo: "none",
            dkim: vec![],
            arc: "none",
            dmarc: "fail",
            policy: Some("reject"),
            disposition: "reject",
        },
        message: m,
        dns: zone.done(),
    })
}

/// The list copy of `mailing-list-arc`, sent to an alumni address that forwards (ARC i=2).
fn arc_chain_list_then_forwarder(keys: &Keys) -> Result<Scenario, String> {
    let ListCopy {
        message: mut m,
        arc: first,
        original,
        list_dkim,
        sealed,
    } = list_expansion(keys)?;
    let at_forwarder = sealed + 2;
    m.prepend(
        &Postfix {
            helo: "mail.lists.example.org",
            rdns: Some("mail.lists.example.org"),
            ip: "198.51.100.40",
            id: "4QXk2T3bHwz9nLq",
            t: at_forwarder,
            ..Postfix::esmtps("mx.alumni.example", "bob@alumni.example")
        }
        .field(),
    );
    let forwarder_results = format!(
        "mx.alumni.example;\n\tdkim=fail (body hash did not verify) header.d=example.com header.s=rsa2026 header.b={};\n\tdkim=pass header.d=lists.example.org header.s=list2026 header.b={};\n\tarc=pass (i=1);\n\tspf=pass smtp.mailfrom=lists.example.org;\n\tdmarc=fail (p=reject) header.from=example.com",
        original.tag(),
        list_dkim.tag()
    );
    m.prepend(&format!("Authentication-Results: {forwarder_results}"));
    let resealed = at_forwarder + 1;
    let second = arc_seal(
        &m,
        std::slice::from_ref(&first),
        &Arc {
            key: &keys.other,
            d: "alumni.example",
            s: "arc-fwd",
            h: &[
                "From",
                "To",
                "Subject",
                "Date",
                "Message-ID",
                "List-Id",
                "DKIM-Signature",
            ],
            t: resealed,
            results: &forwarder_results,
        },
    )?;
    m.prepend_all(&second.fields());
    let received = resealed + 2;
    m.prepend(
        &Postfix {
            helo: "fwd.alumni.example",
            rdns: Some("fwd.alumni.example"),
            ip: "203.0.113.210",
            id: "4QXk2W0kRdz2hMv",
            t: received,
            ..Postfix::esmtps("mx.example.net", "bob.chen@example.net")
        }
        .field(),
    );
    let srs = "SRS0=x7Qe=RZ=lists.example.org=dev-bounces+bob=alumni.example@alumni.example";
    m.prepend_all(&[
        format!("Return-Path: <{srs}>"),
        "X-Original-To: bob@alumni.example".into(),
        "Delivered-To: bob.chen@example.net".into(),
        format!(
            "Authentication-Results: mx.example.net;\n\tdkim=fail (body hash did not verify) header.d=example.com header.s=rsa2026 header.b={};\n\tdkim=pass (2048-bit key) header.d=lists.example.org header.s=list2026 header.b={};\n\tarc=pass (i=2 spf=pass dkim=pass dkdomain=lists.example.org);\n\tspf=pass (mx.example.net: domain of {srs} designates 203.0.113.210 as permitted sender) smtp.mailfrom={srs};\n\tdmarc=fail reason=\"arc override\" (p=reject dis=none) header.from=example.com",
            original.tag(),
            list_dkim.tag()
        ),
    ]);
    let now = received + 60;
    let mut zone = Zone::new(now);
    acme_dns(&mut zone, keys);
    zone.txt("lists.example.org", "v=spf1 ip4:198.51.100.40 -all")
        .a("mail.lists.example.org", "198.51.100.40")
        .txt(
            "list2026._domainkey.lists.example.org",
            &keys.list.dns_record,
        )
        .txt(
            "arc2026._domainkey.lists.example.org",
            &keys.list.dns_record,
        )
        .txt("alumni.example", "v=spf1 ip4:203.0.113.208/29 -all")
        .mx("alumni.example", 10, "mx.alumni.example")
        .a("mx.alumni.example", "203.0.113.209")
        .a("fwd.alumni.example", "203.0.113.210")
        .txt("fwd.alumni.example", "v=spf1 a -all")
        .ptr("203.0.113.210", "fwd.alumni.example")
        .txt("arc-fwd._domainkey.alumni.example", &keys.other.dns_record)
        .txt("_dmarc.alumni.example", "v=DMARC1; p=none");
    northwind_dns(&mut zone);
    receiver_dns(&mut zone);
    Ok(Scenario {
        name: "arc-chain-list-then-forwarder",
        title: "Two ARC sets: mailing list, then a forwarding address",
        shows: "The same list message as `mailing-list-arc`, but the member's address is an alumni \
                forwarding address (`bob@alumni.example`). The forwarder validates the list's ARC \
                set, records its own results, seals ARC set i=2 with `cv=pass`, rewrites the \
                envelope sender with SRS and forwards to `example.net`. At the receiver SPF passes \
                for the forwarder's SRS domain, the list's DKIM signature still passes (the forwarder \
                changed nothing), Carol's still fails, DMARC fails, and the two-set ARC chain \
                validates: each seal covers the sets before it, and only the newest AMS (i=2) must \
                verify.",
        now,
        expect: Expect {
            spf_mail_from: "pass",
            spf_helo: "pass",
            dkim: vec![
                ("lists.example.org", "list2026", "pass"),
                ("example.com", "rsa2026", "fail"),
            ],
            arc: "pass",
            dmarc: "fail",
            policy: Some("reject"),
            disposition: "reject",
        },
        message: m,
        dns: zone.done(),
    })
}

// ---------------------------------------------------------------------------------------------
// expected.json and README.md

fn expected_json(scenarios: &[Scenario]) -> String {
    let list: Vec<serde_json::Value> = scenarios
        .iter()
        .map(|s| {
            let e = &s.expect;
            serde_json::json!({
                "name": s.name,
                "eml": format!("{}.eml", s.name),
                "dns_snapshot": format!("{}.dns.json", s.name),
                "now": rfc3339(s.now),
                "expect": {
                    "spf.mail_from.result": e.spf_mail_from,
                    "spf.helo.result": e.spf_helo,
                    "dkim": e.dkim.iter().map(|(d, sel, r)| serde_json::json!({
                        "domain": d, "selector": sel, "result": r
                    })).collect::<Vec<_>>(),
                    "arc.result": e.arc,
                    "dmarc.result": e.dmarc,
                    "dmarc.policy": e.policy,
                    "dmarc.disposition": e.disposition,
                }
            })
        })
        .collect();
    let mut out =
        serde_json::to_string_pretty(&serde_json::json!({ "samples": list })).unwrap_or_default();
    out.push('\n');
    out
}

fn readme(scenarios: &[Scenario]) -> String {
    let mut out = String::from(
        "# Sample emails\n\n\
         Realistic messages for trying mailsleuth offline, each with the DNS answers it needs.\n\
         **Generated — do not edit by hand.** Change `examples/gen_samples.rs` and run\n\
         `cargo run --example gen_samples`; `tests/samples_reproducible.rs` fails if the files here\n\
         differ from what the generator writes.\n\n\
         Each scenario is `NAME.eml` (the message as delivered, CRLF line ends) and `NAME.dns.json`\n\
         (a DNS snapshot, see the main README: absent names are NXDOMAIN, `\"TIMEOUT\"` is a timeout;\n\
         `_meta.resolver` says `synthetic (gen_samples)` because the answers were written, not\n\
         captured). Run one with the `--now` given below:\n\n\
         ```\n\
         mailsleuth report sample-emails/NAME.eml --dns-snapshot sample-emails/NAME.dns.json --now NOW\n\
         ```\n\n\
         `expected.json` holds the same expectations as the table, by JSON report path.\n\n\
         All names are reserved for documentation (`example.com/.net/.org` and their subdomains,\n\
         `*.example`) and all addresses are documentation ranges (192.0.2.0/24, 198.51.100.0/24,\n\
         203.0.113.0/24, 2001:db8::/32; 10/8 and 192.168/16 appear only as private addresses).\n\
         The cast: `example.com` is Acme Corp (DMARC `p=reject`), `example.org` is Northwind Traders\n\
         (`p=none; sp=quarantine; np=reject`), `example.net` receives (`mx.example.net`, Postfix; `mx2.example.net`,\n\
         Exim). Signatures are made with the TEST keys in `test-keys/` (public test material; never use\n\
         them for real mail). Dates are in October–November 2026 and in hop order.\n\n\
         ## Expected verdicts\n\n\
         | sample | `--now` | SPF mail from | SPF helo | DKIM | ARC | DMARC | policy | disposition |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for s in scenarios {
        let e = &s.expect;
        let dkim = if e.dkim.is_empty() {
            "none".to_string()
        } else {
            e.dkim
                .iter()
                .map(|(d, sel, r)| format!("{r} ({d}, {sel})"))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        out.push_str(&format!(
            "| [{name}](#{name}) | `{now}` | {} | {} | {dkim} | {} | {} | {} | {} |\n",
            e.spf_mail_from,
            e.spf_helo,
            e.arc,
            e.dmarc,
            e.policy.unwrap_or("—"),
            e.disposition,
            name = s.name,
            now = rfc3339(s.now),
        ));
    }
    out.push_str(
        "\nDKIM results are listed top to bottom as the DKIM-Signature headers appear. A DKIM\n\
         \"fail\" here is any signature that does not verify (RFC 8601 `fail`; mail-auth itself calls\n\
         a body-hash mismatch and an expired signature `neutral`).\n\n## Scenarios\n",
    );
    for s in scenarios {
        out.push_str(&format!(
            "\n### {}\n\n**{}** — `--now {}`\n\n{}\n",
            s.name,
            s.title,
            rfc3339(s.now),
            reflow(s.shows)
        ));
    }
    out
}

/// The scenario prose is written with source indentation; make it one Markdown paragraph.
fn reflow(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
