//! mailsleuth — email header forensics in the terminal.
//!
//! `mailsleuth FILE` opens the TUI (or prints the text report when stdout is not a terminal);
//! `mailsleuth report FILE` prints a report. Both are views of one `Analysis`.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[global_allocator]
static ALLOCATOR: mailsleuth::ToolAllocator = mailsleuth::ToolAllocator;

use mailsleuth::analysis::trail::operators::Operators;
use mailsleuth::analysis::{self, Analysis, DnsMode, Options, Severity};
use mailsleuth::dns::DnsConfig;
use mailsleuth::{input, report};

/// Exit codes (documented in the README).
const EXIT_OK: u8 = 0;
const EXIT_INTERNAL: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;
/// `scan` stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser, Debug)]
#[command(
    name = "mailsleuth",
    version,
    about = "Email header forensics: envelope, SPF, DKIM, ARC, alignment and DMARC, with the DNS evidence behind every verdict",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Message to open in the TUI: a .eml file, or `-` for stdin. Without it, a start screen.
    file: Option<String>,
    /// Print a report in this format instead of opening the TUI.
    #[arg(long, value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse a message and print a report (no TUI).
    Report {
        /// The message: a .eml file, or `-` for stdin.
        file: String,
        /// Report format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// Analyse many messages: mbox files, Maildir folders, folders, lists of paths.
    #[command(long_about = SCAN_ABOUT)]
    Scan(ScanArgs),
}

const SCAN_ABOUT: &str = "Analyse many messages in one run, in parallel across the cores, with \
one DNS cache (or one --dns-snapshot) for the whole run.

PATH is an mbox or message file, a Maildir (its cur/ and new/), or a folder (every file under it, \
recursively; hidden files skipped). `-` reads a list of paths from standard input, one a line or \
NUL-separated (`find … -print0`).

