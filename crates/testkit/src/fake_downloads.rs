//! A release-download server on loopback, standing in for the places skills' `download`
//! installers fetch from (GitHub releases and the like): files published under
//! `/releases/<name>` with `application/octet-stream`, a redirect from `/latest/<name>` to
//! them (as GitHub's release links redirect to their storage), and 404 for anything else.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::loopback::{Served, serve};

type Files = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// The server. Dropping it stops it.
#[derive(Debug)]
pub struct FakeDownloads {
    served: Served,
    files: Files,
}

impl FakeDownloads {
    /// Starts a server with no files on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let files: Files = Arc::default();
        let router = Router::new()
            .route("/releases/{name}", get(file))
            .route(
                "/latest/{name}",
                get(|Path(name): Path<String>| async move {
                    Redirect::temporary(&format!("/releases/{name}"))
                }),
            )
            .fallback(|| async { (StatusCode::NOT_FOUND, "Not Found") })
            .with_state(Arc::clone(&files));
        Ok(Self {
            served: serve(router).await?,
            files,
        })
    }

    /// Publishes `bytes` as `name`; returns its URL (`/releases/<name>`).
    pub fn publish(&self, name: &str, bytes: Vec<u8>) -> String {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), bytes);
        format!("http://{}/releases/{name}", self.served.addr)
    }

    /// The redirecting URL of `name` (`/latest/<name>`).
    pub fn redirecting_url(&self, name: &str) -> String {
        format!("http://{}/latest/{name}", self.served.addr)
    }
}

async fn file(State(files): State<Files>, Path(name): Path<String>) -> Response {
    let bytes = files
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&name)
        .cloned();
    match bytes {
        Some(bytes) => {
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
