//! Integration tests of the automation crate.

mod croner;
mod protocol;
