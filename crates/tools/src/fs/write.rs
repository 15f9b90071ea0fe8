//! `write`: create or replace a file, creating parent directories, atomically.

use serde::Deserialize;
use serde_json::{Value, json};

use super::atomic::{blocking, create_dirs, remove_dirs, write_atomic};
use super::paths::{self, FinalLink};
use crate::context::ToolContext;
use crate::tool::{Tool, ToolError, ToolOutput};

/// The `write` tool.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteTool;

/// Arguments of `write`.
#[derive(Debug, Deserialize)]
pub struct WriteArgs {
    /// File path, relative to the workspace or absolute inside it.
    pub path: String,
    /// The complete new content.
    pub content: String,
}

impl Tool for WriteTool {
    type Args = WriteArgs;

    fn name(&self) -> &'static str {
        "write"
    }

    fn description(&self) -> String {
        "Write content to a file. Creates the file if it doesn't exist, overwrites if it does. Automatically creates parent directories.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": { "type": "string", "description": "Path to the file to write (relative or absolute)" },
                "content": { "type": "string", "description": "Content to write to the file" }
            },
            "required": ["path", "content"]
        })
    }

    async fn call(&self, args: WriteArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if cx.cancel.is_cancelled() {
            return Err(ToolError::Cancelled);
        }
        cx.sandbox.check_writable("write")?;
        let target = paths::resolve(&cx.workspace, &args.path, FinalLink::Follow)
            .map_err(|e| ToolError::failed(e.to_string()))?;
        let given = args.path.trim().to_owned();
        let bytes = args.content.len();
        blocking("write", move || {
            if target.is_dir() {
                return Err(ToolError::failed(format!(
                    "{given} is a directory; give a file path"
                )));
            }
            let parent = target.parent().unwrap_or(&target).to_path_buf();
            let created = create_dirs(&parent).map_err(|e| {
                ToolError::failed(format!("Cannot create the directories of {given}: {e}"))
            })?;
            write_atomic(&target, args.content.as_bytes()).map_err(|e| {
                remove_dirs(&created);
                ToolError::failed(format!("Cannot write {given}: {e}"))
            })?;
            Ok(ToolOutput::text(format!(
                "Successfully wrote {bytes} bytes to {given}"
            )))
        })
        .await?
    }
}
