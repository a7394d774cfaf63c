//! The traced check_host() of RFC 7208 §4: every record fetched, every term tried and every
//! limit counted becomes a [`Step`], in the order a person would follow it.
//!
//! All DNS goes through [`Dns::query`], so each step's `queries` point at exactly the evidence
//! that decided it. Nested records (include, redirect) are flattened into the same list, with the
//! path in the title: `include:_spf.example.net › ip4:192.0.2.0/24`.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::macros::{Expansion, Identity, MacroContext, MacroString, MacroVars, reverse_name};
use super::record::{Mechanism, Record, is_spf_record, parse_record};
use crate::analysis::{AuthResult, Outcome, Step};
use crate::dns::{BoxFuture, Dns, DnsAnswer, DnsOutcome, QueryKey, Record as Rr, RecordType};

/// RFC 7208 §4.6.4: terms that query DNS, per check_host() including nested records.
pub const MAX_DNS_LOOKUPS: u32 = 10;
/// RFC 7208 §4.6.4: lookups answering NXDOMAIN or no records.
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// RFC 7208 §4.6.4: elapsed time after which check_host() gives up with temperror. Only a slow
/// live resolver can reach it; snapshot answers are instant, so replays stay reproducible.
const MAX_ELAPSED: Duration = Duration::from_secs(20);
/// RFC 7208 §4.6.4: MX names per `mx`, PTR names per `ptr` (and per `%{p}`).
const MAX_NAMES: usize = 10;

/// What one check_host() run decided.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub result: AuthResult,
    pub matched: Option<String>,
    pub explanation: Option<String>,
    pub dns_lookups: u32,
    pub void_lookups: u32,
    pub steps: Vec<Step>,
}

pub(crate) struct Request<'a> {
    pub ip: IpAddr,
    pub domain: &'a str,
    pub sender: &'a str,
    pub helo: &'a str,
    pub receiver: &'a str,
    pub now: Option<i64>,
}

/// One record's evaluation.
struct HostOutcome {
    result: AuthResult,
    matched: Option<String>,
    /// Domain of the record whose term matched (or that ended the evaluation).
    decided_by: String,
    /// The exp= of the deciding record and that record's domain (§6.2: not from includes; a
    /// redirect replaces it).
    exp: Option<(MacroString, String)>,
}

impl HostOutcome {
    fn of(result: AuthResult, domain: &str) -> Self {
        HostOutcome {
            result,
            matched: None,
            decided_by: domain.to_string(),
            exp: None,
        }
    }
}

enum TermOutcome {
    Match,
    NoMatch,
    Abort(AuthResult),
}

struct Evaluator<'a> {
    dns: &'a Dns,
    ip: IpAddr,
    /// The macro values known from the start.
    identity: Identity,
    lookups: u32,
    voids: u32,
    steps: Vec<Step>,
    /// PTR names of the client IP that resolve back to it (for `%{p}`), found once.
    validated_names: Option<(Vec<String>, Vec<QueryKey>)>,
    started: Instant,
    /// Set when [`MAX_ELAPSED`] stopped the evaluation (temperror, not permerror).
    timed_out: bool,
}

pub(crate) async fn run(dns: &Dns, req: Request<'_>) -> Verdict {
    // §5: an IPv4-mapped IPv6 address is an IPv4 client.
    let ip = match req.ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    let domain = req.domain.trim().trim_end_matches('.').to_string();
    let (local, sender_domain) = match req.sender.rsplit_once('@') {
        Some((local, d)) => (local.to_string(), d.to_string()),
        None => (String::new(), domain.clone()),
    };
    // §4.3: a sender without a local-part is postmaster@domain.
    let (local_part, sender) = if local.is_empty() {
        (
            "postmaster".to_string(),
            format!("postmaster@{sender_domain}"),
        )
    } else {
        (local, req.sender.to_string())
    };
    let mut ev = Evaluator {
        dns,
        ip,
        identity: Identity {
            sender,
            local_part,
            sender_domain,
            ip,
            helo: req.helo.to_string(),
            receiver: req.receiver.to_string(),
            now: req.now,
        },
        lookups: 0,
        voids: 0,
        steps: Vec::new(),
        validated_names: None,
        started: Instant::now(),
        timed_out: false,
    };
    let mut start = Step::new(
        format!("check_host({ip}, {domain})"),
        Outcome::Info,
        format!(
            "Is {ip} allowed to send mail for {domain}? The answer comes from the SPF record \
             published at {domain} (RFC 7208 check_host())."
        ),
    )
    .fact("ip", ip.to_string())
    .fact("domain", domain.clone())
    .fact("sender", ev.identity.sender.clone())
    .fact("helo", ev.identity.helo.clone());
    if ip != req.ip {
        start.explanation.push_str(&format!(
            " The client address {} is an IPv4-mapped IPv6 address, so it is checked as the IPv4 \
             address {ip} (RFC 7208 §5).",
            req.ip
        ));
    }
    ev.push(start);

    if let Some(problem) = domain_problem(&domain) {
        ev.push(Step::new(
            format!("Domain {domain}"),
            Outcome::Info,
            format!(
                "`{domain}` {problem}, so there is no SPF record to look up: the result is none \
                 (RFC 7208 §4.3)."
            ),
        ));
        return ev.finish(HostOutcome::of(AuthResult::None, &domain), None);
    }

    // The record's term lookups are asked ahead, all at once; the evaluation below still reads
    // them one by one, in order, and counts only what it reads.
    super::prefetch::start(dns, &domain, &ev.identity);
    let outcome = ev.eval_host(domain.clone(), Vec::new()).await;
    let explanation = if outcome.result == AuthResult::Fail {
        match &outcome.exp {
            Some((spec, exp_domain)) => ev.explain(spec, exp_domain).await,
            None => None,
        }
    } else {
        None
    };
    ev.finish(outcome, explanation)
}

