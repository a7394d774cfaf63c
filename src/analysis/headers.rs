//! Header split: trace/envelope headers vs message headers. (Being written.)
