//! A fake npm registry on loopback, speaking what `npm install` asks of one: the packument at
//! `GET /<name>` (`dist-tags`, `versions`, each with `bin` and `dist.tarball`/`integrity`) and
//! the tarball at `GET /<name>/-/<name>-<version>.tgz`, a real gzip'd tar with the files under
//! `package/`, as the registry serves them. Anything else is npm's 404 JSON.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::loopback::{Served, serve};

/// One published package version.
#[derive(Debug, Clone)]
pub struct FakePackage {
    name: String,
    version: String,
    bins: BTreeMap<String, String>,
    files: Vec<(String, String, u32)>,
}

impl FakePackage {
    /// A package `name@version`.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            bins: BTreeMap::new(),
            files: Vec::new(),
        }
    }

    /// Adds an executable script `path` (relative to the package) installed as `bin`.
    pub fn with_bin(mut self, bin: &str, path: &str, script: &str) -> Self {
        self.bins.insert(bin.to_owned(), path.to_owned());
        self.files.push((path.to_owned(), script.to_owned(), 0o755));
        self
    }

    fn manifest(&self) -> Value {
        json!({"name": self.name, "version": self.version, "bin": self.bins})
    }

    /// The package's tarball: `package/package.json` and its files.
    pub fn tarball(&self) -> Vec<u8> {
        let mut tar = Vec::new();
        let manifest = serde_json::to_string_pretty(&self.manifest()).unwrap_or_default();
        tar_entry(&mut tar, "package/package.json", manifest.as_bytes(), 0o644);
        for (path, body, mode) in &self.files {
            tar_entry(&mut tar, &format!("package/{path}"), body.as_bytes(), *mode);
        }
        tar.extend_from_slice(&[0u8; 1024]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = gz.write_all(&tar);
        gz.finish().unwrap_or_default()
    }
}

/// Appends one regular file to a ustar archive.
fn tar_entry(out: &mut Vec<u8>, path: &str, body: &[u8], mode: u32) {
    let mut header = [0u8; 512];
    header[..path.len().min(100)].copy_from_slice(&path.as_bytes()[..path.len().min(100)]);
    let octal = |field: &mut [u8], value: u64| {
        let text = format!("{value:0width$o}\0", width = field.len() - 1);
        field.copy_from_slice(text.as_bytes());
    };
    octal(&mut header[100..108], u64::from(mode));
    octal(&mut header[108..116], 0);
    octal(&mut header[116..124], 0);
    octal(&mut header[124..136], body.len() as u64);
    octal(&mut header[136..148], 1_700_000_000);
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u64 = header.iter().map(|b| u64::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    let pad = (512 - body.len() % 512) % 512;
    out.extend(std::iter::repeat_n(0u8, pad));
}

#[derive(Debug, Default)]
struct Registry {
    packages: Vec<FakePackage>,
    requests: Vec<String>,
}

type Shared = Arc<Mutex<Registry>>;

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Registry> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake registry. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeNpmRegistry {
    served: Served,
    shared: Shared,
}

impl FakeNpmRegistry {
    /// Starts an empty registry on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let shared: Shared = Arc::default();
        let router = Router::new()
            .route("/{name}", get(packument))
            .route("/{name}/-/{file}", get(tarball))
            .fallback(|| async { not_found() })
            .with_state(Arc::clone(&shared));
        Ok(Self {
            served: serve(router).await?,
            shared,
        })
    }

    /// The registry's URL (for `npm_config_registry`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.served.addr)
    }

    /// Publishes a version.
    pub fn publish(&self, package: FakePackage) {
        lock(&self.shared).packages.push(package);
    }

    /// The paths requested.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared).requests.clone()
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        json!({"error": "Not found"}).to_string(),
    )
        .into_response()
}

async fn packument(
    State(shared): State<Shared>,
    Path(name): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let mut registry = lock(&shared);
    registry.requests.push(format!("/{name}"));
    let versions: Vec<FakePackage> = registry
        .packages
        .iter()
        .filter(|p| p.name == name)
        .cloned()
        .collect();
    let Some(latest) = versions.last() else {
        return not_found();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let mut by_version = serde_json::Map::new();
    for p in &versions {
        let tgz = p.tarball();
        let integrity = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&tgz))
        );
        let mut manifest = p.manifest();
        manifest["dist"] = json!({
            "tarball": format!("http://{host}/{}/-/{}-{}.tgz", p.name, p.name, p.version),
            "integrity": integrity,
        });
        by_version.insert(p.version.clone(), manifest);
    }
    let body = json!({
        "name": name,
        "dist-tags": {"latest": latest.version},
        "versions": by_version,
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn tarball(
    State(shared): State<Shared>,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    let mut registry = lock(&shared);
    registry.requests.push(format!("/{name}/-/{file}"));
    let found = registry
        .packages
        .iter()
        .find(|p| format!("{}-{}.tgz", p.name, p.version) == file && p.name == name)
        .map(FakePackage::tarball);
    match found {
        Some(bytes) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        None => not_found(),
    }
}
