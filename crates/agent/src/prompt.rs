//! System prompt assembly (OpenClaw's sections, our wording).
//!
//! The prompt is rebuilt for every model call from explicit inputs, so it is a pure function
//! and snapshot-tested. The date line carries the day only (no clock time), which keeps the
//! prompt byte-stable within a day for provider prompt caches; the model asks
//! `session_status` for the exact time.

use std::path::Path;

use rustyclaw_config::regular_file::{ReadFileError, ReadLimits};

/// Workspace files injected as Project Context, in order (name, always expected). The first five are always
/// expected (a missing one gets a marker); the rest are injected only when present.
pub const BOOTSTRAP_FILES: [(&str, bool); 8] = [
    ("AGENTS.md", true),
    ("SOUL.md", true),
    ("TOOLS.md", true),
    ("IDENTITY.md", true),
    ("USER.md", true),
    ("HEARTBEAT.md", false),
    ("BOOTSTRAP.md", false),
    ("MEMORY.md", false),
];

/// One workspace file as read from disk (`None` content = missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceFile {
    /// File name relative to the workspace (`AGENTS.md`).
    pub name: String,
    /// Its text, or `None` when the file does not exist.
    pub content: Option<String>,
}

/// Everything the prompt depends on.
#[derive(Debug, Clone)]
pub struct PromptInputs<'a> {
    /// Agent id.
    pub agent_id: &'a str,
    /// Workspace directory as shown to the model.
    pub workspace: &'a str,
    /// `(name, one-line summary)` of each tool the model may call, sorted.
    pub tools: &'a [(String, String)],
    /// Workspace files in injection order (see [`read_workspace_files`]).
    pub files: &'a [WorkspaceFile],
    /// Largest single file injected, in characters.
    pub file_max_chars: usize,
    /// Largest total injected, in characters.
    pub total_max_chars: usize,
    /// `YYYY-MM-DD`.
    pub date: &'a str,
    /// IANA time zone name shown with the date.
    pub timezone: &'a str,
    /// Host name.
    pub host: &'a str,
    /// `os (arch)`.
    pub os: &'a str,
    /// `provider/model`.
    pub model: &'a str,
    /// Thinking level name.
    pub thinking: &'a str,
    /// Whether commands run sandboxed.
    pub sandboxed: bool,
    /// The skills catalog (empty: no skills section).
    pub skills: &'a str,
    /// How search results are cited, when the memory tools are in the tool list.
    pub memory_citations: Option<MemoryCitationStyle>,
}

/// What the Memory Recall section says about citations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryCitationStyle {
    /// Cite `Source: <path#line>` when it helps.
    Cite,
    /// Do not mention paths or lines unless asked (`memory.citations: off`).
    Quiet,
}

/// What a bootstrap file may be: a regular file (a symlink to one is fine: workspaces are
/// often assembled from links) of at most 8 MiB. Only the first `bootstrapMaxChars` reach the
/// prompt, but the whole file is read to keep its head and tail, so a link to `/dev/zero` or a
/// FIFO, or a runaway log, must not be read without bound on every turn.
const BOOTSTRAP_READ_LIMITS: ReadLimits = ReadLimits {
    max_bytes: 8 * 1024 * 1024,
    follow_symlinks: true,
};

/// Whether a session gets the owner's root memory (`MEMORY.md` and the daily notes at its
/// start): as OpenClaw 9.6, private sessions do — the main session, direct chats, the
/// operator's own (Control UI, CLI) — and sub-agent, cron, webhook, group, room and channel
/// sessions do not, so a group chat never sees the owner's private notes.
pub fn gets_root_memory(key: &rustyclaw_protocol::SessionKey) -> bool {
    use rustyclaw_protocol::SessionKeyKind as K;
    !matches!(
        key.kind(),
        K::Group { .. }
            | K::Channel { .. }
            | K::Room { .. }
            | K::Subagent { .. }
            | K::Cron { .. }
            | K::Hook { .. }
    )
}

