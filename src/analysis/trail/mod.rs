//! The trail a message carries: its header split, the Received hops, the trust boundary (where
//! the receiving organisation accepted it from outside) and the results recorded on the way.
//!
//! Only this folder reads the trace headers; the checks read the envelope it reconstructs.

pub mod authres;
pub mod boundary;
pub mod headers;
pub mod hosts;
pub mod operators;
pub mod received;
pub mod recorded;
pub mod walk;
