//! Snapshot replay and the snapshot file format. (Being written.)
