//! The file tools: `read`, `write`, `edit`, `apply_patch`, all confined to the workspace.

mod apply_patch;
mod atomic;
mod edit;
mod patch;
pub(crate) mod paths;
mod read;
mod write;

pub use apply_patch::{ApplyPatchArgs, ApplyPatchTool};
pub use edit::{EditArgs, EditTool};
pub use paths::PathError;
pub use read::{ReadArgs, ReadTool};
pub use write::{WriteArgs, WriteTool};
