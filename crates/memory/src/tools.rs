//! The tools `memory_search` and `memory_get`, with upstream's names, parameters and result
//! shapes, over the agent's index.

use std::sync::Arc;

use rustyclaw_config::file::MemoryCitations;
use rustyclaw_tools::{Tool, ToolContext, ToolError, ToolOutput};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::MemoryService;
use crate::files;
use crate::read::excerpt;
use crate::search::{SearchRequest, search};

/// `memory_search`.
#[derive(Debug, Clone)]
pub struct MemorySearchTool {
    service: Arc<MemoryService>,
}

/// `memory_get`.
#[derive(Debug, Clone)]
pub struct MemoryGetTool {
    service: Arc<MemoryService>,
}

impl MemorySearchTool {
    /// The tool over `service`.
    pub fn new(service: Arc<MemoryService>) -> Self {
        Self { service }
    }
}

impl MemoryGetTool {
    /// The tool over `service`.
    pub fn new(service: Arc<MemoryService>) -> Self {
        Self { service }
    }
}

/// `memory_search` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchArgs {
    query: String,
    #[serde(default)]
    max_results: Option<u32>,
    #[serde(default)]
    min_score: Option<f64>,
    #[serde(default)]
    corpus: Option<String>,
}

/// `memory_get` arguments.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetArgs {
    path: String,
    #[serde(default)]
    from: Option<u32>,
    #[serde(default)]
    lines: Option<u32>,
    #[serde(default)]
    corpus: Option<String>,
}

fn json_output(value: &Value) -> ToolOutput {
    ToolOutput::text(serde_json::to_string_pretty(value).unwrap_or_default())
        .with_details(value.clone())
}

/// Whether citations go with results in this session (`auto`: direct chats only).
fn cite(mode: MemoryCitations, session_key: &str) -> bool {
    match mode {
        MemoryCitations::On => true,
        MemoryCitations::Off => false,
        MemoryCitations::Auto => {
            let rest = session_key
                .splitn(3, ':')
                .nth(2)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let parts: Vec<&str> = rest.split(':').collect();
            !parts.contains(&"group") && !parts.contains(&"channel")
        }
    }
}

impl Tool for MemorySearchTool {
    type Args = SearchArgs;

    fn name(&self) -> &'static str {
        "memory_search"
    }

    fn description(&self) -> String {
        "Mandatory recall step: search MEMORY.md, USER.md, the Markdown files under memory/ and configured extra paths (by meaning when an embedding provider is configured, else by words) before answering questions about prior work, decisions, dates, people, preferences, or todos. Results carry the file, line range, score and snippet; use memory_get to read more of a file. If the response has a warning or stale=true, tell the user.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "maxResults": {"type": "integer", "minimum": 1},
                "minScore": {"type": "number"},
                "corpus": {"type": "string", "enum": ["memory", "wiki", "all", "sessions"]}
            },
            "required": ["query"],
            "additionalProperties": false
        })
    }

    async fn call(&self, args: SearchArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        let query = args.query.trim();
        if query.is_empty() {
            return Err(ToolError::failed("query must be a non-empty string"));
        }
        match args.corpus.as_deref() {
            None | Some("memory" | "all") => {}
            Some("sessions") => {
                return Ok(json_output(&json!({
                    "results": [], "disabled": true, "unavailable": true,
                    "error": "Session transcript search is not enabled.",
                    "warning": "Session transcript search is not enabled.",
                    "action": "Search memory files instead (corpus=memory)."
                })));
            }
            Some("wiki") => {
                return Ok(json_output(&json!({
                    "results": [], "disabled": true, "unavailable": true,
                    "error": "No compiled wiki is registered.",
                    "warning": "No compiled wiki is registered.",
                    "action": "Search memory files instead (corpus=memory)."
                })));
            }
            Some(other) => {
                return Err(ToolError::failed(format!(
                    "unknown corpus {other:?}: use memory or all"
                )));
            }
        }
        let memory = match self.service.agent(cx.agent_id.as_str()).await {
            Ok(Some(memory)) => memory,
            Ok(None) => {
                return Err(ToolError::failed(
                    "Memory is disabled for this agent. Enable memory search for this agent, then retry.",
                ));
            }
            Err(error) => return Ok(json_output(&unavailable(&error.to_string()))),
        };
        if let Err(error) = memory.sync(false).await {
            return Ok(json_output(&unavailable(&error.to_string())));
        }
        let request = SearchRequest {
            query,
            max_results: args
                .max_results
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .unwrap_or(memory.settings.max_results),
            min_score: args.min_score.unwrap_or(memory.settings.min_score),
            now_ms: rustyclaw_support::now_ms_i64(),
        };
        let outcome = match search(&memory, request).await {
            Ok(outcome) => outcome,
            Err(error) => return Ok(json_output(&unavailable(&error.to_string()))),
        };
        let with_citations = cite(memory.settings.citations, cx.session_key.as_str());
        let results: Vec<Value> = outcome
            .hits
            .iter()
            .map(|hit| {
                let lines = if hit.start_line == hit.end_line {
                    format!("#L{}", hit.start_line)
                } else {
                    format!("#L{}-L{}", hit.start_line, hit.end_line)
                };
                let citation = format!("{}{lines}", hit.path);
                let mut value = json!({
                    "path": hit.path,
                    "startLine": hit.start_line,
                    "endLine": hit.end_line,
                    "score": hit.score,
                    "snippet": hit.snippet,
                    "source": hit.source,
                    "corpus": hit.source,
                });
                if with_citations {
                    value["citation"] = json!(citation);
                    value["snippet"] =
                        json!(format!("{}\n\nSource: {citation}", hit.snippet.trim_end()));
                }
                value
            })
            .collect();
        let mut out = json!({
            "results": results,
            "provider": outcome.provider,
            "model": outcome.model,
            "citations": match memory.settings.citations {
                MemoryCitations::Auto => "auto",
                MemoryCitations::On => "on",
                MemoryCitations::Off => "off",
            },
            "mode": outcome.mode.as_str(),
        });
        if outcome.stale {
            out["stale"] = json!(true);
        }
        if let Some(warning) = outcome.warning {
            out["warning"] = json!(warning);
        }
        if let Value::Object(map) = &mut out {
            map.retain(|_, v| !v.is_null());
        }
        // Notes may quote what the agent read elsewhere: they are outside content to the guards.
        Ok(
            json_output(&out).untrusted(rustyclaw_tools::ExternalSource::File {
                path: memory.workspace.join("memory"),
            }),
        )
    }
}

