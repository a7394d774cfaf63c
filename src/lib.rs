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

/// The allocator the `mailsleuth` binary runs with (mimalloc): the benches declare it too, so
/// they measure what the binary does. The library itself leaves the choice to whoever links it.
pub use mimalloc::MiMalloc as ToolAllocator;

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h` (enum `mi_option_e`, the same in its v2
/// and v3), which the Rust bindings do not name.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// How long freed memory stays with the process before mimalloc gives it back to the system.
pub const PURGE_DELAY_MS: i64 = 1000;

/// Settings for [`ToolAllocator`], made once at the start of `main` (the binary's and the
/// benches'). mimalloc gives freed pages back to the system 10 ms after they are freed; an
/// analysis frees most of what it made when it ends and the next one asks for as much again, so
/// in a scan the kernel was zeroing those pages again for every message (28% of the cycles).
/// Freed memory is now kept for a second of quiet before it goes back.
pub fn tune_allocator() {
    // SAFETY: sets one integer option in mimalloc's global table; any value is valid for it and
    // mimalloc reads it at each purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS as _) }
}

/// The purge delay mimalloc is using now, in milliseconds.
#[allow(clippy::useless_conversion)] // c_long is 32 bits on some targets
pub fn allocator_purge_delay_ms() -> i64 {
    // SAFETY: reads one integer option from mimalloc's global table.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) })
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod test_support;

#[cfg(test)]
mod allocator_tests {
    #[test]
    fn the_purge_delay_is_the_option_it_names() {
        // mimalloc's default for purge_delay is 10 ms: the option index reads it back, and the
        // setting takes.
        let before = super::allocator_purge_delay_ms();
        assert!(before == 10 || before == super::PURGE_DELAY_MS, "{before}");
        super::tune_allocator();
        assert_eq!(super::allocator_purge_delay_ms(), super::PURGE_DELAY_MS);
    }
}
