//! A fake ClawHub registry on loopback, speaking the routes `openclaw skills` uses
//! (`/api/v1/search`, `/api/v1/skills/{slug}`, `…/install`, `…/versions/{v}`,
//! `/api/v1/download`, `POST /api/v1/skills/-/security-verdicts`) with their JSON shapes and
//! plain-text errors, and serving real zip archives of the skills a test publishes (files at
//! the root, `_meta.json` beside them, as the registry packs them). A skill can be published
//! as blocked by ClawHub's moderation, and a rate limit can be armed.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::loopback::{Served, serve};

/// A skill version the fake serves.
#[derive(Debug, Clone)]
pub struct FakeSkill {
    /// The publisher.
    pub owner: String,
    /// The slug.
    pub slug: String,
    /// The version.
    pub version: String,
    /// One line about it.
    pub summary: String,
    /// Its files: path, content, unix mode.
    pub files: Vec<(String, Vec<u8>, u32)>,
    /// ClawHub's moderation blocked it.
    pub blocked: bool,
}

impl FakeSkill {
    /// A skill whose `SKILL.md` has `description` and `body`.
    pub fn new(owner: &str, slug: &str, version: &str, description: &str, body: &str) -> Self {
        let skill_md = format!("---\nname: {slug}\ndescription: {description}\n---\n{body}");
        Self {
            owner: owner.to_owned(),
            slug: slug.to_owned(),
            version: version.to_owned(),
            summary: description.to_owned(),
            files: vec![("SKILL.md".to_owned(), skill_md.into_bytes(), 0o644)],
            blocked: false,
        }
    }

    /// Adds a file.
    pub fn with_file(mut self, path: &str, content: &str, mode: u32) -> Self {
        self.files
            .push((path.to_owned(), content.as_bytes().to_vec(), mode));
        self
    }

    /// Marks it blocked by ClawHub's moderation.
    pub fn blocked(mut self) -> Self {
        self.blocked = true;
        self
    }

    /// Its zip archive.
    pub fn archive(&self) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let mut files = self.files.clone();
        files.push((
            "_meta.json".to_owned(),
            json!({"ownerId": self.owner, "slug": self.slug, "version": self.version, "publishedAt": 1_790_000_000_000u64})
                .to_string()
                .into_bytes(),
            0o644,
        ));
        files.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, content, mode) in files {
            let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
            // Writing to memory cannot fail for space; a failure would be a bug in the fake.
            if zip.start_file(path, options).is_ok() {
                let _ = zip.write_all(&content);
            }
        }
        zip.finish()
            .map(std::io::Cursor::into_inner)
            .unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct Registry {
    skills: Vec<FakeSkill>,
    /// Seconds of `retry-after` on every request, when armed.
    rate_limited: Option<u64>,
    /// `(method, path and query)` of every request.
    requests: Vec<String>,
}

type Shared = Arc<Mutex<Registry>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Registry> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake registry. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeClawHub {
    served: Served,
    shared: Shared,
}

impl FakeClawHub {
    /// Starts an empty registry on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::default();
        let router = Router::new()
            .route("/api/v1/search", get(search))
            .route("/api/v1/skills/{slug}", get(detail))
            .route("/api/v1/skills/{slug}/install", get(install))
            .route("/api/v1/skills/{slug}/versions/{version}", get(version))
            .route("/api/v1/skills/-/security-verdicts", post(verdicts))
            .route("/api/v1/download", get(download))
            .fallback(|| async { (StatusCode::NOT_FOUND, "Not found") })
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&shared),
                gate,
            ))
            .with_state(Arc::clone(&shared));
        Ok(Self {
            served: serve(router).await?,
            shared,
        })
    }

    /// The registry's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.served.addr)
    }

    /// Publishes a version (the newest published version of a slug is its latest).
    pub fn publish(&self, skill: FakeSkill) {
        lock(&self.shared).skills.push(skill);
    }

    /// Answers every request with 429 and `retry-after: seconds` (or, with `None`, normally).
    pub fn rate_limit(&self, seconds: Option<u64>) {
        lock(&self.shared).rate_limited = seconds;
    }

    /// The requests received, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared).requests.clone()
    }
}

async fn gate(
    State(shared): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let line = format!(
        "{} {}",
        request.method(),
        request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_default()
    );
    let limited = {
        let mut registry = lock(&shared);
        registry.requests.push(line);
        registry.rate_limited
    };
    if let Some(seconds) = limited {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("retry-after", seconds.to_string()),
                ("ratelimit-reset", seconds.to_string()),
            ],
            "Rate limit exceeded",
        )
            .into_response();
    }
    next.run(request).await
}

fn latest<'a>(registry: &'a Registry, slug: &str, owner: Option<&str>) -> Option<&'a FakeSkill> {
    registry
        .skills
        .iter()
        .rev()
        .find(|s| s.slug == slug && owner.is_none_or(|o| o.eq_ignore_ascii_case(&s.owner)))
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("{what} not found")).into_response()
}

