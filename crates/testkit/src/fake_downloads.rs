//! A release-download server on loopback, standing in for the places skills' `download`
//! installers fetch from (GitHub releases and the like): files published under
//! `/releases/<name>` with `application/octet-stream`, a redirect from `/latest/<name>` to
//! them (as GitHub's release links redirect to their storage), and 404 for anything else.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

type Files = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

/// The server. Dropping it stops it.
#[derive(Debug)]
pub struct FakeDownloads {
    addr: SocketAddr,
    files: Files,
    _stop: oneshot::Sender<()>,
}

impl FakeDownloads {
    /// Starts a server with no files on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
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
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            files,
            _stop: stop,
        })
    }

    /// Publishes `bytes` as `name`; returns its URL (`/releases/<name>`).
    pub fn publish(&self, name: &str, bytes: Vec<u8>) -> String {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), bytes);
        format!("http://{}/releases/{name}", self.addr)
    }

    /// The redirecting URL of `name` (`/latest/<name>`).
    pub fn redirecting_url(&self, name: &str) -> String {
        format!("http://{}/latest/{name}", self.addr)
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
