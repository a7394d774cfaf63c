//! mailsleuth — email header forensics.
//!
//! The analysis core (`analysis`, `dns`) has no terminal code: it turns raw message bytes into
//! one [`analysis::Analysis`] value. The reports (`report`) and the TUI (`tui`) only read it.

pub mod analysis;
pub mod config;
pub mod dns;
pub mod input;
pub mod output;
pub mod report;
pub mod scan;
pub mod tui;

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod test_support;