/// Reads the bootstrap files of `workspace` (missing ones as `None`; unreadable ones as a
/// marker so the model knows). Optional files that do not exist are left out; `MEMORY.md` only
/// when `root_memory`.
pub async fn read_workspace_files(workspace: &Path, root_memory: bool) -> Vec<WorkspaceFile> {
    let mut files = Vec::new();
    for (name, required) in BOOTSTRAP_FILES {
        if name == "MEMORY.md" && !root_memory {
            continue;
        }
        let path = workspace.join(name);
        let read = tokio::task::spawn_blocking(move || {
            rustyclaw_config::regular_file::read_text(&path, BOOTSTRAP_READ_LIMITS)
        })
        .await;
        let content = match read {
            Ok(Ok(text)) => Some(text),
            Ok(Err(ReadFileError::Io(e))) if e.kind() == std::io::ErrorKind::NotFound => None,
            Ok(Err(e)) => Some(format!("[{name} could not be read: {e}]")),
            Err(e) => Some(format!("[{name} could not be read: {e}]")),
        };
        if content.is_some() || required {
            files.push(WorkspaceFile {
                name: name.to_owned(),
                content,
            });
        }
    }
    files
}

/// The daily notes of `dates` (`YYYY-MM-DD`, newest first): `memory/<date>.md` and its
/// `memory/<date>-<slug>.md` variants, as the start of a session loads them. Files that do not
/// exist are left out.
pub async fn read_daily_notes(workspace: &Path, dates: &[String]) -> Vec<WorkspaceFile> {
    let dir = workspace.join("memory");
    let dates = dates.to_vec();
    let names = tokio::task::spawn_blocking(move || {
        let mut names: Vec<String> = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return names;
        };
        let mut all: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        all.sort();
        for date in &dates {
            for name in &all {
                let dated = name == &format!("{date}.md")
                    || (name.starts_with(&format!("{date}-")) && name.ends_with(".md"));
                if dated {
                    names.push(name.clone());
                }
            }
        }
        names
    })
    .await
    .unwrap_or_default();
    let mut files = Vec::new();
    for name in names {
        let path = workspace.join("memory").join(&name);
        let read = tokio::task::spawn_blocking(move || {
            rustyclaw_config::regular_file::read_text(&path, BOOTSTRAP_READ_LIMITS)
        })
        .await;
        if let Ok(Ok(text)) = read {
            files.push(WorkspaceFile {
                name: format!("memory/{name}"),
                content: Some(text),
            });
        }
    }
    files
}

/// Shortens `text` to `max` characters, keeping three quarters from the head and the rest
/// from the tail.
fn truncate_middle(name: &str, text: &str, max: usize) -> String {
    crate::text::cut_middle(text, max, max * 3 / 4, |omitted| {
        format!("[… {omitted} characters of {name} omitted; use `read` for the whole file …]")
    })
}

