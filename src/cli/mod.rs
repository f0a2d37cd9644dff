//! The command-line front end's own modules (the binary's, not the library's): `main.rs`
//! runs the commands, [`args`] declares what each one takes.

pub(crate) mod args;
pub(crate) mod examples;
pub(crate) mod linked;
pub(crate) mod manual;