impl<'a> Evaluator<'a> {
    /// Appends a step with the running counters (§4.6.4) as facts.
    fn push(&mut self, step: Step) {
        let step = step
            .fact(
                "dns_lookups",
                format!(
                    "{}/{MAX_DNS_LOOKUPS}",
                    self.lookups.min(MAX_DNS_LOOKUPS + 1)
                ),
            )
            .fact("void_lookups", format!("{}/{MAX_VOID_LOOKUPS}", self.voids));
        self.steps.push(step);
    }

    fn finish(mut self, outcome: HostOutcome, explanation: Option<String>) -> Verdict {
        let result = outcome.result;
        let outcome_kind = match result {
            AuthResult::Pass => Outcome::Pass,
            AuthResult::Fail => Outcome::Fail,
            AuthResult::SoftFail | AuthResult::Neutral => Outcome::Warning,
            AuthResult::TempError | AuthResult::PermError => Outcome::Error,
            AuthResult::None | AuthResult::Policy => Outcome::Info,
        };
        let mut text = match (&outcome.matched, result) {
            (Some(term), r) => format!(
                "`{term}` in the record of {} matched; its qualifier `{}` means {}.",
                outcome.decided_by,
                qualifier_symbol(term),
                meaning(r)
            ),
            (None, AuthResult::Neutral) => format!(
                "No term of the record of {} matched and there was no redirect: the default \
                 result is neutral (RFC 7208 §4.7) — {}.",
                outcome.decided_by,
                meaning(AuthResult::Neutral)
            ),
            (None, r @ (AuthResult::TempError | AuthResult::PermError)) => {
                match self
                    .steps
                    .iter()
                    .rev()
                    .find(|s| s.outcome == Outcome::Error)
                {
                    Some(step) => format!(
                        "The evaluation stopped at step \"{}\" with {}.",
                        step.title,
                        meaning(r)
                    ),
                    None => format!("The evaluation ended with {}.", meaning(r)),
                }
            }
            (None, r) => format!("The evaluation ended with {}.", meaning(r)),
        };
        if let Some(exp) = &explanation {
            text.push_str(&format!(" The domain's explanation: \"{exp}\"."));
        }
        let mut step = Step::new(format!("Result: {result}"), outcome_kind, text)
            .fact("result", result.as_str());
        if let Some(term) = &outcome.matched {
            step = step
                .fact("matched", term.clone())
                .fact("qualifier", qualifier_symbol(term).to_string());
        }
        self.push(step);
        Verdict {
            result,
            matched: outcome.matched,
            explanation,
            dns_lookups: self.lookups.min(MAX_DNS_LOOKUPS + 1),
            void_lookups: self.voids,
            steps: self.steps,
        }
    }

