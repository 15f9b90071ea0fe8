//! A client of the ClawHub registry's HTTP API (`/api/v1/…`, as `openclaw skills` calls it):
//! search, the install resolution of a skill (its latest version and archive), the registry's
//! security verdict, and the archive download.
//!
//! The registry is `https://clawhub.ai` unless `OPENCLAW_CLAWHUB_URL` or `CLAWHUB_URL` names
//! another (or the caller passes one); `CLAWHUB_TOKEN` is sent as a bearer token when set. An
//! archive is only downloaded from the registry's own origin.

use std::time::Duration;

use reqwest::StatusCode;
use rustyclaw_config::{Env, ExposeSecret, Secret, env_vars};
use serde::Serialize;
use serde_json::{Value, json};

/// The public registry.
pub const DEFAULT_REGISTRY: &str = "https://clawhub.ai";
/// The largest archive downloaded.
const MAX_ARCHIVE_BYTES: usize = 64 * 1024 * 1024;

/// What went wrong talking to ClawHub.
#[derive(Debug, thiserror::Error)]
pub enum ClawHubError {
    /// The registry could not be reached.
    #[error("ClawHub at {registry} cannot be reached: {detail}")]
    Unreachable {
        /// The registry.
        registry: String,
        /// What the HTTP client said.
        detail: String,
    },
    /// No such skill.
    #[error("skill {reference:?} not found on ClawHub; try `rustyclaw skills search {reference}`")]
    NotFound {
        /// The reference asked for.
        reference: String,
    },
    /// Too many requests.
    #[error("ClawHub rate limit reached{}; wait and try again later", retry_after.map(|s| format!(" (resets in {s}s)")).unwrap_or_default())]
    RateLimited {
        /// Seconds until it resets.
        retry_after: Option<u64>,
    },
    /// Any other refusal or failure.
    #[error("ClawHub {path} failed ({status}): {message}")]
    Status {
        /// The request path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The registry's message.
        message: String,
    },
    /// The answer was not what the API returns.
    #[error("ClawHub answered {path} with something unexpected: {detail}")]
    Malformed {
        /// The request path.
        path: String,
        /// What was wrong.
        detail: String,
    },
    /// A reference that is not `slug` or `@owner/slug`.
    #[error("{0:?} is not a ClawHub skill reference: use a slug or @owner/slug")]
    BadReference(String),
}

/// `slug` or `@owner/slug`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRef {
    /// The publisher, when given.
    pub owner: Option<String>,
    /// The skill's slug.
    pub slug: String,
}

impl SkillRef {
    /// Parses a reference.
    pub fn parse(text: &str) -> Result<Self, ClawHubError> {
        let text = text.trim();
        let bad = || ClawHubError::BadReference(text.to_owned());
        let (owner, slug) = match text.strip_prefix('@') {
            Some(rest) => {
                let (owner, slug) = rest.split_once('/').ok_or_else(bad)?;
                (Some(owner.to_owned()), slug)
            }
            None => (None, text),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !s.starts_with('-')
                && !s.ends_with('-')
        };
        if !valid(slug) || owner.as_deref().is_some_and(|o| !valid(o)) {
            return Err(bad());
        }
        Ok(Self {
            owner,
            slug: slug.to_ascii_lowercase(),
        })
    }

    /// As written: `@owner/slug` or `slug`.
    pub fn display(&self) -> String {
        match &self.owner {
            Some(owner) => format!("@{owner}/{}", self.slug),
            None => self.slug.clone(),
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The slug.
    pub slug: String,
    /// Its name for people.
    pub display_name: String,
    /// One line about it.
    pub summary: String,
    /// Its latest version, when listed.
    pub version: Option<String>,
    /// The publisher.
    pub owner_handle: Option<String>,
    /// What to pass to install (`@owner/slug`).
    pub install_ref: String,
    /// Relevance.
    pub score: Option<f64>,
}

/// A version ready to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The slug.
    pub slug: String,
    /// The publisher.
    pub owner: Option<String>,
    /// The version.
    pub version: String,
    /// Where its archive is.
    pub download_url: String,
}

/// The registry's security verdict on a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `pass` or `fail`.
    pub decision: String,
    /// Why (`moderation.malware_blocked`, `security.status_not_clean`, …).
    pub reasons: Vec<String>,
    /// ClawHub blocked the release: it is never installed.
    pub blocked: bool,
    /// The audit summary.
    pub overview: Option<String>,
}

