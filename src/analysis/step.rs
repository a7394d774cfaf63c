//! A decision step: the unit every check explains itself in.

use serde::{Deserialize, Serialize};

use crate::dns::QueryKey;

/// How one step came out. Checks map these to colours/glyphs; the words stand on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The step succeeded / the property holds.
    Pass,
    /// The step failed in a way that decides a fail verdict.
    Fail,
    /// A term or rule was tried and did not match (SPF mechanism, alignment candidate).
    NoMatch,
    /// A term or rule matched.
    Match,
    /// Something a reader should look at even though it does not decide the verdict.
    Warning,
    /// A DNS or processing error (temperror/permerror material).
    Error,
    /// Plain information (a record fetched, a tag read).
    Info,
    /// Not evaluated (e.g. after a match, or nothing to check).
    Skipped,
}

/// One ordered step of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    pub outcome: Outcome,
    /// Plain-language explanation a non-specialist can follow.
    pub explanation: String,
    /// Indexes into `Analysis::dns`, filled in by `Analysis::finalize` from `queries`.
    #[serde(default)]
    pub evidence: Vec<usize>,
    /// DNS queries this step relied on (name + type); resolved to `evidence` at the end.
    #[serde(default)]
    pub queries: Vec<QueryKey>,
    /// Indexes into `Analysis::headers` of the header lines this step used.
    #[serde(default)]
    pub headers: Vec<usize>,
    /// Extra key/value facts (tag values, counters, domains compared).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    pub value: String,
}

impl Step {
    pub fn new(title: impl Into<String>, outcome: Outcome, explanation: impl Into<String>) -> Self {
        Step {
            title: title.into(),
            outcome,
            explanation: explanation.into(),
            evidence: Vec::new(),
            queries: Vec::new(),
            headers: Vec::new(),
            facts: Vec::new(),
        }
    }

    pub fn query(mut self, key: QueryKey) -> Self {
        if !self.queries.contains(&key) {
            self.queries.push(key);
        }
        self
    }

    pub fn queries(mut self, keys: impl IntoIterator<Item = QueryKey>) -> Self {
        for k in keys {
            self = self.query(k);
        }
        self
    }

    pub fn header(mut self, index: usize) -> Self {
        if !self.headers.contains(&index) {
            self.headers.push(index);
        }
        self
    }

    pub fn fact(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.facts.push(Fact {
            name: name.into(),
            value: value.into(),
        });
        self
    }
}
