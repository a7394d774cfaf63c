//! Identifier alignment (RFC 9989 §4.4, RFC 7489 §3.1): each SPF and DKIM identifier set against
//! the From domain, by the tree walk's organizational domains and, beside them, the PSL's.

use crate::analysis::model::{AlignmentCandidate, AlignmentMode, AuthResult};
use crate::analysis::step::{Outcome, Step};
use crate::dns::{Dns, QueryKey};

use super::orgdomain::{TreeWalk, alignment_domain, org_domain_psl, tree_walk};

/// Strict: the same name. Relaxed: the same organizational domain, as `org_of` finds it.
pub fn is_aligned(
    domain: &str,
    from_domain: &str,
    mode: AlignmentMode,
    org_of: impl Fn(&str) -> Option<String>,
) -> bool {
    if domain == from_domain {
        return true;
    }
    match mode {
        AlignmentMode::Strict => false,
        AlignmentMode::Relaxed => match (org_of(domain), org_of(from_domain)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// Alignment by the Public Suffix List alone (RFC 7489 §3.1), on names as written.
pub fn aligned_by_psl(domain: &str, from_domain: &str, mode: AlignmentMode) -> bool {
    match (alignment_domain(domain), alignment_domain(from_domain)) {
        (Some(d), Some(f)) => is_aligned(&d, &f, mode, org_domain_psl),
        _ => false,
    }
}

/// An identifier to set against the From domain, before alignment is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Identifier {
    /// `spf` or `dkim`.
    pub method: &'static str,
    pub domain: String,
    pub result: AuthResult,
    /// Header index (DKIM-Signature) it came from, if any.
    pub header_index: Option<usize>,
}

/// Organizational domains looked up so far, so one domain is walked once per analysis.
#[derive(Default)]
pub struct OrgDomains {
    known: Vec<(String, Option<String>, Vec<QueryKey>, String)>,
}

impl OrgDomains {
    pub fn insert(&mut self, domain: &str, walk: &TreeWalk) {
        if self.known.iter().any(|(d, ..)| d == domain) {
            return;
        }
        let org = walk.organizational_domain();
        let why = org.as_ref().map(|(_, w)| w.clone()).unwrap_or_else(|| {
            format!(
                "temporary DNS error at _dmarc.{}",
                walk.temp_error.as_deref().unwrap_or(domain)
            )
        });
        self.known
            .push((domain.to_string(), org.map(|(o, _)| o), walk.queries(), why));
    }

    /// The tree-walk organizational domain of `domain`, walking the DNS if not yet known.
    pub async fn resolve(
        &mut self,
        dns: &Dns,
        domain: &str,
    ) -> (Option<String>, Vec<QueryKey>, String) {
        if let Some((_, org, q, why)) = self.known.iter().find(|(d, ..)| d == domain) {
            return (org.clone(), q.clone(), why.clone());
        }
        let walk = tree_walk(dns, domain).await;
        self.insert(domain, &walk);
        self.known
            .iter()
            .find(|(d, ..)| d == domain)
            .map(|(_, org, q, why)| (org.clone(), q.clone(), why.clone()))
            .unwrap_or((None, Vec::new(), String::new()))
    }
}

/// One candidate row with both organizational domains and both verdicts, and its step.
pub async fn align_candidate(
    dns: &Dns,
    orgs: &mut OrgDomains,
    ident: &Identifier,
    from_domain: &str,
    from_org_tree_walk: Option<&str>,
    mode: AlignmentMode,
) -> (AlignmentCandidate, Step, bool) {
    let (org_tw, queries, why) = orgs.resolve(dns, &ident.domain).await;
    let org_psl = org_domain_psl(&ident.domain);
    let walk_failed = org_tw.is_none();
    let aligned = ident.domain == from_domain
        || (mode == AlignmentMode::Relaxed
            && matches!((org_tw.as_deref(), from_org_tree_walk), (Some(a), Some(b)) if a == b));
    let aligned_psl = is_aligned(&ident.domain, from_domain, mode, org_domain_psl);
    let mode_word = match mode {
        AlignmentMode::Strict => "strict",
        AlignmentMode::Relaxed => "relaxed",
    };
    let method = ident.method.to_uppercase();
    let what = match ident.method {
        "spf" => "the SPF-authenticated (MAIL FROM) domain".to_string(),
        _ => format!("DKIM d={}", ident.domain),
    };
    let mut explanation = if ident.domain == from_domain {
        format!("{what} is {from_domain}, the From domain itself: aligned in either mode.")
    } else if mode == AlignmentMode::Strict {
        format!(
            "{what} ({}) is not exactly the From domain {from_domain}, and the record asks for \
             strict alignment ({}=s): not aligned.",
            ident.domain,
            if ident.method == "spf" {
                "aspf"
            } else {
                "adkim"
            }
        )
    } else {
        match (org_tw.as_deref(), from_org_tree_walk) {
            (Some(a), Some(b)) if a == b => format!(
                "{what} ({}) and the From domain {from_domain} share the organizational domain \
                 {a} (relaxed alignment): aligned.",
                ident.domain
            ),
            (Some(a), Some(b)) => format!(
                "{what} ({}) has organizational domain {a}, the From domain {from_domain} has \
                 {b}: not aligned.",
                ident.domain
            ),
            _ => format!(
                "The organizational domain of {} could not be found ({why}), so relaxed \
                 alignment cannot be shown.",
                ident.domain
            ),
        }
    };
    let passed = ident.result == AuthResult::Pass;
    if ident.result == AuthResult::TempError {
        explanation.push_str(&format!(
            " But {method} itself returned temperror, so this identifier cannot make DMARC pass{}.",
            if aligned {
                "; being aligned, it leaves DMARC undecided"
            } else {
                ""
            }
        ));
    } else if !passed {
        explanation.push_str(&format!(
            " But {method} itself returned {}, so this identifier cannot make DMARC pass: for \
             DMARC only an identifier that passed counts as aligned.",
            ident.result
        ));
    }
    if aligned != aligned_psl {
        explanation.push_str(&format!(
            " By the Public Suffix List (RFC 7489) it would be {}.",
            if aligned_psl {
                "aligned"
            } else {
                "not aligned"
            }
        ));
    }
    // Match only for what DMARC counts as aligned: the domains match *and* the check passed.
    let counts = matches!(ident.result, AuthResult::Pass | AuthResult::TempError);
    let (outcome, verdict) = if aligned && passed {
        (Outcome::Match, "aligned".to_string())
    } else if aligned {
        (
            Outcome::Warning,
            format!("domains aligned, but {method} {}", ident.result),
        )
    } else if walk_failed && counts {
        (Outcome::Error, "alignment unknown (DNS error)".to_string())
    } else if passed {
        (Outcome::NoMatch, "not aligned".to_string())
    } else {
        (
            Outcome::NoMatch,
            format!("not aligned, and {method} {}", ident.result),
        )
    };
    let mut step = Step::new(
        format!(
            "{method} {} vs From {from_domain} ({mode_word}): {verdict}",
            ident.domain
        ),
        outcome,
        explanation,
    )
    .queries(queries)
    .fact("domain", ident.domain.clone())
    .fact(
        "org_domain_tree_walk",
        org_tw.clone().unwrap_or_else(|| "?".into()),
    )
    .fact(
        "org_domain_psl",
        org_psl.clone().unwrap_or_else(|| "-".into()),
    )
    .fact("result", ident.result.as_str());
    if let Some(h) = ident.header_index {
        step = step.header(h);
    }
    let candidate = AlignmentCandidate {
        domain: ident.domain.clone(),
        org_domain_tree_walk: org_tw,
        org_domain_psl: org_psl,
        aligned,
        aligned_by_psl: aligned_psl,
        result: ident.result,
        header_index: ident.header_index,
    };
    (candidate, step, walk_failed)
}

/// Whether an identifier with this SPF/DKIM result can decide DMARC: a pass can make it pass, a
/// temperror can make it undecidable; any other result is shown but cannot change the verdict.
pub(super) fn counts_for_dmarc(result: AuthResult) -> bool {
    matches!(result, AuthResult::Pass | AuthResult::TempError)
}

pub(super) fn mode_word(mode: AlignmentMode) -> &'static str {
    match mode {
        AlignmentMode::Relaxed => "relaxed",
        AlignmentMode::Strict => "strict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_needs_the_same_name_relaxed_the_same_org() {
        assert!(!aligned_by_psl(
            "mail.example.com",
            "example.com",
            AlignmentMode::Strict
        ));
        assert!(aligned_by_psl(
            "mail.example.com",
            "example.com",
            AlignmentMode::Relaxed
        ));
        assert!(aligned_by_psl(
            "Example.COM",
            "example.com",
            AlignmentMode::Strict
        ));
        assert!(!aligned_by_psl(
            "example.net",
            "example.com",
            AlignmentMode::Relaxed
        ));
        // Two registrants under one public suffix are different organizations.
        assert!(!aligned_by_psl(
            "a.co.uk",
            "b.co.uk",
            AlignmentMode::Relaxed
        ));
    }
}
