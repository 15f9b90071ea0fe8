//! The async [`Store`] handle and the database thread behind it.

use std::path::Path;
use std::sync::{Arc, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::error::StoreError;
use crate::schema;

/// Work sent to a database thread.
type Job = Box<dyn FnOnce(&mut Connection) + Send + 'static>;

/// A dedicated thread owning one connection, running the jobs sent to it in order. The state
/// database and each memory index have one.
#[derive(Debug, Clone)]
pub(crate) struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    /// Starts a thread called `name` that opens its connection with `open` and reports whether
    /// that worked before serving jobs.
    pub(crate) async fn spawn<F>(name: &str, path: &Path, open: F) -> Result<Self, StoreError>
    where
        F: FnOnce(&Path) -> Result<Connection, StoreError> + Send + 'static,
    {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let thread_path = path.to_path_buf();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || serve(&thread_path, open, ready_tx, &queue))
            .map_err(|source| StoreError::SpawnThread { source })?;
        ready_rx.await.map_err(|_| StoreError::Closed)??;
        Ok(Self { jobs })
    }

    /// Runs `operation` on the thread and waits for its result; dropping the future does not
    /// cancel it.
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

    /// Queues `operation` without waiting; a failure is logged as `what`.
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

/// A handle to the state database. Cheap to clone; all clones share one connection, owned by a
/// dedicated thread that runs their operations in order (see the crate documentation for why).
///
/// Opening the same file again gives an independent connection; SQLite coordinates them (and
/// other processes) with its file locks.
#[derive(Debug, Clone)]
pub struct Store {
    worker: Worker,
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
        let worker = Worker::spawn("rustyclaw-store", &path, move |path| {
            schema::open_connection(path, version)
        })
        .await?;
        Ok(Self { worker, path })
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
        self.worker.run(operation).await
    }

    /// Queues `operation` on the database thread without waiting for it: it runs after every
    /// operation queued before it, and a failure is logged as `what` (nobody waits to hear).
    pub(crate) fn submit<F>(&self, what: &'static str, operation: F)
    where
        F: FnOnce(&mut Connection) -> Result<(), StoreError> + Send + 'static,
    {
        self.worker.submit(what, operation);
    }
}

/// Body of a database thread: open, report readiness, then run jobs until every handle is gone.
fn serve<F>(
    path: &Path,
    open: F,
    ready: oneshot::Sender<Result<(), StoreError>>,
    queue: &mpsc::Receiver<Job>,
) where
    F: FnOnce(&Path) -> Result<Connection, StoreError>,
{
    let mut conn = match open(path) {
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