fn unavailable(error: &str) -> Value {
    json!({
        "results": [],
        "disabled": true,
        "unavailable": true,
        "error": error,
        "warning": "Memory search is unavailable.",
        "action": "Check `rustyclaw memory status` and retry memory_search.",
    })
}

impl Tool for MemoryGetTool {
    type Args = GetArgs;

    fn name(&self) -> &'static str {
        "memory_get"
    }

    fn description(&self) -> String {
        "Safe exact excerpt read from MEMORY.md, USER.md, the Markdown files under memory/ and configured extra paths. Defaults to a bounded excerpt when lines are omitted and includes truncation/continuation info when more content exists. status=ok means the excerpt was read; status=not_found means the file does not exist; status=error means the read failed, not that memory is disabled.".to_owned()
    }

    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "from": {"type": "integer", "minimum": 1},
                "lines": {"type": "integer", "minimum": 1},
                "corpus": {"type": "string", "enum": ["memory", "wiki", "all"]}
            },
            "required": ["path"],
            "additionalProperties": false
        })
    }

    async fn call(&self, args: GetArgs, cx: &ToolContext) -> Result<ToolOutput, ToolError> {
        if args.corpus.as_deref() == Some("wiki") {
            return Ok(json_output(
                &json!({"status": "not_found", "path": args.path, "text": ""}),
            ));
        }
        let Some((workspace, extra)) = self.service.roots(cx.agent_id.as_str()) else {
            return Err(ToolError::failed(
                "Memory is disabled for this agent. Enable memory search for this agent, then retry.",
            ));
        };
        let file = match files::resolve_for_read(&args.path, &workspace, &extra) {
            Ok(file) => file,
            Err(message) => {
                return Ok(json_output(&json!({
                    "path": args.path.trim(), "text": "", "status": "error",
                    "code": "MEMORY_PATH_NOT_ALLOWED", "error": message
                })));
            }
        };
        let abs = file.abs.clone();
        let read = tokio::task::spawn_blocking(move || {
            rustyclaw_config::regular_file::read_text(
                &abs,
                rustyclaw_config::regular_file::ReadLimits {
                    max_bytes: 8 * 1024 * 1024,
                    follow_symlinks: false,
                },
            )
        })
        .await
        .map_err(|e| ToolError::failed(format!("memory_get failed: {e}")))?;
        let value = match read {
            Ok(content) => excerpt(
                &file.rel,
                &content,
                args.from.and_then(|n| usize::try_from(n).ok()),
                args.lines.and_then(|n| usize::try_from(n).ok()),
            ),
            Err(rustyclaw_config::regular_file::ReadFileError::Io(e))
                if e.kind() == std::io::ErrorKind::NotFound =>
            {
                json!({"status": "not_found", "text": "", "path": file.rel})
            }
            Err(e) => {
                json!({"path": file.rel, "text": "", "status": "error", "code": "MEMORY_READ_FAILED", "error": e.to_string()})
            }
        };
        Ok(json_output(&value).untrusted(rustyclaw_tools::ExternalSource::File { path: file.abs }))
    }
}
