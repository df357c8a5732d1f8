//! Helpers shared by the suites; each file says what it holds.

pub mod corpus;
pub mod keyring;
pub mod piped;
pub mod procs;
pub mod secrets;
pub mod strategies;
pub mod tty;
