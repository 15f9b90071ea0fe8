//! `rustyclaw memory status|index|search`: an agent's memory index, inspected, rebuilt and
//! searched on this machine (as `openclaw memory …`, with the same JSON fields).

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use rustyclaw_config::LoadedConfig;
use rustyclaw_memory::{AgentMemory, MemoryService, SearchRequest};
use serde_json::{Value, json};

use crate::UserError;
use crate::context::Context;
use crate::output;

/// `memory` subcommands.
#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// The index of each agent: files, chunks, provider, whether it is current.
    Status(StatusArgs),
    /// Bring the index up to date with the memory files (`--force`: rebuild it).
    Index(IndexArgs),
    /// Search an agent's memory as its memory_search tool does.
    Search(SearchArgs),
}

/// `memory status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this agent (default: every agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Sync the index first.
    #[arg(long)]
    index: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `memory index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Only this agent (default: every agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Rebuild from scratch.
    #[arg(long)]
    force: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `memory search <query>`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for.
    query: String,
    /// The agent (default: the default agent).
    #[arg(long, value_name = "ID")]
    agent: Option<String>,
    /// Results returned (default: memory.search.query.maxResults, 6).
    #[arg(long, value_name = "N")]
    max_results: Option<usize>,
    /// Lowest score returned (default: memory.search.query.minScore, 0.35).
    #[arg(long, value_name = "SCORE")]
    min_score: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs a `memory` subcommand.
pub fn run(
    ctx: &Context,
    loaded: LoadedConfig,
    command: MemoryCommand,
) -> anyhow::Result<ExitCode> {
    let config = Arc::new(loaded.config);
    let agent_flag = match &command {
        MemoryCommand::Status(a) => a.agent.clone(),
        MemoryCommand::Index(a) => a.agent.clone(),
        MemoryCommand::Search(a) => Some(
            a.agent
                .clone()
                .unwrap_or_else(|| config.agents.default_agent_id.clone()),
        ),
    };
    let agents: Vec<String> = match &agent_flag {
        Some(id) if config.agents.get(id).is_none() => {
            return Err(UserError::new(format!(
                "--agent: no agent {id:?} in agents.list (known: {})",
                config
                    .agents
                    .list
                    .iter()
                    .map(|a| a.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
        Some(id) => vec![id.clone()],
        None => config.agents.list.iter().map(|a| a.id.clone()).collect(),
    };
    let service = ctx.host().memory(config.clone(), &loaded.env)?;
    super::runtime()?.block_on(async move {
        match command {
            MemoryCommand::Status(args) => status(&service, &agents, args.index, args.json).await,
            MemoryCommand::Index(args) => index(&service, &agents, args.force, args.json).await,
            MemoryCommand::Search(args) => search(&service, &agents[0], &args).await,
        }
    })
}

async fn open(service: &MemoryService, agent: &str) -> anyhow::Result<Option<Arc<AgentMemory>>> {
    service
        .agent(agent)
        .await
        .map_err(|e| UserError::new(format!("memory of agent {agent:?}: {e}")).into())
}

async fn status(
    service: &MemoryService,
    agents: &[String],
    sync: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    for agent in agents {
        let Some(memory) = open(service, agent).await? else {
            rows.push(json!({"agentId": agent, "status": {"enabled": false}}));
            continue;
        };
        if sync {
            memory.sync(false).await?;
        }
        rows.push(json!({"agentId": agent, "status": status_json(&memory).await?}));
    }
    if json {
        output::json(&Value::Array(rows));
        return Ok(ExitCode::SUCCESS);
    }
    for row in &rows {
        let s = &row["status"];
        if s["enabled"] == false {
            output::out(&format!(
                "{}: memory search is off (memory.search.enabled)",
                row["agentId"].as_str().unwrap_or_default()
            ));
            continue;
        }
        let mut lines = vec![
            format!("Memory of {}", row["agentId"].as_str().unwrap_or_default()),
            format!(
                "  Workspace:  {}",
                s["workspaceDir"].as_str().unwrap_or_default()
            ),
            format!("  Index:      {}", s["dbPath"].as_str().unwrap_or_default()),
            format!(
                "  Indexed:    {} files, {} chunks ({} with vectors){}",
                s["files"],
                s["chunks"],
                s["vector"]["embedded"],
                if s["dirty"] == true {
                    " — out of date: `rustyclaw memory index`"
                } else {
                    ""
                }
            ),
            format!(
                "  Files:      {} memory files on disk",
                s["sourceCounts"][0]["eligible"]
            ),
            format!(
                "  Search:     {}",
                match s["provider"].as_str() {
                    Some(p) => format!(
                        "words and meaning ({p} {})",
                        s["model"].as_str().unwrap_or_default()
                    ),
                    None => "words only".to_owned(),
                }
            ),
        ];
        if let Some(note) = s["note"].as_str() {
            lines.push(format!("  Note:       {note}"));
        }
        output::out(&lines.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

async fn status_json(memory: &AgentMemory) -> anyhow::Result<Value> {
    let stats = memory.index.stats().await?;
    let workspace = memory.workspace.clone();
    let extra = memory.extra.clone();
    let on_disk = tokio::task::spawn_blocking(move || {
        rustyclaw_memory::files::list(&workspace, &extra).len()
    })
    .await
    .unwrap_or(0);
    let indexed = memory.index.files().await?.len();
    let dirty = indexed != on_disk || memory.is_stale();
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let db = memory.index.path().to_path_buf();
    let wal = db.with_extension("sqlite-wal");
    let mut status = json!({
        "backend": "builtin",
        "enabled": true,
        "files": stats.files,
        "chunks": stats.chunks,
        "dirty": dirty,
        "workspaceDir": memory.workspace.display().to_string(),
        "dbPath": db.display().to_string(),
        "storage": {"databaseBytes": size(&db), "walBytes": size(&wal), "embeddingCacheEntries": stats.cached},
        "provider": memory.embedder.as_ref().map(|e| e.provider().to_owned()),
        "model": memory.embedder.as_ref().map(|e| e.model().to_owned()),
        "requestedProvider": match &memory.settings.provider {
            rustyclaw_memory::settings::ProviderChoice::Auto => "auto".to_owned(),
            rustyclaw_memory::settings::ProviderChoice::None => "none".to_owned(),
            rustyclaw_memory::settings::ProviderChoice::Local => "local".to_owned(),
            rustyclaw_memory::settings::ProviderChoice::Named(p) => p.clone(),
        },
        "sources": ["memory"],
        "extraPaths": memory.extra.iter().map(|r| r.path.display().to_string()).collect::<Vec<_>>(),
        "sourceCounts": [{"source": "memory", "files": stats.files, "chunks": stats.chunks, "dirty": dirty, "eligible": on_disk}],
        "cache": {"enabled": memory.settings.cache, "entries": stats.cached},
        "fts": {"enabled": true, "available": true, "tokenizer": memory.settings.tokenizer.as_str()},
        "vector": {"enabled": memory.embedder.is_some(), "embedded": stats.embedded, "stale": memory.is_stale()},
    });
    if let Some(note) = &memory.embedder_note {
        status["note"] = json!(note);
    }
    Ok(status)
}

async fn index(
    service: &MemoryService,
    agents: &[String],
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    let mut failed = false;
    for agent in agents {
        let Some(memory) = open(service, agent).await? else {
            continue;
        };
        let started = std::time::Instant::now();
        let report = memory.sync(force).await?;
        let stats = memory.index.stats().await?;
        failed |= report.embed_error.is_some();
        rows.push(json!({
            "agentId": agent,
            "files": report.files,
            "changed": report.changed,
            "removed": report.removed,
            "embedded": report.embedded,
            "chunks": stats.chunks,
            "durationMs": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "embedError": report.embed_error,
        }));
    }
    if json {
        output::json(&Value::Array(rows));
    } else {
        for r in &rows {
            output::out(&format!(
                "{}: {} files, {} re-indexed, {} removed, {} chunks, {} embedded ({} ms){}",
                r["agentId"].as_str().unwrap_or_default(),
                r["files"],
                r["changed"],
                r["removed"],
                r["chunks"],
                r["embedded"],
                r["durationMs"],
                r["embedError"]
                    .as_str()
                    .map(|e| format!("\n  embedding failed: {e}; search uses words until it works"))
                    .unwrap_or_default()
            ));
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn search(
    service: &MemoryService,
    agent: &str,
    args: &SearchArgs,
) -> anyhow::Result<ExitCode> {
    let Some(memory) = open(service, agent).await? else {
        return Err(UserError::new(format!(
            "memory search is off for agent {agent:?} (memory.search.enabled)"
        ))
        .into());
    };
    memory.sync(false).await?;
    let outcome = rustyclaw_memory::search::search(
        &memory,
        SearchRequest {
            query: &args.query,
            max_results: args
                .max_results
                .filter(|n| *n > 0)
                .unwrap_or(memory.settings.max_results),
            min_score: args.min_score.unwrap_or(memory.settings.min_score),
            now_ms: rustyclaw_support::now_ms_i64(),
        },
    )
    .await?;
    if args.json {
        let mut out = json!({"results": outcome.hits, "mode": outcome.mode.as_str()});
        if let Some(warning) = &outcome.warning {
            out["warning"] = json!(warning);
        }
        output::json(&out);
        return Ok(ExitCode::SUCCESS);
    }
    if outcome.hits.is_empty() {
        output::out("No matches.");
    }
    for hit in &outcome.hits {
        let lines = if hit.start_line == hit.end_line {
            format!("L{}", hit.start_line)
        } else {
            format!("L{}-L{}", hit.start_line, hit.end_line)
        };
        output::out(&format!(
            "{:.3}  {}#{lines}\n{}\n",
            hit.score,
            hit.path,
            indent(&hit.snippet)
        ));
    }
    if let Some(warning) = &outcome.warning {
        output::err(&format!("note: {warning}"));
    }
    Ok(ExitCode::SUCCESS)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