Output: --format jsonl is one JSON object a line, {\"source\", \"index\", \"analysis\"} where \
analysis is what `report --format json` gives for that message and index its number in the file \
from 1 (as `report --message N`); table is one line a message (message, date, From, Subject, \
verdict); summary counts verdicts and lists the top sending IPs, From domains and failing checks. \
Lines come in input order. A file or message that cannot be analysed is one error line \
({\"source\", \"index\", \"error\"}; index null for a whole file) and the run goes on. A progress \
bar is drawn on stderr when it is a terminal. Ctrl-C stops with what is done written.

Exit codes: 0 every message was analysed (whatever the verdicts); 1 the run finished but some \
inputs were error lines, or the output or --save-dns could not be written; 2 usage error (bad \
option, unreadable --dns-snapshot); 130 interrupted by Ctrl-C.";

#[derive(Args, Debug)]
struct ScanArgs {
    /// Files and folders to scan; `-` reads a list of paths from standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format [default: table when stdout is a terminal, else jsonl].
    #[arg(long, value_enum)]
    format: Option<ScanFormat>,
    /// Analyse only shard I of N (0-based: 0/4 … 3/4), chosen by a stable hash of each
    /// message's path and index, so N processes given the same PATHs share the work.
    #[arg(long, value_name = "I/N", value_parser = mailsleuth::scan::Shard::parse)]
    shard: Option<mailsleuth::scan::Shard>,
    /// Worker threads [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// How many sending IPs, From domains and failing checks the summary lists.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    #[command(flatten)]
    dns: DnsArgs,
    /// Evaluate every message as of this moment (RFC 3339 or unix seconds) [default: now].
    #[arg(long, value_name = "TIME", value_parser = input::parse_now)]
    now: Option<i64>,
    /// Which hop is the receiving server: an authserv-id or a Received `by` host.
    #[arg(long, value_name = "HOST")]
    receiver: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ScanFormat {
    Jsonl,
    Table,
    Summary,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

/// Where DNS answers come from: the same options for `report`, the TUI and `scan`.
#[derive(Args, Debug, Clone, Default)]
struct DnsArgs {
    /// Replay DNS from a snapshot file (no network traffic at all).
    #[arg(long, value_name = "FILE", conflicts_with = "save_dns")]
    dns_snapshot: Option<PathBuf>,
    /// Query live DNS and save every answer seen to FILE, to replay later with --dns-snapshot.
    #[arg(long, value_name = "FILE")]
    save_dns: Option<PathBuf>,
    /// DNS server for live lookups (default: the system resolver).
    #[arg(long, value_name = "IP[:PORT]", value_parser = parse_server)]
    dns_server: Option<SocketAddr>,
    /// Timeout for each live DNS query, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0, value_parser = parse_timeout)]
    dns_timeout: f64,
}

impl DnsArgs {
    fn mode(&self) -> DnsMode {
        if self.dns_snapshot.is_some() {
            DnsMode::Snapshot
        } else if self.save_dns.is_some() {
            DnsMode::Recording
        } else {
            DnsMode::Live
        }
    }

    fn config(&self) -> DnsConfig {
        DnsConfig {
            mode: self.mode(),
            snapshot: self.dns_snapshot.clone(),
            save: self.save_dns.clone(),
            server: self.dns_server,
            timeout: Duration::from_secs_f64(self.dns_timeout),
        }
    }
}

#[derive(Args, Debug, Clone, Default)]
struct Common {
    #[command(flatten)]
    dns: DnsArgs,
    /// Client IP to evaluate SPF for (overrides the one read from the trust-boundary hop).
    #[arg(long, value_name = "IP")]
    ip: Option<IpAddr>,
    /// HELO/EHLO name (overrides the one read from the trust-boundary hop).
    #[arg(long)]
    helo: Option<String>,
    /// MAIL FROM address (overrides Return-Path); '' is the null reverse-path.
    #[arg(long, value_name = "ADDRESS")]
    mail_from: Option<String>,
    /// Which hop is the receiving server: an authserv-id or a Received `by` host.
    #[arg(long, value_name = "HOST")]
    receiver: Option<String>,
    /// Evaluate as of this moment (RFC 3339 or unix seconds), e.g. the receipt date for expired x=.
    #[arg(long, value_name = "TIME", value_parser = input::parse_now)]
    now: Option<i64>,
    /// Which message of an mbox (or a file of several messages) to analyse, from 1 (default: the
    /// first, with a warning saying how many there are).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    message: Option<u32>,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// A user's file that extends a built-in table (`$XDG_CONFIG_HOME/mailsleuth/FILE`, else
/// `~/.config/mailsleuth/FILE`), parsed by `parse`. None when there is no such file, or when it
/// cannot be read or parsed: that is reported on stderr, naming the file, and the built-in table
/// is used.
fn user_table<T>(file: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
    let path = mailsleuth::config::user_config_path(file)?;
    let shown = mailsleuth::report::visible(&path.display().to_string()).into_owned();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            eprintln!("mailsleuth: {shown}: {e}; using the built-in table");
            return None;
        }
    };
    parse(&text)
        .map_err(|e| {
            eprintln!(
                "mailsleuth: {shown}: {}; using the built-in table",
                mailsleuth::report::visible(&e)
            )
        })
        .ok()
}

/// Mail operators: the built-in table with the user's `operators.toml` applied.
fn operators() -> std::sync::Arc<Operators> {
    user_table("operators.toml", Operators::with_user_file)
        .map(std::sync::Arc::new)
        .unwrap_or_else(Operators::builtin)
}

/// What receivers' verdict headers mean: the built-in table patched by the user's
/// `receivers.toml`.
fn load_receivers() -> analysis::receiver::Receivers {
    use analysis::receiver::{ReceiverTable, Receivers};
    user_table("receivers.toml", ReceiverTable::with_user_file)
        .map(Receivers::new)
        .unwrap_or_default()
}

/// `--dns-timeout`: a number of seconds from 0.05 to 120 (NaN, negative or absurd values are a
/// usage error, exit 2).
fn parse_timeout(s: &str) -> Result<f64, String> {
    let t: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if t.is_finite() && (0.05..=120.0).contains(&t) {
        Ok(t)
    } else {
        Err(format!("{s:?}: give a number of seconds from 0.05 to 120"))
    }
}

fn parse_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    s.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{s:?} is not IP or IP:PORT (e.g. 127.0.0.1:5353 or [::1]:53)"))
}

impl Common {
    fn options(&self, source: &str) -> Options {
        Options {
            source: source.to_string(),
            // The core has no ambient clock: the edge reads it once, here.
            now: self.now.unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0)
            }),
            client_ip: self.ip,
            helo: self.helo.clone(),
            mail_from: self.mail_from.clone(),
            receiver: self.receiver.clone(),
            boundary_at: None,
            dns_mode: self.dns_mode(),
            operators: operators(),
            prep: Default::default(),
            receivers: load_receivers(),
        }
    }

    fn dns_mode(&self) -> DnsMode {
        self.dns.mode()
    }

    fn dns_config(&self) -> DnsConfig {
        self.dns.config()
    }
}

