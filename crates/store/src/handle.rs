//! The async [`Store`] handle and the database thread behind it.

use std::path::Path;
use std::sync::{Arc, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::schema;

/// Work sent to the database thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send + 'static>;

/// A handle to the state database. Cheap to clone; all clones share one connection, owned by a
/// dedicated thread that runs their operations in order (see the crate documentation for why).
///
/// Opening the same file again gives an independent connection; SQLite coordinates them (and
/// other processes) with its file locks.
#[derive(Debug, Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    path: Arc<Path>,
}

impl Store {
    /// Opens the database at `path`, creating it and its parent directories if needed, and
    /// migrates it to the current schema. Fails with [`StoreError::Schema`], leaving the file
    /// untouched, if the database was written by a newer rustyclaw.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_at_schema_version(path.as_ref(), schema::LATEST_VERSION).await
    }

    /// Like [`Store::open`] but migrates only up to `version`. For tests of migrations, which
    /// need a database as an older binary left it.
    #[doc(hidden)]
    pub async fn open_at_schema_version(path: &Path, version: u32) -> Result<Self, StoreError> {
        let path: Arc<Path> = Arc::from(path);
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let thread_path = path.to_path_buf();
        std::thread::Builder::new()
            .name("rustyclaw-store".to_owned())
            .spawn(move || serve(&thread_path, version, ready_tx, &queue))
            .map_err(|source| StoreError::SpawnThread { source })?;
        ready_rx.await.map_err(|_| StoreError::Closed)??;
        Ok(Self { jobs, path })
    }

    /// The database file this handle was opened on.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `operation` on the database thread and waits for its result.
    ///
    /// Dropping the returned future does not cancel the operation: it still runs to completion
    /// (or rolls back), and its result is discarded.
    pub(crate) async fn run<T, F>(&self, operation: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            // The caller may have stopped waiting; then nobody needs the result.
            let _ = reply_tx.send(operation(conn));
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        reply_rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues `operation` on the database thread without waiting for it: it runs after every
    /// operation queued before it, and a failure is logged as `what` (nobody waits to hear).
    pub(crate) fn submit<F>(&self, what: &'static str, operation: F)
    where
        F: FnOnce(&mut Connection) -> Result<(), StoreError> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            if let Err(error) = operation(conn) {
                tracing::warn!(%error, "could not {what}");
            }
        });
        if self.jobs.send(job).is_err() {
            tracing::warn!("could not {what}: the database thread has stopped");
        }
    }
}

/// Body of the database thread: open, report readiness, then run jobs until every handle is gone.
fn serve(
    path: &Path,
    version: u32,
    ready: oneshot::Sender<Result<(), StoreError>>,
    queue: &mpsc::Receiver<Job>,
) {
    let mut conn = match schema::open_connection(path, version) {
        Ok(conn) => conn,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        return;
    }
    while let Ok(job) = queue.recv() {
        job(&mut conn);
    }
    if let Err((_, error)) = conn.close() {
        tracing::warn!(path = %path.display(), %error, "closing the database failed");
    }
}
