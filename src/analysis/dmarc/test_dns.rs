//! An in-memory DNS for unit tests (names absent = NXDOMAIN).

use std::collections::HashMap;
use std::sync::Arc;

use crate::dns::{
    BoxFuture, Dns, DnsAnswer, DnsBackend, DnsOutcome, DnsSource, QueryKey, Record, RecordType,
};

#[derive(Default, Clone)]
pub struct MemDns {
    answers: HashMap<(String, RecordType), DnsAnswer>,
    names: Vec<String>,
}

impl MemDns {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn txt(mut self, name: &str, text: &str) -> Self {
        let key = (name.to_ascii_lowercase(), RecordType::TXT);
        let entry = self
            .answers
            .entry(key)
            .or_insert_with(|| DnsAnswer::records(Vec::new(), Some(300)));
        entry.records.push(Record::Txt {
            strings: vec![text.to_string()],
        });
        entry.outcome = DnsOutcome::Answers;
        self.names.push(name.to_ascii_lowercase());
        self
    }

    pub fn a(mut self, name: &str) -> Self {
        self.answers.insert(
            (name.to_ascii_lowercase(), RecordType::A),
            DnsAnswer::records(
                vec![Record::A {
                    address: [192, 0, 2, 1].into(),
                }],
                Some(300),
            ),
        );
        self.names.push(name.to_ascii_lowercase());
        self
    }

    pub fn timeout(mut self, name: &str) -> Self {
        for t in [
            RecordType::TXT,
            RecordType::A,
            RecordType::AAAA,
            RecordType::MX,
        ] {
            self.answers.insert(
                (name.to_ascii_lowercase(), t),
                DnsAnswer::outcome(DnsOutcome::Timeout, Some("timed out".into())),
            );
        }
        self
    }

    pub fn dns(self) -> Dns {
        Dns::new(Arc::new(self))
    }
}

impl DnsBackend for MemDns {
    fn source(&self) -> DnsSource {
        DnsSource::Snapshot
    }

    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        Box::pin(async move {
            if let Some(a) = self.answers.get(&(key.name.clone(), key.rtype)) {
                return a.clone();
            }
            if self.names.contains(&key.name) {
                DnsAnswer::records(Vec::new(), Some(300))
            } else {
                DnsAnswer::outcome(DnsOutcome::NxDomain, None)
            }
        })
    }
}
