//! Helpers shared by the integration tests.
// Each test crate uses its own subset of these.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

/// The crate root, where `schemas/` and `tests/data/` live.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `fairsynth` binary, run from the crate root.
pub fn fairsynth() -> Command {
    let mut c = Command::cargo_bin("fairsynth").expect("binary builds");
    c.current_dir(root());
    c
}
