//! Helpers for the crate's unit tests.

/// `count` deterministic pseudo-random sequences over `alphabet` (xorshift64 from `seed`), each
/// shorter than `max_len`: input for the "never panics" tests of the parsers.
pub(crate) fn random_sequences<T: Copy>(
    alphabet: &[T],
    mut seed: u64,
    count: usize,
    max_len: u64,
) -> Vec<Vec<T>> {
    // xorshift64; the state advances for every length and every item, so an empty sequence
    // does not freeze it (it did: after the first empty one, every later one was empty too).
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..count)
        .map(|_| {
            let len = (next() % max_len.max(1)) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect()
}

/// [`random_sequences`] of characters, as strings.
pub(crate) fn random_texts(alphabet: &str, seed: u64, count: usize, max_len: u64) -> Vec<String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    random_sequences(&alphabet, seed, count, max_len)
        .into_iter()
        .map(String::from_iter)
        .collect()
}

/// `../shared/REL` for unit tests that read shared material, or None after a notice written
/// straight to the stderr handle (not captured, so a plain `cargo test` shows the skip). Under
/// CI (`CI=true`) an absent folder fails the test.
pub(crate) fn shared_dir(rel: &str) -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{} is absent (required under CI=true)", dir.display());
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPING: {} is absent. ***\n",
        dir.display()
    );
    None
}

/// A DNS backend that holds every answer (but those for the `passing` names) until
/// [`Gate::open`]: what was asked meanwhile shows which questions were in flight together
/// (without timing anything).
pub(crate) struct Gate {
    inner: Box<dyn crate::dns::DnsBackend>,
    passing: Vec<String>,
    asked: std::sync::Mutex<Vec<crate::dns::QueryKey>>,
    open: tokio::sync::watch::Sender<bool>,
}

impl Gate {
    pub(crate) fn new(
        inner: impl crate::dns::DnsBackend + 'static,
        passing: &[&str],
    ) -> std::sync::Arc<Gate> {
        std::sync::Arc::new(Gate {
            inner: Box::new(inner),
            passing: passing.iter().map(|s| s.to_string()).collect(),
            asked: std::sync::Mutex::new(Vec::new()),
            open: tokio::sync::watch::channel(false).0,
        })
    }

    /// The questions asked so far, in order, once the askers have run as far as they can.
    pub(crate) async fn asked_while_closed(&self) -> Vec<crate::dns::QueryKey> {
        for _ in 0..1000 {
            tokio::task::yield_now().await;
        }
        self.asked.lock().unwrap().clone()
    }

    pub(crate) fn open(&self) {
        self.open.send_replace(true);
    }
}

impl crate::dns::DnsBackend for Gate {
    fn source(&self) -> crate::dns::DnsSource {
        self.inner.source()
    }

    fn lookup<'a>(
        &'a self,
        key: &'a crate::dns::QueryKey,
    ) -> crate::dns::BoxFuture<'a, crate::dns::DnsAnswer> {
        Box::pin(async move {
            if self.passing.contains(&key.name) {
                return self.inner.lookup(key).await;
            }
            self.asked.lock().unwrap().push(key.clone());
            let mut open = self.open.subscribe();
            let _ = open.wait_for(|o| *o).await;
            self.inner.lookup(key).await
        })
    }
}

/// A trusted recorded result of `method`=`result` in an Authentication-Results header (index 1)
/// written by `authserv_id`, with nothing compared yet: the fixture the unit tests adjust.
pub(crate) fn recorded_result(
    authserv_id: &str,
    method: &str,
    result: &str,
) -> crate::analysis::RecordedResult {
    crate::analysis::RecordedResult {
        header_index: 1,
        header_name: "Authentication-Results".into(),
        authserv_id: Some(authserv_id.into()),
        recorded_by: None,
        trusted: true,
        method: method.into(),
        result: result.into(),
        reason: None,
        properties: Vec::new(),
        comment: None,
        ours: None,
        agreement: crate::analysis::Agreement::NotCompared,
        note: None,
        signature: None,
        disposition: None,
        also_in_headers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_sequences_vary_in_length_after_an_empty_one() {
        let seqs = super::random_sequences(b"ab", 0x9e37_79b9_7f4a_7c15, 2000, 50);
        let empty = seqs.iter().filter(|s| s.is_empty()).count();
        assert!(empty > 0 && empty < 200, "{empty} empty of 2000");
        let mean = seqs.iter().map(Vec::len).sum::<usize>() / seqs.len();
        assert!((15..35).contains(&mean), "mean length {mean}");
    }
}