/// A ClawHub registry.
#[derive(Clone)]
pub struct ClawHub {
    http: reqwest::Client,
    registry: String,
    token: Option<Secret>,
}

impl std::fmt::Debug for ClawHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClawHub")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl ClawHub {
    /// The registry `registry`, else the one the environment names, else the public one.
    pub fn new(registry: Option<&str>, env: &Env) -> Result<Self, ClawHubError> {
        let registry = registry
            .map(str::to_owned)
            .or_else(|| {
                env.non_empty(env_vars::OPENCLAW_CLAWHUB_URL)
                    .map(str::to_owned)
            })
            .or_else(|| env.non_empty(env_vars::CLAWHUB_URL).map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_REGISTRY.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("rustyclaw/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClawHubError::Unreachable {
                registry: registry.clone(),
                detail: e.to_string(),
            })?;
        Ok(Self {
            http,
            registry,
            token: env
                .non_empty(env_vars::CLAWHUB_TOKEN)
                .map(|t| Secret::from(t.to_owned())),
        })
    }

    /// The registry's base URL.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        path: &str,
    ) -> Result<reqwest::Response, ClawHubError> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token.expose_secret()),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| ClawHubError::Unreachable {
                registry: self.registry.clone(),
                detail: e.without_url().to_string(),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get("ratelimit-reset")
                .or_else(|| response.headers().get("retry-after"))
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok());
            return Err(ClawHubError::RateLimited { retry_after });
        }
        let body = response.text().await.unwrap_or_default();
        let message: String = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v["message"]
                    .as_str()
                    .or_else(|| v["error"].as_str())
                    .map(str::to_owned)
            })
            .unwrap_or(body)
            .chars()
            .take(400)
            .collect();
        Err(ClawHubError::Status {
            path: path.to_owned(),
            status: status.as_u16(),
            message,
        })
    }

    async fn get_json(&self, path: &str, query: &[(&str, String)]) -> Result<Value, ClawHubError> {
        let url = reqwest::Url::parse_with_params(&format!("{}{path}", self.registry), query)
            .map_err(|e| ClawHubError::Malformed {
                path: path.to_owned(),
                detail: e.to_string(),
            })?;
        let response = self.send(self.http.get(url), path).await?;
        response.json().await.map_err(|e| ClawHubError::Malformed {
            path: path.to_owned(),
            detail: e.to_string(),
        })
    }

    /// Skills matching `query`.
    pub async fn search(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchResult>, ClawHubError> {
        let body = self
            .get_json(
                "/api/v1/search",
                &[("q", query.to_owned()), ("limit", limit.to_string())],
            )
            .await?;
        let items = body["results"].as_array().cloned().unwrap_or_default();
        Ok(items
            .iter()
            .filter(|r| r["source"].as_str().unwrap_or("clawhub") == "clawhub")
            .filter_map(|r| {
                let slug = r["slug"].as_str()?.to_owned();
                let owner = r["ownerHandle"]
                    .as_str()
                    .or_else(|| r["owner"]["handle"].as_str())
                    .or_else(|| r["publisher"]["handle"].as_str())
                    .map(str::to_owned);
                Some(SearchResult {
                    install_ref: owner
                        .as_ref()
                        .map_or_else(|| slug.clone(), |o| format!("@{o}/{slug}")),
                    display_name: r["displayName"].as_str().unwrap_or(&slug).to_owned(),
                    summary: r["summary"].as_str().unwrap_or_default().to_owned(),
                    version: r["version"].as_str().map(str::to_owned),
                    score: r["score"].as_f64(),
                    owner_handle: owner,
                    slug,
                })
            })
            .collect())
    }

    /// The version of `skill` to install (`version`, else the latest) and its archive.
    pub async fn resolve(
        &self,
        skill: &SkillRef,
        version: Option<&str>,
    ) -> Result<Resolved, ClawHubError> {
        let mut owner_query: Vec<(&str, String)> = Vec::new();
        if let Some(owner) = &skill.owner {
            owner_query.push(("ownerHandle", owner.clone()));
        }
        let not_found = |e: ClawHubError| match e {
            ClawHubError::Status { status: 404, .. } => ClawHubError::NotFound {
                reference: skill.display(),
            },
            other => other,
        };
        if let Some(version) = version {
            let path = format!("/api/v1/skills/{}/versions/{version}", skill.slug);
            self.get_json(&path, &owner_query)
                .await
                .map_err(not_found)?;
            let mut query = owner_query.clone();
            query.push(("slug", skill.slug.clone()));
            query.push(("version", version.to_owned()));
            let url = reqwest::Url::parse_with_params(
                &format!("{}/api/v1/download", self.registry),
                &query,
            )
            .map_err(|e| ClawHubError::Malformed {
                path: "/api/v1/download".into(),
                detail: e.to_string(),
            })?;
            return Ok(Resolved {
                slug: skill.slug.clone(),
                owner: skill.owner.clone(),
                version: version.to_owned(),
                download_url: url.to_string(),
            });
        }
        let path = format!("/api/v1/skills/{}/install", skill.slug);
        let body = self
            .get_json(&path, &owner_query)
            .await
            .map_err(not_found)?;
        if body["ok"] == false {
            return Err(ClawHubError::Status {
                path,
                status: 409,
                message: body["message"]
                    .as_str()
                    .unwrap_or("the install is not possible")
                    .to_owned(),
            });
        }
        match body["installKind"].as_str() {
            Some("archive") => {}
            Some(other) => {
                return Err(ClawHubError::Malformed {
                    path,
                    detail: format!(
                        "installs of kind {other:?} (from GitHub) are not supported yet"
                    ),
                });
            }
            None => {
                return Err(ClawHubError::Malformed {
                    path,
                    detail: "no installKind".into(),
                });
            }
        }
        let version = body["archive"]["version"].as_str();
        let url = body["archive"]["downloadUrl"].as_str();
        let (Some(version), Some(url)) = (version, url) else {
            return Err(ClawHubError::Malformed {
                path,
                detail: "no archive version or downloadUrl".into(),
            });
        };
        Ok(Resolved {
            slug: body["slug"].as_str().unwrap_or(&skill.slug).to_owned(),
            owner: skill.owner.clone(),
            version: version.to_owned(),
            download_url: url.to_owned(),
        })
    }

    /// The registry's security verdict on `resolved`.
    pub async fn verdict(&self, resolved: &Resolved) -> Result<Verdict, ClawHubError> {
        let path = "/api/v1/skills/-/security-verdicts";
        let mut item = json!({"slug": resolved.slug, "version": resolved.version});
        if let Some(owner) = &resolved.owner {
            item["ownerHandle"] = json!(owner);
        }
        let url = format!("{}{path}", self.registry);
        let response = self
            .send(self.http.post(&url).json(&json!({"items": [item]})), path)
            .await?;
        let body: Value = response.json().await.map_err(|e| ClawHubError::Malformed {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        let item = &body["items"][0];
        let Some(decision) = item["decision"].as_str() else {
            return Err(ClawHubError::Malformed {
                path: path.to_owned(),
                detail: "no verdict for the skill".into(),
            });
        };
        let reasons: Vec<String> = item["reasons"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let status = item["security"]["status"].as_str().unwrap_or_default();
        let blocked = item["decision"] == "blocked"
            || status == "malicious"
            || reasons.iter().any(|r| {
                r.contains("malicious")
                    || r.contains("malware")
                    || r.ends_with(".blocked")
                    || r.ends_with("_blocked")
            });
        Ok(Verdict {
            decision: decision.to_owned(),
            reasons,
            blocked,
            overview: item["overview"].as_str().map(str::to_owned),
        })
    }

    /// The archive at `url`, which must be on the registry's own origin.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, ClawHubError> {
        let path = "/api/v1/download";
        let same_origin = reqwest::Url::parse(url)
            .ok()
            .zip(reqwest::Url::parse(&self.registry).ok())
            .is_some_and(|(a, b)| a.origin() == b.origin());
        if !same_origin {
            return Err(ClawHubError::Malformed {
                path: path.to_owned(),
                detail: "the archive is not on the registry's own address".into(),
            });
        }
        let mut response = self.send(self.http.get(url), path).await?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| ClawHubError::Unreachable {
                registry: self.registry.clone(),
                detail: e.without_url().to_string(),
            })?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_ARCHIVE_BYTES {
                return Err(ClawHubError::Malformed {
                    path: path.to_owned(),
                    detail: format!("the archive is larger than {MAX_ARCHIVE_BYTES} bytes"),
                });
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(
            SkillRef::parse("@Steipete/Weather").unwrap(),
            SkillRef {
                owner: Some("Steipete".into()),
                slug: "weather".into()
            }
        );
        assert_eq!(SkillRef::parse("gh-issues").unwrap().display(), "gh-issues");
        for bad in ["", "@owner", "../x", "a/b", "skills-sh:o/r/s", "-x"] {
            assert!(SkillRef::parse(bad).is_err(), "{bad}");
        }
    }
}
