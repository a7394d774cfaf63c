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