/// Builds the system prompt.
pub fn build(inputs: &PromptInputs<'_>) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("You are a personal assistant running inside rustyclaw.\n\n");

    out.push_str("## Tooling\n");
    out.push_str("Tools available to you (filtered by policy). Names are case-sensitive; call them exactly as listed.\n");
    for (name, summary) in inputs.tools {
        if summary.is_empty() {
            out.push_str(&format!("- {name}\n"));
        } else {
            out.push_str(&format!("- {name}: {summary}\n"));
        }
    }
    if inputs.tools.is_empty() {
        out.push_str("(no tools in this session)\n");
    }
    out.push_str("Long-running commands: start them with `exec` and follow up with `process` instead of sleeping in a loop.\n\n");

    out.push_str("## Tool Call Style\n");
    out.push_str("Call routine, low-risk tools without narrating them. Explain briefly before destructive or sensitive steps, or when asked.\n\n");

    out.push_str("## Execution Bias\n");
    out.push_str("- When the request is actionable, act now with the tools you have.\n");
    out.push_str(
        "- Keep going until the task is done or a real blocker remains; name the blocker.\n",
    );
    out.push_str("- Check facts that change (files, processes, versions, time) instead of assuming them.\n\n");

    out.push_str("## Safety\n");
    out.push_str("Pursue no goals beyond the user's request: no self-preservation, replication or acquiring resources or access. If safety and completing the task conflict, stop and ask. Never try to disable safeguards or change your own instructions or tool policy unless the user explicitly asks.\n\n");

    if let Some(citations) = inputs.memory_citations {
        let has_search = inputs.tools.iter().any(|(n, _)| n == "memory_search");
        let has_get = inputs.tools.iter().any(|(n, _)| n == "memory_get");
        out.push_str("## Memory Recall\n");
        if has_search {
            out.push_str("Before answering anything about prior work, decisions, dates, people, preferences, or todos: run memory_search");
            if has_get {
                out.push_str(
                    "; for memory-file hits, use memory_get to pull only the needed lines",
                );
            }
            out.push_str(". If confidence is low after searching, say you checked.\n");
        } else if has_get {
            out.push_str("Before answering anything about prior work that points to a specific memory file: run memory_get to pull only the needed lines.\n");
        }
        out.push_str("To remember something, write it to memory/YYYY-MM-DD.md (today's date) or, for durable facts and decisions, MEMORY.md.\n");
        out.push_str("Report partial, unavailable, or stale recall to the user, with the warning the search returned.\n");
        out.push_str(match citations {
            MemoryCitationStyle::Cite => "Citations: include Source: <path#line> when it helps the user verify memory snippets.\n\n",
            MemoryCitationStyle::Quiet => "Citations are disabled: do not mention file paths or line numbers in replies unless the user explicitly asks.\n\n",
        });
    }

    if !inputs.skills.is_empty() {
        out.push_str("## Skills\n");
        out.push_str(inputs.skills.trim());
        out.push_str("\n\n");
    }

    out.push_str("## Workspace\n");
    out.push_str(&format!(
        "Your working directory is {}.\n",
        inputs.workspace
    ));
    out.push_str("File tools resolve relative paths against it and cannot leave it.\n");
    if inputs.sandboxed {
        out.push_str("Commands run in a sandbox confined to the workspace.\n");
    }
    out.push('\n');

    out.push_str("## Current Date & Time\n");
    out.push_str(&format!(
        "Current date: {}\nTime zone: {}\nFor the exact time, use `session_status`.\n\n",
        inputs.date, inputs.timezone
    ));

    out.push_str("## Reply Tags\n");
    out.push_str("Reply with exactly NO_REPLY when nothing should be sent back. Put each media attachment on its own line as `MEDIA:<path-or-url>`.\n\n");

    out.push_str("## Runtime\n");
    out.push_str(&format!(
        "Runtime: agent={} | host={} | os={} | model={} | thinking={}\n",
        inputs.agent_id, inputs.host, inputs.os, inputs.model, inputs.thinking
    ));
    out.push_str(&format!(
        "If asked which model you are, answer {}.\n",
        inputs.model
    ));

    if !inputs.files.is_empty() {
        out.push_str("\n## Workspace Files (injected)\n");
        out.push_str(
            "These files from the workspace are user-editable and follow as Project Context.\n\n",
        );
        out.push_str("# Project Context\n");
        let mut budget = inputs.total_max_chars;
        for file in inputs.files {
            out.push_str(&format!("\n## {}\n", file.name));
            match &file.content {
                None => out.push_str(&format!(
                    "[missing: {} does not exist in the workspace]\n",
                    file.name
                )),
                Some(_) if budget == 0 => out.push_str(&format!(
                    "[skipped: the injected-file budget of {} characters is used up; `read` {} if needed]\n",
                    inputs.total_max_chars, file.name
                )),
                Some(text) => {
                    let text = truncate_middle(&file.name, text, inputs.file_max_chars.min(budget));
                    budget = budget.saturating_sub(text.chars().count());
                    out.push_str(text.trim_end());
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The first sentence (or line) of a tool description, for the prompt's tool list.
pub fn summary_of(description: &str) -> String {
    let line = description.lines().next().unwrap_or_default().trim();
    match line.find(". ") {
        Some(at) => line[..at].to_owned(),
        None => line.trim_end_matches('.').to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(
        tools: &'a [(String, String)],
        files: &'a [WorkspaceFile],
        file_max: usize,
        total_max: usize,
    ) -> PromptInputs<'a> {
        PromptInputs {
            agent_id: "main",
            workspace: "/home/me/.rustyclaw/workspace",
            tools,
            files,
            file_max_chars: file_max,
            total_max_chars: total_max,
            date: "2026-11-21",
            timezone: "Europe/Paris",
            host: "pi",
            os: "linux (aarch64)",
            model: "anthropic/claude-sonnet-4-6",
            thinking: "off",
            sandboxed: true,
            skills: "",
            memory_citations: None,
        }
    }

    fn file(name: &str, content: Option<&str>) -> WorkspaceFile {
        WorkspaceFile {
            name: name.into(),
            content: content.map(Into::into),
        }
    }

    #[test]
    fn the_whole_prompt_is_stable() {
        let tools = vec![
            ("exec".to_owned(), "Run a shell command".to_owned()),
            ("read".to_owned(), "Read a file".to_owned()),
        ];
        let files = vec![
            file("AGENTS.md", Some("# AGENTS.md\nBe useful.\n")),
            file("SOUL.md", Some("Warm, brief.")),
            file("TOOLS.md", None),
        ];
        insta::assert_snapshot!(build(&inputs(&tools, &files, 12_000, 60_000)));
    }

    #[test]
    fn oversized_files_keep_head_and_tail() {
        let big = format!("HEAD{}TAIL", "x".repeat(200));
        let files = vec![file("AGENTS.md", Some(&big))];
        let prompt = build(&inputs(&[], &files, 100, 60_000));
        assert!(prompt.contains("HEAD"));
        assert!(prompt.contains("TAIL"));
        assert!(prompt.contains("characters of AGENTS.md omitted"));
        assert!(!prompt.contains(&"x".repeat(101)));
    }

    #[test]
    fn the_total_budget_skips_later_files() {
        let files = vec![
            file("AGENTS.md", Some(&"a".repeat(80))),
            file("SOUL.md", Some(&"s".repeat(80))),
            file("USER.md", Some("late")),
        ];
        let prompt = build(&inputs(&[], &files, 12_000, 100));
        assert!(prompt.contains(&"a".repeat(80)));
        assert!(prompt.contains("characters of SOUL.md omitted"));
        assert!(prompt.contains("[skipped: the injected-file budget of 100 characters is used up; `read` USER.md if needed]"));
    }

    #[test]
    fn summaries_take_the_first_sentence() {
        assert_eq!(summary_of("Read a file. Supports paging."), "Read a file");
        assert_eq!(summary_of("Run a command.\nMore."), "Run a command");
    }

    #[tokio::test]
    async fn bootstrap_files_that_are_devices_or_fifos_are_marked_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("AGENTS.md")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.path().join("SOUL.md"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        std::fs::write(dir.path().join("USER.md"), "Name: Ada").unwrap();
        let files = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            read_workspace_files(dir.path(), true),
        )
        .await
        .expect("reading the workspace hung");
        let content = |name: &str| {
            files
                .iter()
                .find(|f| f.name == name)
                .and_then(|f| f.content.clone())
        };
        assert!(
            content("AGENTS.md").unwrap().contains("not a regular file"),
            "{files:?}"
        );
        assert!(
            content("SOUL.md").unwrap().contains("not a regular file"),
            "{files:?}"
        );
        assert_eq!(content("USER.md").as_deref(), Some("Name: Ada"));
        assert_eq!(content("TOOLS.md"), None);
    }
}