    fn vars<'v>(&'v self, domain: &'v str, validated: Option<&'v str>) -> MacroVars<'v> {
        self.identity.vars(domain, validated)
    }

    async fn query(&self, name: &str, rtype: RecordType) -> (QueryKey, DnsAnswer) {
        let answer = self.dns.query(name, rtype).await;
        (QueryKey::new(name, rtype), answer)
    }

    /// The domain name a domain-spec names: expanded, without trailing dots.
    async fn expand_domain_spec(
        &mut self,
        spec: &MacroString,
        domain: &str,
        path: &[String],
    ) -> String {
        self.expand(spec, domain, path, MacroContext::DomainSpec)
            .await
            .text
            .trim_end_matches('.')
            .to_string()
    }

    /// Expands a macro string, showing the expansion as its own step when it has macros.
    async fn expand(
        &mut self,
        spec: &MacroString,
        domain: &str,
        path: &[String],
        context: MacroContext,
    ) -> Expansion {
        let mut queries = Vec::new();
        let validated = if spec.uses_letter('p') {
            let (name, keys) = self.validated_name(domain).await;
            queries = keys;
            name
        } else {
            None
        };
        let expansion = spec.expand(&self.vars(domain, validated.as_deref()), context);
        if spec.has_macros() {
            let parts: Vec<String> = expansion
                .details
                .iter()
                .map(|d| format!("{} → `{}` ({})", d.macro_text, d.value, d.meaning))
                .collect();
            let mut text = format!(
                "`{}` expands to `{}`: {}.",
                spec.source,
                expansion.text,
                parts.join("; ")
            );
            if expansion.truncated {
                text.push_str(
                    " The result was longer than 253 characters, so labels were removed from \
                     the left until it fit (RFC 7208 §7.3).",
                );
            }
            if spec.uses_letter('p') {
                text.push_str(
                    " %{p} needed the validated name of the client IP: a PTR lookup, then an \
                     address lookup of each name (RFC 7208 §7.3).",
                );
            }
            self.push(
                Step::new(
                    title(path, &format!("macros in {}", spec.source)),
                    Outcome::Info,
                    text,
                )
                .queries(queries)
                .fact("macro_string", spec.source.clone())
                .fact("expansion", expansion.text.clone()),
            );
        }
        expansion
    }

    /// check_host() for the record `term` (an include or a redirect) points at.
    async fn eval_nested(&mut self, target: &str, path: &[String], term: &str) -> HostOutcome {
        let mut inner_path = path.to_vec();
        inner_path.push(term.to_string());
        self.eval_host(target.to_string(), inner_path).await
    }

    /// check_host() for one domain's record (the top one, an include or a redirect).
    fn eval_host<'s>(
        &'s mut self,
        domain: String,
        path: Vec<String>,
    ) -> BoxFuture<'s, HostOutcome> {
        Box::pin(async move {
            let record = match self.fetch_record(&domain, &path).await {
                Ok(record) => record,
                Err(result) => return HostOutcome::of(result, &domain),
            };
            for (index, directive) in record.directives.iter().enumerate() {
                if directive.mechanism.queries_dns() && !self.count_lookup(&directive.text, &path) {
                    return HostOutcome::of(self.limit_result(), &domain);
                }
                match self.eval_term(directive, &domain, &path).await {
                    TermOutcome::Match => {
                        let rest: Vec<&str> = record.directives[index + 1..]
                            .iter()
                            .map(|d| d.text.as_str())
                            .chain(record.redirect.iter().map(|(_, t)| t.as_str()))
                            .collect();
                        if !rest.is_empty() {
                            self.push(Step::new(
                                title(&path, "remaining terms"),
                                Outcome::Skipped,
                                format!(
                                    "Not evaluated, because `{}` matched first: {}.",
                                    directive.text,
                                    rest.join(" ")
                                ),
                            ));
                        }
                        return HostOutcome {
                            result: directive.qualifier.result(),
                            matched: Some(directive.text.clone()),
                            decided_by: domain.clone(),
                            exp: record.exp.clone().map(|(spec, _)| (spec, domain.clone())),
                        };
                    }
                    TermOutcome::NoMatch => {}
                    TermOutcome::Abort(result) => return HostOutcome::of(result, &domain),
                }
            }
            match &record.redirect {
                Some((spec, text)) if !record.has_all() => {
                    self.redirect(spec, text, &domain, &path).await
                }
                _ => HostOutcome {
                    result: AuthResult::Neutral,
                    matched: None,
                    decided_by: domain.clone(),
                    exp: record.exp.clone().map(|(spec, _)| (spec, domain.clone())),
                },
            }
        })
    }

    /// Counts one DNS-querying term; false (after a step saying so) when it is the 11th, or when
    /// the evaluation has already run too long.
    fn count_lookup(&mut self, term: &str, path: &[String]) -> bool {
        if self.started.elapsed() > MAX_ELAPSED {
            self.push(Step::new(
                title(path, term),
                Outcome::Error,
                format!(
                    "The evaluation has taken more than {} seconds (slow or unanswered DNS), so \
                     it stops here with temperror (RFC 7208 §4.6.4).",
                    MAX_ELAPSED.as_secs()
                ),
            ));
            self.timed_out = true;
            return false;
        }
        self.lookups += 1;
        if self.lookups > MAX_DNS_LOOKUPS {
            self.push(Step::new(
                title(path, term),
                Outcome::Error,
                format!(
                    "`{term}` would be DNS-querying term number {} of this check; RFC 7208 §4.6.4 \
                     allows {MAX_DNS_LOOKUPS} (include, a, mx, ptr, exists and redirect count, \
                     nested records included), so the result is permerror.",
                    self.lookups
                ),
            ));
            return false;
        }
        true
    }

    /// What a refused [`Self::count_lookup`] means: too slow is temperror, too many permerror.
    fn limit_result(&self) -> AuthResult {
        if self.timed_out {
            AuthResult::TempError
        } else {
            AuthResult::PermError
        }
    }

    /// Counts a void lookup; false (after a step saying so) past the limit.
    fn count_void(&mut self, term: &str, path: &[String], key: &QueryKey) -> bool {
        self.voids += 1;
        if self.voids > MAX_VOID_LOOKUPS {
            self.push(
                Step::new(
                    title(path, term),
                    Outcome::Error,
                    format!(
                        "This is void lookup number {} (a query answered with no such name or no \
                         records); RFC 7208 §4.6.4 allows {MAX_VOID_LOOKUPS}, so the result is \
                         permerror.",
                        self.voids
                    ),
                )
                .query(key.clone()),
            );
            return false;
        }
        true
    }

    /// A lookup that found nothing: a void lookup (§4.6.4), so no match, or permerror once
    /// past the limit. `text` says what was looked up and found.
    fn void_no_match(
        &mut self,
        path: &[String],
        term: &str,
        key: QueryKey,
        text: String,
    ) -> TermOutcome {
        if !self.count_void(term, path, &key) {
            return TermOutcome::Abort(AuthResult::PermError);
        }
        self.term_step(path, term, false, text, vec![key]);
        TermOutcome::NoMatch
    }

    /// Fetches and parses the SPF record of `domain` (§4.4, §4.5).
    async fn fetch_record(&mut self, domain: &str, path: &[String]) -> Result<Record, AuthResult> {
        let step_title = title(path, &format!("SPF record of {domain}"));
        let (key, answer) = self.query(domain, RecordType::TXT).await;
        if answer.outcome.is_temporary_error() || answer.outcome == DnsOutcome::Pending {
            self.push(
                Step::new(
                    step_title,
                    Outcome::Error,
                    format!(
                        "The TXT lookup for {domain} failed ({}{}), so SPF cannot be evaluated \
                         now: temperror (RFC 7208 §4.4).",
                        answer.outcome.as_str(),
                        answer
                            .error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ),
                )
                .query(key),
            );
            return Err(AuthResult::TempError);
        }
        if answer.outcome == DnsOutcome::NxDomain {
            self.push(
                Step::new(
                    step_title,
                    Outcome::Info,
                    format!("{domain} does not exist (NXDOMAIN): no SPF record, result none."),
                )
                .query(key),
            );
            return Err(AuthResult::None);
        }
        let texts = answer.txt();
        let spf: Vec<&String> = texts.iter().filter(|t| is_spf_record(t)).collect();
        let others = texts.len() - spf.len();
        let ignored = if others > 0 {
            format!(
                " {others} other TXT record(s) ignored: only a record starting with `v=spf1` \
                 followed by a space or its end is an SPF record (RFC 7208 §4.5)."
            )
        } else {
            String::new()
        };
        match spf.as_slice() {
            [] => {
                self.push(
                    Step::new(
                        step_title,
                        Outcome::Info,
                        format!(
                            "{domain} has {} TXT record(s), none of them an SPF record: result \
                             none.{ignored}",
                            texts.len()
                        ),
                    )
                    .query(key),
                );
                Err(AuthResult::None)
            }
            [text] => self.use_record(domain, path, step_title, key, text, &ignored),
            many => {
                let list: Vec<String> = many.iter().map(|t| format!("`{}`", visible(t))).collect();
                self.push(
                    Step::new(
                        step_title,
                        Outcome::Error,
                        format!(
                            "{domain} publishes {} SPF records ({}); there must be exactly one, so \
                             the result is permerror (RFC 7208 §4.5).",
                            many.len(),
                            list.join(", ")
                        ),
                    )
                    .query(key),
                );
                Err(AuthResult::PermError)
            }
        }
    }

    /// The one SPF record of `domain`, shown as published, then parsed: a syntax error anywhere
    /// makes it unusable (RFC 7208 §4.6).
    fn use_record(
        &mut self,
        domain: &str,
        path: &[String],
        step_title: String,
        key: QueryKey,
        text: &str,
        ignored: &str,
    ) -> Result<Record, AuthResult> {
        let text = text.to_string();
        self.push(
            Step::new(
                step_title,
                Outcome::Info,
                format!("{domain} publishes `{}`.{ignored}", visible(&text)),
            )
            .query(key)
            .fact("record", text.clone()),
        );
        match parse_record(&text) {
            Ok(record) => Ok(record),
            Err(e) => {
                self.push(
                    Step::new(
                        title(path, &format!("syntax error in `{}`", visible(&e.term))),
                        Outcome::Error,
                        format!(
                            "The record of {domain} cannot be used: in the term `{}`, {}. \
                             Any syntax error makes the result permerror, even after a \
                             term that would match (RFC 7208 §4.6).",
                            visible(&e.term),
                            e.reason
                        ),
                    )
                    .fact("term", e.term.clone()),
                );
                Err(AuthResult::PermError)
            }
        }
    }

    /// Whether one directive's mechanism matches the client (RFC 7208 §5), with its step.
    async fn eval_term(
        &mut self,
        directive: &super::record::Directive,
        domain: &str,
        path: &[String],
    ) -> TermOutcome {
        let term = directive.text.as_str();
        match &directive.mechanism {
            Mechanism::All => {
                self.push(Step::new(
                    title(path, term),
                    Outcome::Match,
                    "`all` matches every client.",
                ));
                TermOutcome::Match
            }
            Mechanism::Ip4 { network, prefix } => self.eval_ip4(*network, *prefix, path, term),
            Mechanism::Ip6 { network, prefix } => self.eval_ip6(*network, *prefix, path, term),
            Mechanism::A {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let Some(target) = self.target(spec.as_ref(), domain, path, term).await else {
                    return TermOutcome::NoMatch;
                };
                self.eval_a(&target, *cidr4, *cidr6, path, term).await
            }
            Mechanism::Mx {
                domain: spec,
                cidr4,
                cidr6,
            } => {
                let Some(target) = self.target(spec.as_ref(), domain, path, term).await else {
                    return TermOutcome::NoMatch;
                };
                self.eval_mx(&target, *cidr4, *cidr6, path, term).await
            }
            Mechanism::Ptr(spec) => {
                let Some(target) = self.target(spec.as_ref(), domain, path, term).await else {
                    return TermOutcome::NoMatch;
                };
                self.eval_ptr(&target, path, term).await
            }
            Mechanism::Exists(spec) => {
                let Some(target) = self.target(Some(spec), domain, path, term).await else {
                    return TermOutcome::NoMatch;
                };
                self.eval_exists(&target, path, term).await
            }
            Mechanism::Include(spec) => self.include(spec, term, domain, path).await,
        }
    }

    /// `ip4` (RFC 7208 §5.6): the client's address within the network.
    fn eval_ip4(
        &mut self,
        network: std::net::Ipv4Addr,
        prefix: u8,
        path: &[String],
        term: &str,
    ) -> TermOutcome {
        let hit = match self.ip {
            IpAddr::V4(ip) => in_prefix(IpAddr::V4(ip), IpAddr::V4(network), prefix),
            IpAddr::V6(_) => false,
        };
        let text = match self.ip {
            IpAddr::V4(ip) if hit => format!("{ip} is within {network}/{prefix}."),
            IpAddr::V4(ip) => format!("{ip} is not within {network}/{prefix}."),
            IpAddr::V6(ip) => format!("{ip} is an IPv6 client; ip4 never matches it."),
        };
        self.term_step(path, term, hit, text, Vec::new());
        bool_outcome(hit)
    }

    /// `ip6` (RFC 7208 §5.6): the client's address within the network.
    fn eval_ip6(
        &mut self,
        network: std::net::Ipv6Addr,
        prefix: u8,
        path: &[String],
        term: &str,
    ) -> TermOutcome {
        let hit = match self.ip {
            IpAddr::V6(ip) => in_prefix(IpAddr::V6(ip), IpAddr::V6(network), prefix),
            IpAddr::V4(_) => false,
        };
        let text = match self.ip {
            IpAddr::V6(ip) if hit => format!("{ip} is within {network}/{prefix}."),
            IpAddr::V6(ip) => format!("{ip} is not within {network}/{prefix}."),
            IpAddr::V4(ip) => {
                format!("{ip} is an IPv4 client; ip6 never matches it (RFC 7208 §5.6).")
            }
        };
        self.term_step(path, term, hit, text, Vec::new());
        bool_outcome(hit)
    }

    /// `a` (RFC 7208 §5.3): an address of the target name within the CIDR length.
    async fn eval_a(
        &mut self,
        target: &str,
        cidr4: u8,
        cidr6: u8,
        path: &[String],
        term: &str,
    ) -> TermOutcome {
        let rtype = self.address_type();
        let (key, answer) = self.query(target, rtype).await;
        if let Some(abort) = self.dns_error(&answer, path, term, &key, target) {
            return abort;
        }
        if answer.outcome.is_void() || addresses(&answer).is_empty() {
            return self.void_no_match(
                path,
                term,
                key,
                format!(
                    "{target} has no {rtype} records ({}): no match. This is a void \
                     lookup.",
                    answer.outcome.as_str()
                ),
            );
        }
        let addrs = addresses(&answer);
        let prefix = self.prefix_for(cidr4, cidr6);
        let hit = addrs.iter().any(|a| in_prefix(self.ip, *a, prefix));
        let text = format!(
            "{rtype} of {target}: {}. {} {} within /{prefix} of {}.",
            join_addrs(&addrs),
            self.ip,
            if hit { "is" } else { "is not" },
            if addrs.len() == 1 {
                "it"
            } else {
                "any of them"
            }
        );
        self.term_step(path, term, hit, text, vec![key]);
        bool_outcome(hit)
    }

    /// `exists` (RFC 7208 §5.7): the target name has an A record, whatever the address.
    async fn eval_exists(&mut self, target: &str, path: &[String], term: &str) -> TermOutcome {
        let (key, answer) = self.query(target, RecordType::A).await;
        if let Some(abort) = self.dns_error(&answer, path, term, &key, target) {
            return abort;
        }
        let addrs = addresses(&answer);
        if addrs.is_empty() {
            return self.void_no_match(
                path,
                term,
                key,
                format!(
                    "{target} has no A record ({}): no match. This is a void lookup.",
                    answer.outcome.as_str()
                ),
            );
        }
        self.term_step(
            path,
            term,
            true,
            format!(
                "{target} has an A record ({}): exists matches, whatever the address \
                 (the lookup is for A even for an IPv6 client, RFC 7208 §5.7).",
                join_addrs(&addrs)
            ),
            vec![key],
        );
        TermOutcome::Match
    }

    fn term_step(
        &mut self,
        path: &[String],
        term: &str,
        hit: bool,
        text: String,
        keys: Vec<QueryKey>,
    ) {
        self.push(
            Step::new(
                title(path, term),
                if hit {
                    Outcome::Match
                } else {
                    Outcome::NoMatch
                },
                text,
            )
            .queries(keys),
        );
    }

    fn address_type(&self) -> RecordType {
        match self.ip {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::AAAA,
        }
    }

    fn prefix_for(&self, cidr4: u8, cidr6: u8) -> u8 {
        match self.ip {
            IpAddr::V4(_) => cidr4,
            IpAddr::V6(_) => cidr6,
        }
    }

    /// SERVFAIL, timeout or another error: the term stops and check_host() is temperror (§5).
    fn dns_error(
        &mut self,
        answer: &DnsAnswer,
        path: &[String],
        term: &str,
        key: &QueryKey,
        target: &str,
    ) -> Option<TermOutcome> {
        if answer.outcome.is_temporary_error() || answer.outcome == DnsOutcome::Pending {
            self.push(
                Step::new(
                    title(path, term),
                    Outcome::Error,
                    format!(
                        "The {} lookup for {target} failed ({}{}): the result is temperror \
                         (RFC 7208 §5).",
                        key.rtype,
                        answer.outcome.as_str(),
                        answer
                            .error
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ),
                )
                .query(key.clone()),
            );
            return Some(TermOutcome::Abort(AuthResult::TempError));
        }
        None
    }

    /// The target-name of a mechanism: its domain-spec expanded, or the current domain. None
    /// (after a no-match step) when the expansion is not a name DNS can be asked about; such a
    /// name is treated as nonexistent (RFC 7208 §4.8, and the suite's accepted reading).
    async fn target(
        &mut self,
        spec: Option<&MacroString>,
        domain: &str,
        path: &[String],
        term: &str,
    ) -> Option<String> {
        let name = match spec {
            Some(spec) => self.expand_domain_spec(spec, domain, path).await,
            None => domain.trim_end_matches('.').to_string(),
        };
        if let Some(problem) = name_problem(&name) {
            self.push(Step::new(
                title(path, term),
                Outcome::NoMatch,
                format!(
                    "`{name}` {problem}, so it cannot be looked up; it is treated as a name \
                     that does not exist: no match."
                ),
            ));
            return None;
        }
        Some(name)
    }

    async fn eval_mx(
        &mut self,
        target: &str,
        cidr4: u8,
        cidr6: u8,
        path: &[String],
        term: &str,
    ) -> TermOutcome {
        let (key, answer) = self.query(target, RecordType::MX).await;
        if let Some(abort) = self.dns_error(&answer, path, term, &key, target) {
            return abort;
        }
        let exchanges = mx_exchanges(&answer);
        if exchanges.is_empty() {
            return self.void_no_match(
                path,
                term,
                key,
                format!(
                    "{target} has no MX records ({}): no match (the domain is not used as its \
                     own MX, RFC 7208 §5.4). This is a void lookup.",
                    answer.outcome.as_str()
                ),
            );
        }
        let rtype = self.address_type();
        let prefix = self.prefix_for(cidr4, cidr6);
        let mut keys = vec![key];
        let mut seen = Vec::new();
        for (index, (_, exchange)) in exchanges.iter().enumerate() {
            let host = exchange.trim_end_matches('.').to_string();
            if host.is_empty() {
                seen.push("the null MX `.` (no mail accepted, RFC 7505): skipped".to_string());
                continue;
            }
            if index >= MAX_NAMES {
                self.push(
                    Step::new(
                        title(path, term),
                        Outcome::Error,
                        format!(
                            "{target} has {} MX names; checking the 11th would exceed the limit \
                             of {MAX_NAMES} address lookups per mx (RFC 7208 §4.6.4), so the \
                             result is permerror. Checked: {}.",
                            exchanges.len(),
                            seen.join("; ")
                        ),
                    )
                    .queries(keys),
                );
                return TermOutcome::Abort(AuthResult::PermError);
            }
            let (k, a) = self.query(&host, rtype).await;
            keys.push(k.clone());
            if let Some(abort) = self.dns_error(&a, path, term, &k, &host) {
                return abort;
            }
            let addrs = addresses(&a);
            let hit = addrs.iter().any(|x| in_prefix(self.ip, *x, prefix));
            seen.push(if addrs.is_empty() {
                format!("{host}: no {rtype} ({})", a.outcome.as_str())
            } else {
                format!("{host}: {}", join_addrs(&addrs))
            });
            if hit {
                self.term_step(
                    path,
                    term,
                    true,
                    format!(
                        "MX of {target}, then {rtype} of each: {}. {} is within /{prefix} of {host}.",
                        seen.join("; "),
                        self.ip
                    ),
                    keys,
                );
                return TermOutcome::Match;
            }
        }
        self.term_step(
            path,
            term,
            false,
            format!(
                "MX of {target}, then {rtype} of each: {}. {} is not within /{prefix} of any.",
                seen.join("; "),
                self.ip
            ),
            keys,
        );
        TermOutcome::NoMatch
    }

    async fn eval_ptr(&mut self, target: &str, path: &[String], term: &str) -> TermOutcome {
        let reverse = reverse_name(self.ip);
        let (key, answer) = self.query(&reverse, RecordType::PTR).await;
        if answer.outcome.is_temporary_error() || answer.outcome == DnsOutcome::Pending {
            // §5.5: a DNS error on the PTR lookup makes the mechanism not match.
            self.term_step(
                path,
                term,
                false,
                format!(
                    "The PTR lookup for {reverse} failed ({}); for ptr this is no match, not an \
                     error (RFC 7208 §5.5).",
                    answer.outcome.as_str()
                ),
                vec![key],
            );
            return TermOutcome::NoMatch;
        }
        let names = ptr_names(&answer);
        if names.is_empty() {
            return self.void_no_match(
                path,
                term,
                key,
                format!(
                    "{reverse} has no PTR records ({}): no match. This is a void lookup.",
                    answer.outcome.as_str()
                ),
            );
        }
        let ignored = names.len().saturating_sub(MAX_NAMES);
        let target_lc = target.to_ascii_lowercase();
        let mut keys = vec![key];
        let mut notes = Vec::new();
        for name in names.iter().take(MAX_NAMES) {
            let lc = name.to_ascii_lowercase();
            if !(lc == target_lc || lc.ends_with(&format!(".{target_lc}"))) {
                notes.push(format!("{name}: not under {target}"));
                continue;
            }
            let (validated, k, note) = self.validate_name(name).await;
            keys.extend(k);
            notes.push(note);
            if validated {
                self.term_step(
                    path,
                    term,
                    true,
                    format!(
                        "PTR of {}: {}. {name} resolves back to {} and is under {target}: match.",
                        self.ip,
                        notes.join("; "),
                        self.ip
                    ),
                    keys,
                );
                return TermOutcome::Match;
            }
        }
        let mut text = format!(
            "PTR of {}: {}. No validated name is {target} or under it: no match.",
            self.ip,
            notes.join("; ")
        );
        if ignored > 0 {
            text.push_str(&format!(
                " {ignored} PTR name(s) beyond the first {MAX_NAMES} were ignored (RFC 7208 §4.6.4)."
            ));
        }
        self.term_step(path, term, false, text, keys);
        TermOutcome::NoMatch
    }

    /// Whether `name` has an address equal to the client IP. DNS errors skip the name (§5.5).
    async fn validate_name(&mut self, name: &str) -> (bool, Vec<QueryKey>, String) {
        let host = name.trim_end_matches('.');
        if name_problem(host).is_some() {
            return (
                false,
                Vec::new(),
                format!("{name}: not a valid name, skipped"),
            );
        }
        let (k, a) = self.query(host, self.address_type()).await;
        if a.outcome.is_temporary_error() || a.outcome == DnsOutcome::Pending {
            return (
                false,
                vec![k],
                format!(
                    "{name}: lookup failed ({}), skipped (RFC 7208 §5.5)",
                    a.outcome.as_str()
                ),
            );
        }
        let addrs = addresses(&a);
        let hit = addrs.contains(&self.ip);
        let note = if addrs.is_empty() {
            format!("{name}: no {} ({})", k.rtype, a.outcome.as_str())
        } else if hit {
            format!("{name}: {} (validated)", join_addrs(&addrs))
        } else {
            format!("{name}: {} (does not resolve back)", join_addrs(&addrs))
        };
        (hit, vec![k], note)
    }

    /// `%{p}` (§7.3): a validated PTR name of the client, preferring `domain` itself, then a
    /// name under it, then any. "unknown" (None) when there is none.
    async fn validated_name(&mut self, domain: &str) -> (Option<String>, Vec<QueryKey>) {
        if self.validated_names.is_none() {
            let reverse = reverse_name(self.ip);
            let (key, answer) = self.query(&reverse, RecordType::PTR).await;
            let mut keys = vec![key];
            let mut valid = Vec::new();
            if !answer.outcome.is_temporary_error() {
                for name in ptr_names(&answer).iter().take(MAX_NAMES) {
                    let (ok, k, _) = self.validate_name(name).await;
                    keys.extend(k);
                    if ok {
                        valid.push(name.trim_end_matches('.').to_string());
                    }
                }
            }
            self.validated_names = Some((valid, keys));
        }
        let Some((names, keys)) = &self.validated_names else {
            return (None, Vec::new());
        };
        let d = domain.to_ascii_lowercase();
        let pick = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(&d))
            .or_else(|| {
                names
                    .iter()
                    .find(|n| n.to_ascii_lowercase().ends_with(&format!(".{d}")))
            })
            .or_else(|| names.first())
            .cloned();
        (pick, keys.clone())
    }

    async fn include(
        &mut self,
        spec: &MacroString,
        term: &str,
        domain: &str,
        path: &[String],
    ) -> TermOutcome {
        let target = self.expand_domain_spec(spec, domain, path).await;
        if let Some(problem) = domain_problem(&target) {
            self.push(Step::new(
                title(path, term),
                Outcome::Error,
                format!(
                    "`{target}` {problem}: an include of a domain without a usable record is \
                     permerror (RFC 7208 §5.2)."
                ),
            ));
            return TermOutcome::Abort(AuthResult::PermError);
        }
        self.push(Step::new(
            title(path, term),
            Outcome::Info,
            format!(
                "Evaluating the SPF record of {target}. The include matches only if that \
                 evaluation passes (RFC 7208 §5.2)."
            ),
        ));
        let inner = self.eval_nested(&target, path, term).await;
        let (outcome, kind, text) = match inner.result {
            AuthResult::Pass => (
                TermOutcome::Match,
                Outcome::Match,
                format!("{target} gave pass, so `{term}` matches."),
            ),
            AuthResult::Fail | AuthResult::SoftFail | AuthResult::Neutral => (
                TermOutcome::NoMatch,
                Outcome::NoMatch,
                format!(
                    "{target} gave {}, so `{term}` does not match; evaluation continues.",
                    inner.result
                ),
            ),
            AuthResult::TempError => (
                TermOutcome::Abort(AuthResult::TempError),
                Outcome::Error,
                format!(
                    "{target} gave temperror, so the whole check is temperror (RFC 7208 §5.2)."
                ),
            ),
            AuthResult::None => (
                TermOutcome::Abort(AuthResult::PermError),
                Outcome::Error,
                format!(
                    "{target} has no SPF record (none); an include of it is permerror (RFC 7208 §5.2)."
                ),
            ),
            AuthResult::PermError | AuthResult::Policy => (
                TermOutcome::Abort(AuthResult::PermError),
                Outcome::Error,
                format!(
                    "{target} gave permerror, so the whole check is permerror (RFC 7208 §5.2)."
                ),
            ),
        };
        self.push(
            Step::new(
                title(path, &format!("{term} → {}", inner.result)),
                kind,
                text,
            )
            .fact("included_result", inner.result.as_str()),
        );
        outcome
    }

    async fn redirect(
        &mut self,
        spec: &MacroString,
        term: &str,
        domain: &str,
        path: &[String],
    ) -> HostOutcome {
        if !self.count_lookup(term, path) {
            return HostOutcome::of(self.limit_result(), domain);
        }
        let target = self.expand_domain_spec(spec, domain, path).await;
        if let Some(problem) = domain_problem(&target) {
            self.push(Step::new(
                title(path, term),
                Outcome::Error,
                format!(
                    "No term matched, so the redirect applies, but `{target}` {problem}: \
                     permerror (RFC 7208 §6.1)."
                ),
            ));
            return HostOutcome::of(AuthResult::PermError, domain);
        }
        self.push(Step::new(
            title(path, term),
            Outcome::Info,
            format!(
                "No term matched, so the result is that of {target}'s record, evaluated in place \
                 of this one (RFC 7208 §6.1); this record's exp= no longer applies."
            ),
        ));
        let inner = self.eval_nested(&target, path, term).await;
        if inner.result == AuthResult::None {
            self.push(Step::new(
                title(path, &format!("{term} → none")),
                Outcome::Error,
                format!(
                    "{target} has no SPF record; a redirect to it is permerror (RFC 7208 §6.1)."
                ),
            ));
            return HostOutcome::of(AuthResult::PermError, &target);
        }
        inner
    }

    /// exp= (§6.2): fetched only for fail, from the deciding record. Any problem means no
    /// explanation, never a different result; these lookups do not count against the limits.
    async fn explain(&mut self, spec: &MacroString, domain: &str) -> Option<String> {
        let term = format!("exp={}", spec.source);
        let path: Vec<String> = Vec::new();
        let target = self.expand_domain_spec(spec, domain, &path).await;
        let skip = |ev: &mut Self, why: String, keys: Vec<QueryKey>| -> Option<String> {
            ev.push(
                Step::new(
                    title(&[], &term),
                    Outcome::Info,
                    format!("{why}, so no explanation is given (RFC 7208 §6.2)."),
                )
                .queries(keys),
            );
            None
        };
        if let Some(problem) = name_problem(&target) {
            return skip(self, format!("`{target}` {problem}"), Vec::new());
        }
        let (key, answer) = self.query(&target, RecordType::TXT).await;
        if answer.outcome.is_temporary_error() || answer.outcome == DnsOutcome::Pending {
            return skip(
                self,
                format!(
                    "The TXT lookup for {target} failed ({})",
                    answer.outcome.as_str()
                ),
                vec![key],
            );
        }
        let texts = answer.txt();
        let [text] = texts.as_slice() else {
            return skip(
                self,
                format!("{target} has {} TXT records, not exactly one", texts.len()),
                vec![key],
            );
        };
        let parsed = match MacroString::parse(text, MacroContext::Explanation) {
            Ok(p) => p,
            Err(e) => {
                return skip(
                    self,
                    format!("The explanation `{}` is not valid: {e}", visible(text)),
                    vec![key],
                );
            }
        };
        let (validated, p_keys) = if parsed.uses_letter('p') {
            self.validated_name(domain).await
        } else {
            (None, Vec::new())
        };
        let expanded = parsed
            .expand(
                &self.vars(domain, validated.as_deref()),
                MacroContext::Explanation,
            )
            .text;
        self.push(
            Step::new(
                title(&[], &term),
                Outcome::Info,
                format!(
                    "The result is fail, so the domain's explanation is fetched from {target}: \
                     `{}`{}.",
                    visible(text),
                    if parsed.has_macros() {
                        format!(", which expands to \"{expanded}\"")
                    } else {
                        String::new()
                    }
                ),
            )
            .query(key)
            .queries(p_keys)
            .fact("explanation", expanded.clone()),
        );
        Some(expanded)
    }
}

