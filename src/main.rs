//! mailsleuth — email header forensics in the terminal.
//!
//! `mailsleuth FILE` opens the TUI (or prints the text report when stdout is not a terminal);
//! `mailsleuth report FILE` prints a report. Both are views of one `Analysis`.

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use mailsleuth::analysis::{self, Analysis, DnsMode, Options, Severity};
use mailsleuth::dns::DnsConfig;
use mailsleuth::{input, report};

/// Exit codes (documented in the README).
const EXIT_OK: u8 = 0;
const EXIT_INTERNAL: u8 = 1;
const EXIT_BAD_INPUT: u8 = 2;

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
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Args, Debug, Clone)]
struct Common {
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
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    dns_timeout: f64,
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
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
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
            dns_mode: self.dns_mode(),
            receivers: load_receivers(),
        }
    }

    fn dns_mode(&self) -> DnsMode {
        if self.dns_snapshot.is_some() {
            DnsMode::Snapshot
        } else if self.save_dns.is_some() {
            DnsMode::Recording
        } else {
            DnsMode::Live
        }
    }

    fn dns_config(&self) -> DnsConfig {
        DnsConfig {
            mode: self.dns_mode(),
            snapshot: self.dns_snapshot.clone(),
            save: self.save_dns.clone(),
            server: self.dns_server,
            timeout: Duration::from_secs_f64(self.dns_timeout.clamp(0.05, 120.0)),
        }
    }
}

/// The receivers table: the compiled-in one, patched by the user's
/// `$XDG_CONFIG_HOME/mailsleuth/receivers.toml` (else `~/.config/…`) when there is one. A broken
/// user file is reported and ignored.
fn load_receivers() -> analysis::receiver::Receivers {
    use analysis::receiver::{ReceiverTable, Receivers};
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        });
    let Some(path) = base.map(|b| b.join("mailsleuth").join("receivers.toml")) else {
        return Receivers::default();
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Receivers::default();
    };
    match ReceiverTable::with_user_file(&text) {
        Ok(table) => Receivers::new(table),
        Err(e) => {
            eprintln!("mailsleuth: {}: {e} (ignored)", path.display());
            Receivers::default()
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Report {
            file,
            format,
            common,
        }) => run_report(&file, format, &common),
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
        options: common.options(&source),
        dns: common.dns_config(),
    };
    match mailsleuth::tui::run(args) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("mailsleuth: {e:#}");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}

fn run_report(file: &str, format: Format, common: &Common) -> ExitCode {
    let loaded = match input::load(file) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let config = common.dns_config();
    let dns = match config.build() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("mailsleuth: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    let opts = common.options(&loaded.source);
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
    let analysis: Analysis = runtime.block_on(analysis::analyze(&loaded.bytes, &opts, &dns));

    if let Err(e) = config.save(&dns) {
        eprintln!("mailsleuth: {e}");
        return ExitCode::from(EXIT_INTERNAL);
    }

    let out = match format {
        Format::Text => report::text(&analysis),
        Format::Json => report::json(&analysis) + "\n",
        Format::Markdown => report::markdown(&analysis),
    };
    let written = match &common.output {
        Some(path) => std::fs::write(path, out.as_bytes())
            .map_err(|e| format!("{}: cannot write report: {e}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(out.as_bytes())
                .and_then(|_| stdout.flush())
            {
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

    // Input problems go to stderr too, naming the input, so a script sees them without parsing.
    let mut unusable = false;
    for w in &analysis.warnings {
        if w.severity == Severity::Error {
            let at = w
                .header_index
                .map(|i| format!(" (header #{i})"))
                .unwrap_or_default();
            eprintln!("mailsleuth: {}{at}: {}", loaded.source, w.message);
            if w.code == "no-headers" || w.code == "empty-input" {
                unusable = true;
            }
        }
    }
    ExitCode::from(if unusable { EXIT_BAD_INPUT } else { EXIT_OK })
}