fn main() -> ExitCode {
    mailsleuth::tune_allocator();
    // Hidden: serve a copied text on the X clipboard after the TUI quits (see tui::clipboard).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == mailsleuth::tui::clipboard::SERVE_ARG)
    {
        return mailsleuth::tui::clipboard::serve_stdin();
    }
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Report {
            file,
            format,
            common,
        }) => run_report(&file, format, &common),
        Some(Command::Scan(args)) => run_scan(args),
        None => {
            let stdout_is_tty = std::io::stdout().is_terminal();
            match (cli.format, cli.file) {
                (Some(format), Some(file)) => run_report(&file, format, &cli.common),
                (None, Some(file)) if !stdout_is_tty => {
                    run_report(&file, Format::Text, &cli.common)
                }
                (Some(_), None) => {
                    eprintln!("mailsleuth: --format needs a FILE (or `-` for stdin)");
                    ExitCode::from(EXIT_BAD_INPUT)
                }
                (None, file) => run_tui(file, &cli.common),
            }
        }
    }
}

fn run_tui(file: Option<String>, common: &Common) -> ExitCode {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "mailsleuth: the TUI needs a terminal; use `mailsleuth report FILE` for a report"
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let source = file.clone().unwrap_or_default();
    let args = mailsleuth::tui::TuiArgs {
        input: file,
        message: common.message.map(|n| n as usize),
        options: common.options(&source),
        dns: common.dns_config(),
    };
    match mailsleuth::tui::run(args) {
        Ok(()) => ExitCode::from(EXIT_OK),
        // A file or snapshot that cannot be read: exit 2, as `report` does.
        Err(e) if e.downcast_ref::<mailsleuth::tui::InputError>().is_some() => {
            eprintln!("mailsleuth: {e:#}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(e) => {
            eprintln!("mailsleuth: {e:#}");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

/// Reads the file and picks the message to analyse; errors are printed, as an exit code.
fn load_message(file: &str, pick: Option<u32>) -> Result<(String, input::Message), ExitCode> {
    let loaded = input::load(file).map_err(|e| {
        eprintln!("mailsleuth: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    let source = loaded.source.clone();
    let shown = mailsleuth::report::visible(&source).into_owned();
    let mut messages = input::prepare(loaded).map_err(|e| {
        eprintln!("mailsleuth: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    })?;
    let count = messages.len();
    let n = pick.map_or(1, |n| n as usize);
    if n > count {
        eprintln!(
            "mailsleuth: {shown}: --message {n}, but the file holds {count} message(s) (1 to {count})"
        );
        return Err(ExitCode::from(EXIT_BAD_INPUT));
    }
    if pick.is_none() && count > 1 {
        eprintln!(
            "mailsleuth: {shown} holds {count} messages; analysing the first (use --message N to pick another, 1 to {count})"
        );
    }
    Ok((source, messages.swap_remove(n - 1)))
}

/// The files a run reads: never to be written over by `-o` or `--save-dns`.
fn inputs_of<'a>(file: &'a str, common: &'a Common) -> Vec<&'a Path> {
    let mut inputs: Vec<&Path> = Vec::new();
    if file != "-" {
        inputs.push(Path::new(file));
    }
    inputs.extend(common.dns.dns_snapshot.as_deref());
    inputs
}

/// Refuses, before any work, an output file that is one of the inputs (exit 2).
fn check_outputs(inputs: &[&Path], common: &Common) -> Result<(), ExitCode> {
    for target in [common.output.as_deref(), common.dns.save_dns.as_deref()]
        .into_iter()
        .flatten()
    {
        if let Err(e) = mailsleuth::output::check_not_input(target, inputs) {
            eprintln!("mailsleuth: {e}");
            return Err(ExitCode::from(EXIT_BAD_INPUT));
        }
    }
    Ok(())
}

fn run_report(file: &str, format: Format, common: &Common) -> ExitCode {
    let inputs = inputs_of(file, common);
    if let Err(code) = check_outputs(&inputs, common) {
        return code;
    }
    let (source, message) = match load_message(file, common.message) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let config = common.dns_config();
    let dns = match config.build() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let mut opts = common.options(&source);
    opts.prep = message.prep;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailsleuth: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let analysis: Analysis = runtime.block_on(analysis::analyze(&message.bytes, &opts, &dns));

    // The report goes out as it is made: a long one is never whole in memory.
    let mut write = |w: &mut dyn Write| match format {
        Format::Text => report::write_text(w, &analysis),
        Format::Json => report::write_json(w, &analysis),
        Format::Markdown => report::write_markdown(w, &analysis),
    };
    let written = match &common.output {
        Some(path) => mailsleuth::output::write_atomically_with(path, &inputs, &mut write)
            .map_err(|e| format!("cannot write the report: {e}")),
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            match write(&mut stdout).and_then(|_| stdout.flush()) {
                // A closed pipe (`| head`) is not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.map_err(|e| format!("cannot write to stdout: {e}")),
            }
        }
    };
    if let Err(e) = written {
        eprintln!("mailsleuth: {e}");
        return ExitCode::from(EXIT_INTERNAL);
    }
    // The snapshot after the report: a snapshot that cannot be written never costs the report.
    match config.save(&dns, &inputs) {
        Ok(None) => {}
        Ok(Some(warning)) => eprintln!("mailsleuth: warning: {warning}"),
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    }

    // Input problems go to stderr too, naming the input, so a script sees them without parsing.
    let mut unusable = false;
    for w in &analysis.warnings {
        if w.severity == Severity::Error {
            let at = w
                .header_index
                .map(|i| format!(" (header #{i})"))
                .unwrap_or_default();
            eprintln!(
                "mailsleuth: {}{at}: {}",
                mailsleuth::report::visible(&source),
                mailsleuth::report::visible(&w.message)
            );
            if w.code == "no-headers" || w.code == "empty-input" {
                unusable = true;
            }
        }
    }
    ExitCode::from(if unusable { EXIT_BAD_INPUT } else { EXIT_OK })
}

/// `mailsleuth scan`: exit 0 when every message was analysed, 1 when some were error lines (or
/// the output failed), 2 for usage errors, 130 when interrupted.
fn run_scan(args: ScanArgs) -> ExitCode {
    use mailsleuth::scan::{self, Format as Out};
    let usage = |e: String| {
        eprintln!("mailsleuth: {e}");
        ExitCode::from(EXIT_BAD_INPUT)
    };
    let paths = match scan::sources::expand_args(&args.paths, &mut std::io::stdin().lock()) {
        Ok(p) => p,
        Err(e) => return usage(e),
    };
    if let Some(save) = &args.dns.save_dns {
        let inputs: Vec<&Path> = paths.iter().map(Path::new).collect();
        if let Err(e) = mailsleuth::output::check_not_input(save, &inputs) {
            return usage(e.to_string());
        }
    }
    let dns = args.dns.config();
    let backend = match scan::backend(&dns) {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    let format = match args.format {
        Some(ScanFormat::Jsonl) => Out::Jsonl,
        Some(ScanFormat::Table) => Out::Table,
        Some(ScanFormat::Summary) => Out::Summary,
        None if std::io::stdout().is_terminal() => Out::Table,
        None => Out::Jsonl,
    };
    let common = Common {
        now: args.now,
        receiver: args.receiver.clone(),
        dns: args.dns.clone(),
        ..Common::default()
    };
    let config = scan::ScanConfig {
        paths,
        format,
        shard: args.shard.unwrap_or(scan::Shard::ALL),
        jobs: args
            .jobs
            .map(usize::from)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        top: args.top,
        options: common.options(""),
        dns,
        progress: std::io::stderr().is_terminal(),
    };
    let mut stdout = std::io::stdout().lock();
    match scan::run(config, backend, &mut stdout) {
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            ExitCode::from(EXIT_INTERNAL)
        }
        Ok(o) if o.interrupted => {
            eprintln!(
                "mailsleuth: interrupted: {} message(s) analysed and {} error(s) written",
                o.analysed, o.errors
            );
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Ok(o) if o.errors > 0 => ExitCode::from(EXIT_INTERNAL),
        Ok(_) => ExitCode::from(EXIT_OK),
    }
}
