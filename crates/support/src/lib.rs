//! The helpers several rustyclaw crates need and none of them owns: replacing a file atomically,
//! holding an exclusive lock file, reading the wall clock in milliseconds, and recognising an
//! image from its first bytes.
//!
//! Each used to be written again in every crate that needed it, and the copies drifted apart:
//! one used a fixed temporary name that two writers could clobber, one did not fsync the
//! directory, one left a file with whatever mode the umask gave it. Here each exists once, and
//! what differs between callers is a policy they state at the call site ([`WritePolicy`]: the
//! file's mode, whether a missing directory is created and with which mode), never a private
//! variant of the code.
//!
//! The crate is a leaf: std, `rustix` and `getrandom` only, no other rustyclaw crate, no async
//! runtime, so the protocol-adjacent crates (`sandbox`, `config`, `store`) can depend on it
//! without pulling in anything they would not otherwise build.

mod atomic;
mod clock;
mod image;
mod lock;

pub use atomic::{FileMode, ParentDir, StagedFile, WritePolicy, stage, write_atomic};
pub use clock::{now_ms, now_ms_i64};
pub use image::sniff_image_mime;
pub use lock::FileLock;
