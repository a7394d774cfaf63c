//! Helpers for the crate's unit tests.

/// `count` deterministic pseudo-random sequences over `alphabet` (xorshift64 from `seed`), each
/// shorter than `max_len`: input for the "never panics" tests of the parsers.
pub(crate) fn random_sequences<T: Copy>(
    alphabet: &[T],
    mut seed: u64,
    count: usize,
    max_len: u64,
) -> Vec<Vec<T>> {
    (0..count)
        .map(|_| {
            let len = (seed % max_len) as usize;
            (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
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