/// Record text for display: control characters (which a record may hold, and which make it
/// invalid) are shown escaped instead of being written to a terminal.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn title(path: &[String], text: &str) -> String {
    let mut parts: Vec<&str> = path.iter().map(String::as_str).collect();
    parts.push(text);
    parts.join(" › ")
}

fn bool_outcome(hit: bool) -> TermOutcome {
    if hit {
        TermOutcome::Match
    } else {
        TermOutcome::NoMatch
    }
}

fn qualifier_symbol(term: &str) -> char {
    term.chars()
        .next()
        .filter(|c| matches!(c, '+' | '-' | '~' | '?'))
        .unwrap_or('+')
}

fn meaning(result: AuthResult) -> &'static str {
    match result {
        AuthResult::Pass => "pass: the client is authorized to send for the domain",
        AuthResult::Fail => "fail: the domain says this client is not authorized",
        AuthResult::SoftFail => {
            "softfail: the domain says this client is probably not authorized, but asks receivers \
             not to reject on that alone"
        }
        AuthResult::Neutral => "neutral: the domain makes no assertion about this client",
        AuthResult::None => "none: there is no SPF record to evaluate",
        AuthResult::TempError => {
            "temperror: a DNS error stopped the evaluation; a later retry may succeed"
        }
        AuthResult::PermError => "permerror: the record cannot be correctly evaluated",
        AuthResult::Policy => "policy",
    }
}