async fn search(
    State(shared): State<Shared>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let registry = lock(&shared);
    let term = q.get("q").map(|s| s.to_lowercase()).unwrap_or_default();
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize);
    if term.trim().is_empty() {
        return axum::Json(json!({"results": []})).into_response();
    }
    let mut seen = std::collections::HashSet::new();
    let results: Vec<Value> = registry
        .skills
        .iter()
        .rev()
        .filter(|s| s.slug.contains(&term) || s.summary.to_lowercase().contains(&term))
        .filter(|s| seen.insert(s.slug.clone()))
        .take(limit)
        .map(|s| {
            json!({
                "id": format!("{}/{}", s.owner, s.slug), "source": "clawhub", "slug": s.slug,
                "displayName": s.slug, "summary": s.summary, "score": 1.0,
                "ownerHandle": s.owner, "version": s.version, "downloads": 0, "updatedAt": 1_790_000_000_000u64,
                "owner": {"handle": s.owner, "displayName": s.owner},
                "install": {"kind": "clawhub", "reference": format!("@{}/{}", s.owner, s.slug)}
            })
        })
        .collect();
    axum::Json(json!({"results": results})).into_response()
}

async fn detail(
    State(shared): State<Shared>,
    Path(slug): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let registry = lock(&shared);
    let Some(skill) = latest(&registry, &slug, q.get("ownerHandle").map(String::as_str)) else {
        return not_found("Skill");
    };
    axum::Json(json!({
        "skill": {"slug": skill.slug, "displayName": skill.slug, "summary": skill.summary, "tags": {"latest": skill.version}},
        "latestVersion": {"version": skill.version, "createdAt": 1_790_000_000_000u64, "changelog": "", "license": "MIT"},
        "owner": {"handle": skill.owner, "displayName": skill.owner},
        "moderation": {"isSuspicious": false, "isMalwareBlocked": skill.blocked, "verdict": if skill.blocked { "malicious" } else { "clean" }, "reasonCodes": []}
    }))
    .into_response()
}

async fn install(
    State(shared): State<Shared>,
    Path(slug): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let registry = lock(&shared);
    let Some(skill) = latest(&registry, &slug, q.get("ownerHandle").map(String::as_str)) else {
        return not_found("Skill");
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    axum::Json(json!({
        "ok": true, "slug": skill.slug, "installKind": "archive",
        "archive": {
            "version": skill.version,
            "downloadUrl": format!("http://{host}/api/v1/download?slug={}&ownerHandle={}&version={}", skill.slug, skill.owner, skill.version)
        }
    }))
    .into_response()
}

async fn version(
    State(shared): State<Shared>,
    Path((slug, version)): Path<(String, String)>,
) -> Response {
    let registry = lock(&shared);
    match registry
        .skills
        .iter()
        .find(|s| s.slug == slug && s.version == version)
    {
        Some(skill) => axum::Json(
            json!({"version": {"version": skill.version, "createdAt": 1_790_000_000_000u64}}),
        )
        .into_response(),
        None => not_found("Version"),
    }
}

async fn download(
    State(shared): State<Shared>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let registry = lock(&shared);
    let Some(slug) = q.get("slug") else {
        return (StatusCode::BAD_REQUEST, "Missing slug").into_response();
    };
    let found = registry.skills.iter().rev().find(|s| {
        &s.slug == slug
            && q.get("version").is_none_or(|v| v == &s.version)
            && q.get("ownerHandle")
                .is_none_or(|o| o.eq_ignore_ascii_case(&s.owner))
    });
    let Some(skill) = found else {
        return not_found("Version");
    };
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}.zip\"",
                    skill.slug, skill.version
                ),
            ),
        ],
        skill.archive(),
    )
        .into_response()
}

async fn verdicts(State(shared): State<Shared>, axum::Json(body): axum::Json<Value>) -> Response {
    let registry = lock(&shared);
    let items: Vec<Value> = body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|item| {
            let slug = item["slug"].as_str().unwrap_or_default();
            let version = item["version"].as_str().unwrap_or_default();
            match registry.skills.iter().find(|s| s.slug == slug && s.version == version) {
                None => json!({"ok": false, "decision": "fail", "reasons": ["skill.not_found"], "requestedSlug": slug, "requestedVersion": version, "error": {"code": "skill_not_found", "message": "Skill not found"}}),
                Some(skill) => json!({
                    "ok": !skill.blocked,
                    "decision": if skill.blocked { "fail" } else { "pass" },
                    "reasons": if skill.blocked { vec!["moderation.malware_blocked"] } else { Vec::<&str>::new() },
                    "requestedSlug": slug, "requestedVersion": version, "slug": slug, "version": version,
                    "publisherHandle": skill.owner,
                    "overview": if skill.blocked { "Blocked: malware found by the registry's scanners." } else { "No issues found." },
                    "securityAuditUrl": format!("https://clawhub.example/{}/{}/security", skill.owner, skill.slug),
                    "security": {"status": if skill.blocked { "malicious" } else { "clean" }, "passed": !skill.blocked}
                }),
            }
        })
        .collect();
    axum::Json(json!({"schema": "clawhub.skill.security-verdicts.v1", "items": items}))
        .into_response()
}
