//! The sets and the chain they form, and whether it is well-formed (RFC 8617 §5.2 steps 1–3).

use std::collections::BTreeMap;

use super::{ArcHeader, ChainValidation, Kind, Parsed, Seal, SignatureOutcome};
use crate::analysis::dkim::{SignatureCore, display_value, tag};
use crate::analysis::model::{ArcSet, AuthResult};

#[derive(Default)]
pub(super) struct SetHeaders<'h> {
    pub(super) seals: Vec<&'h ArcHeader>,
    pub(super) ams: Vec<&'h ArcHeader>,
    pub(super) aars: Vec<&'h ArcHeader>,
}

impl SetHeaders<'_> {
    /// The instance's one AMS, when it could be read: its header index and its tags.
    pub(super) fn ams_core(&self) -> Option<(usize, &SignatureCore)> {
        match self.ams.as_slice() {
            [h] => match &h.parsed {
                Ok(Parsed::Ams(core)) => Some((h.header_index, core)),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn seal(&self) -> Option<&Seal> {
        match self.seals.as_slice() {
            [h] => match &h.parsed {
                Ok(Parsed::Seal(s)) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    pub(super) fn header_indexes(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .aars
            .iter()
            .chain(&self.ams)
            .chain(&self.seals)
            .map(|h| h.header_index)
            .collect();
        all.sort_unstable();
        all
    }

    pub(super) fn describe(
        &self,
        instance: u32,
        ams: Option<&SignatureOutcome>,
        seal: Option<&SignatureOutcome>,
    ) -> ArcSet {
        let ams_header = self.ams.first();
        let seal_header = self.seals.first();
        let aar = self.aars.first().and_then(|h| match &h.parsed {
            Ok(Parsed::Aar(a)) => Some(a),
            _ => None,
        });
        let lenient = |h: Option<&&ArcHeader>, name: &str| {
            h.and_then(|h| tag(&h.tags, name))
                .map(|v| display_value(name, v))
        };
        let malformed = |h: Option<&&ArcHeader>| match h {
            None => Some("missing".to_string()),
            Some(h) => h.parsed.as_ref().err().map(|e| format!("malformed: {e}")),
        };
        ArcSet {
            instance,
            cv: self
                .seal()
                .map(|s| s.cv.word().to_string())
                .or_else(|| lenient(seal_header, "cv")),
            seal_domain: lenient(seal_header, "d"),
            seal_selector: lenient(seal_header, "s"),
            ams_domain: lenient(ams_header, "d"),
            ams_selector: lenient(ams_header, "s"),
            ams_result: ams.map_or(
                if malformed(ams_header).is_some() {
                    AuthResult::PermError
                } else {
                    AuthResult::None
                },
                |a| a.result,
            ),
            seal_result: seal.map_or(
                if malformed(seal_header).is_some() {
                    AuthResult::PermError
                } else {
                    AuthResult::None
                },
                |s| s.result,
            ),
            aar: aar.map(|a| a.text.clone()).or_else(|| {
                self.aars.first().and_then(|h| {
                    h.parsed
                        .as_ref()
                        .err()
                        .map(|e| format!("(unreadable: {e})"))
                })
            }),
            headers: self.header_indexes(),
            authserv_id: aar.and_then(|a| a.authserv_id.clone()),
            ams_reason: ams
                .and_then(|a| a.reason.clone())
                .or_else(|| malformed(ams_header)),
            seal_reason: seal
                .and_then(|s| s.reason.clone())
                .or_else(|| malformed(seal_header)),
            ams_body_hash_matches: ams.and_then(|a| a.body_hash_matches),
        }
    }
}

pub(super) struct Chain<'h> {
    /// Headers without a readable instance.
    pub(super) orphans: Vec<&'h ArcHeader>,
    pub(super) sets: BTreeMap<u32, SetHeaders<'h>>,
}

impl<'h> Chain<'h> {
    pub(super) fn group(headers: &'h [ArcHeader]) -> Chain<'h> {
        let mut chain = Chain {
            orphans: Vec::new(),
            sets: BTreeMap::new(),
        };
        for h in headers {
            let Some(i) = h.instance else {
                chain.orphans.push(h);
                continue;
            };
            let set = chain.sets.entry(i).or_default();
            match h.kind {
                Kind::Seal => set.seals.push(h),
                Kind::Ams => set.ams.push(h),
                Kind::Aar => set.aars.push(h),
            }
        }
        chain
    }

    pub(super) fn newest(&self) -> u32 {
        self.sets.keys().next_back().copied().unwrap_or(0)
    }

    /// The first reason the chain is not well-formed (RFC 8617 §5.2 steps 1–3), with the instance
    /// at fault when there is one.
    pub(super) fn structure_problem(&self) -> Option<(Option<u32>, String)> {
        if let Some(h) = self.orphans.first() {
            let why = h
                .parsed
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| "no readable i=".into());
            return Some((
                None,
                format!(
                    "{} (header #{}) has no usable instance: {why}",
                    h.kind.name(),
                    h.header_index
                ),
            ));
        }
        let newest = self.newest();
        for i in 1..=newest {
            let Some(set) = self.sets.get(&i) else {
                return Some((
                    Some(i),
                    format!("instance {i} is missing: the chain has a gap"),
                ));
            };
            for (kind, list) in [
                (Kind::Aar, &set.aars),
                (Kind::Ams, &set.ams),
                (Kind::Seal, &set.seals),
            ] {
                match list.as_slice() {
                    [] => {
                        return Some((Some(i), format!("instance {i} has no {}", kind.name())));
                    }
                    [h] => {
                        if let Err(e) = &h.parsed {
                            return Some((
                                Some(i),
                                format!(
                                    "the {} of instance {i} (header #{}) is malformed: {e}",
                                    kind.name(),
                                    h.header_index
                                ),
                            ));
                        }
                    }
                    _ => {
                        return Some((
                            Some(i),
                            format!("instance {i} has {} {} headers", list.len(), kind.name()),
                        ));
                    }
                }
            }
        }
        if let Some(seal) = self.sets.get(&newest).and_then(|s| s.seal())
            && seal.cv == ChainValidation::Fail
        {
            return Some((
                Some(newest),
                format!(
                    "the newest seal (i={newest}) says cv=fail: that forwarder already found \
                     the chain broken"
                ),
            ));
        }
        for (&i, set) in &self.sets {
            if let Some(seal) = set.seal() {
                let expected = if i == 1 {
                    ChainValidation::None
                } else {
                    ChainValidation::Pass
                };
                if seal.cv != expected {
                    return Some((
                        Some(i),
                        format!(
                            "the seal of instance {i} says cv={}, where {} is required",
                            seal.cv.word(),
                            expected.word()
                        ),
                    ));
                }
            }
        }
        None
    }
}
