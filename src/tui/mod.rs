//! The interactive terminal UI. (Being written.)