fn addresses(answer: &DnsAnswer) -> Vec<IpAddr> {
    answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rr::A { address } => Some(IpAddr::V4(*address)),
            Rr::Aaaa { address } => Some(IpAddr::V6(*address)),
            _ => None,
        })
        .collect()
}

fn ptr_names(answer: &DnsAnswer) -> Vec<String> {
    answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rr::Ptr { name } => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn join_addrs(addrs: &[IpAddr]) -> String {
    addrs
        .iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn in_prefix(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(prefix.min(32)))
                .unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(prefix.min(128)))
                .unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Why `domain` cannot be check_host()'s <domain> (RFC 7208 §4.3), or None when it can.
pub(crate) fn domain_problem(domain: &str) -> Option<String> {
    let d = domain.strip_suffix('.').unwrap_or(domain);
    if d.is_empty() {
        return Some("is empty".to_string());
    }
    if d.starts_with('[') || d.parse::<IpAddr>().is_ok() {
        return Some("is an address literal, not a domain name".to_string());
    }
    if let Some(c) = d.chars().find(|c| !c.is_ascii_graphic()) {
        return Some(format!(
            "contains {}, which no domain name has",
            super::macros::describe_char(c)
        ));
    }
    if let Some(problem) = name_problem(d) {
        return Some(problem);
    }
    if !d.contains('.') {
        return Some("is not a fully qualified domain name (it has a single label)".to_string());
    }
    None
}

/// Why DNS cannot be asked about `name` (empty or over-long labels), or None.
pub(super) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("is empty".to_string());
    }
    if name.len() > 253 {
        return Some("is longer than 253 characters".to_string());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Some("has an empty label".to_string());
        }
        if label.len() > 63 {
            return Some(format!(
                "has a label longer than 63 characters ({} characters)",
                label.len()
            ));
        }
    }
    None
}

/// The MX records of an answer: preference and exchange name.
pub(super) fn mx_exchanges(answer: &DnsAnswer) -> Vec<(u16, String)> {
    answer
        .records
        .iter()
        .filter_map(|r| match r {
            Rr::Mx {
                preference,
                exchange,
            } => Some((*preference, exchange.clone())),
            _ => None,
        })
        .collect()
}
