//! One DNS cache for a whole scan: a backend in front of the live one that every message's
//! `Dns` handle shares. A question asked by many messages at once is put to the resolver once
//! (the others wait for that answer); an answer is kept for its TTL and served with the TTL
//! left, as a caching resolver does; failures (timeout, SERVFAIL) are never kept, so the next
//! message asks again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::dns::{BoxFuture, DnsAnswer, DnsBackend, DnsOutcome, DnsSource, QueryKey};

/// How long NXDOMAIN and NODATA are kept when the answer carried no TTL (RFC 2308's SOA minimum
/// was not given to us): long enough to spare a mailbox of one spammer's messages, short
/// against a run of hours.
const NEGATIVE_TTL: Duration = Duration::from_secs(60);

/// The clock, a parameter so the TTL logic can be tested without sleeping.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// A shared, coalescing, TTL-honouring cache in front of `inner`.
pub struct CachingBackend {
    inner: Arc<dyn DnsBackend>,
    slots: Mutex<HashMap<QueryKey, Arc<Slot>>>,
    clock: Clock,
}

/// One question: filled once by whoever asks first; everyone asking meanwhile waits on it.
#[derive(Default)]
struct Slot {
    answer: OnceCell<(DnsAnswer, Instant)>,
}

impl CachingBackend {
    pub fn new(inner: Arc<dyn DnsBackend>) -> Self {
        Self::with_clock(inner, Arc::new(Instant::now))
    }

    pub fn with_clock(inner: Arc<dyn DnsBackend>, clock: Clock) -> Self {
        CachingBackend {
            inner,
            slots: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// The slot to wait on: the current one, or a fresh one when the kept answer has expired.
    fn slot(&self, key: &QueryKey) -> Arc<Slot> {
        let now = (self.clock)();
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.entry(key.clone()).or_default();
        if let Some((answer, at)) = slot.answer.get()
            && !fresh(answer, *at, now)
        {
            *slot = Arc::default();
        }
        slot.clone()
    }

    /// Drops `slot` if it is still the one kept for `key` (an answer not to keep).
    fn forget(&self, key: &QueryKey, slot: &Arc<Slot>) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if slots.get(key).is_some_and(|s| Arc::ptr_eq(s, slot)) {
            slots.remove(key);
        }
    }

    async fn ask(&self, key: &QueryKey) -> DnsAnswer {
        let slot = self.slot(key);
        let (answer, at) = slot
            .answer
            .get_or_init(|| async { (self.inner.lookup(key).await, (self.clock)()) })
            .await
            .clone();
        let now = (self.clock)();
        if !fresh(&answer, at, now) {
            self.forget(key, &slot);
        }
        with_ttl_left(answer, now.saturating_duration_since(at))
    }
}

/// How long an answer may be kept.
fn keep_for(answer: &DnsAnswer) -> Duration {
    match (answer.outcome, answer.ttl) {
        (DnsOutcome::Answers | DnsOutcome::NxDomain | DnsOutcome::NoData, Some(ttl)) => {
            Duration::from_secs(u64::from(ttl))
        }
        (DnsOutcome::NxDomain | DnsOutcome::NoData, None) => NEGATIVE_TTL,
        _ => Duration::ZERO,
    }
}

/// Whether an answer received at `at` may still be served at `now` (a TTL of 0 is served only
/// to those who waited for it).
fn fresh(answer: &DnsAnswer, at: Instant, now: Instant) -> bool {
    now.saturating_duration_since(at) < keep_for(answer)
}

/// The answer with its TTL counted down by its age, as a caching resolver serves it.
fn with_ttl_left(mut answer: DnsAnswer, age: Duration) -> DnsAnswer {
    if let Some(ttl) = answer.ttl {
        let age = u32::try_from(age.as_secs()).unwrap_or(u32::MAX);
        answer.ttl = Some(ttl.saturating_sub(age));
    }
    answer
}

impl DnsBackend for CachingBackend {
    fn source(&self) -> DnsSource {
        self.inner.source()
    }

    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        Box::pin(self.ask(key))
    }

    fn timeout(&self) -> Option<Duration> {
        self.inner.timeout()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{Record, RecordType};
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Answers after a short wait, counting the questions that reach it.
    struct Counting {
        asked: AtomicU32,
        answer: DnsAnswer,
    }

    impl DnsBackend for Counting {
        fn source(&self) -> DnsSource {
            DnsSource::Live
        }
        fn lookup<'a>(&'a self, _key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                self.answer.clone()
            })
        }
    }

    fn setup(answer: DnsAnswer) -> (Arc<Counting>, CachingBackend, Arc<Mutex<Instant>>) {
        let inner = Arc::new(Counting {
            asked: AtomicU32::new(0),
            answer,
        });
        let now = Arc::new(Mutex::new(Instant::now()));
        let clock_now = now.clone();
        let clock: Clock = Arc::new(move || *clock_now.lock().unwrap());
        (inner.clone(), CachingBackend::with_clock(inner, clock), now)
    }

    fn a_record(ttl: u32) -> DnsAnswer {
        let address = std::net::Ipv4Addr::new(192, 0, 2, 1);
        DnsAnswer::records(vec![Record::A { address }], Some(ttl))
    }

    fn key() -> QueryKey {
        QueryKey::new("mx.example.com", RecordType::A)
    }

    #[tokio::test]
    async fn identical_questions_in_flight_reach_the_resolver_once() {
        let (inner, cache, _) = setup(a_record(300));
        let k = key();
        let answers = futures_join(cache, &k, 8).await;
        assert_eq!(inner.asked.load(Ordering::SeqCst), 1);
        assert!(answers.iter().all(|a| a.records.len() == 1));
    }

    #[tokio::test]
    async fn an_answer_is_kept_for_its_ttl_and_served_with_the_ttl_left() {
        let (inner, cache, now) = setup(a_record(300));
        let k = key();
        cache.lookup(&k).await;
        *now.lock().unwrap() += Duration::from_secs(100);
        assert_eq!(cache.lookup(&k).await.ttl, Some(200));
        assert_eq!(inner.asked.load(Ordering::SeqCst), 1);
        *now.lock().unwrap() += Duration::from_secs(200);
        assert_eq!(cache.lookup(&k).await.ttl, Some(300));
        assert_eq!(
            inner.asked.load(Ordering::SeqCst),
            2,
            "expired: asked again"
        );
    }

    #[tokio::test]
    async fn failures_are_never_kept() {
        let timeout = DnsAnswer::outcome(DnsOutcome::Timeout, Some("no answer".into()));
        let (inner, cache, _) = setup(timeout);
        let k = key();
        cache.lookup(&k).await;
        cache.lookup(&k).await;
        assert_eq!(inner.asked.load(Ordering::SeqCst), 2);
    }

    /// `n` lookups of `k` at once, each on its own task.
    async fn futures_join(cache: CachingBackend, k: &QueryKey, n: usize) -> Vec<DnsAnswer> {
        let cache = Arc::new(cache);
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (cache, k) = (cache.clone(), k.clone());
            set.spawn(async move { cache.lookup(&k).await });
        }
        set.join_all().await
    }
}
