//! What the benchmarks share.

use std::time::Duration;

use mailsleuth::dns::snapshot::SnapshotBackend;
use mailsleuth::dns::{BoxFuture, DnsAnswer, DnsBackend, DnsSource, QueryKey};

/// Snapshot answers, each held back by a fixed latency, like a remote resolver.
pub struct Delayed {
    pub inner: SnapshotBackend,
    pub latency: Duration,
}

impl DnsBackend for Delayed {
    fn source(&self) -> DnsSource {
        DnsSource::Snapshot
    }
    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        Box::pin(async move {
            tokio::time::sleep(self.latency).await;
            self.inner.lookup(key).await
        })
    }
}
