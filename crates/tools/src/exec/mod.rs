//! The command tools: `exec` starts shell commands through the sandbox, `process` follows and
//! controls the ones left running in the background.

mod exec_tool;
mod host;
mod output;
mod process;
mod table;

pub use exec_tool::{AskArg, ExecArgs, ExecTool, HostArg, SecurityArg};
pub use process::{ProcessAction, ProcessArgs, ProcessTool};
pub use table::{MAX_FINISHED, ProcessTable, RunInfo};
