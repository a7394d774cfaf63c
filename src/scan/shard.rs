//! `--shard I/N`: which messages of a run this process analyses, so that N processes given the
//! same inputs (a Kubernetes indexed Job, a Slurm array, GNU parallel across hosts) split an
//! archive between them with no coordinator. A message belongs to exactly one shard, chosen by a
//! stable hash of its source path and its index in that file: the same on every machine, in
//! every run and every version of Rust (FNV-1a, not the std hasher, which is seeded per process).

/// Shard `index` of `count`, 0-based: `0/2` and `1/2` together are the whole input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole input (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with `0 <= I < N` (0-based, as `$JOB_COMPLETION_INDEX` and
    /// `$SLURM_ARRAY_TASK_ID` with `--array=0-…` are).
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 0 <= I < N, e.g. 0/4 (0-based)");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the message `index` (from 1; 0 for a file that could not be read or split) of
    /// `source` is this shard's.
    pub fn owns(&self, source: &str, index: usize) -> bool {
        self.count == 1 || key(source, index) % self.count == self.index
    }
}

/// FNV-1a (64-bit) over the source path's bytes, a NUL, and the index as 8 little-endian bytes.
fn key(source: &str, index: usize) -> u64 {
    let index = (index as u64).to_le_bytes();
    fnv1a(source.as_bytes().iter().chain(&[0u8]).chain(&index))
}

fn fnv1a<'a>(bytes: impl Iterator<Item = &'a u8>) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_zero_based_and_bounded() {
        assert_eq!(Shard::parse("0/2"), Ok(Shard { index: 0, count: 2 }));
        assert_eq!(Shard::parse(" 3/4 "), Ok(Shard { index: 3, count: 4 }));
        for bad in ["2/2", "1/0", "0", "a/2", "-1/2", "1/2/3", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_message_belongs_to_exactly_one_shard() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        let mut per_shard = [0usize; 3];
        for file in 0..50 {
            for index in 0..20 {
                let source = format!("archive/{file}.mbox");
                let owners: Vec<usize> =
                    (0..3).filter(|&s| shards[s].owns(&source, index)).collect();
                assert_eq!(owners.len(), 1, "{source}#{index}");
                per_shard[owners[0]] += 1;
            }
        }
        // A hash, not a round robin, but not lopsided either.
        assert!(per_shard.iter().all(|&n| n > 250), "{per_shard:?}");
    }

    #[test]
    fn the_hash_is_stable_across_runs_and_machines() {
        // FNV-1a of fixed bytes: a change here would reshuffle every running job array.
        assert_eq!(fnv1a(b"".iter()), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a".iter()), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar".iter()), 0x8594_4171_f739_67e8);
    }
}
