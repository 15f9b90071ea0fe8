//! Commits that must survive a power loss, not only a crash of the process.
//!
//! The connection runs with `synchronous=NORMAL` (see the crate documentation): a commit is in
//! the write-ahead log in the OS page cache, which a SIGKILL cannot take away but a power loss
//! or a kernel crash can. Some commits promise more to someone outside the process: advancing a
//! Telegram update offset tells the platform to forget the messages it covers, and storing a
//! reply as a pending delivery is what lets the gateway say a reply will not be lost. Those run
//! with `synchronous=FULL`, which in WAL mode fsyncs the log before the commit returns.
//!
//! `synchronous` is a setting of the connection, and SQLite refuses to change it inside a
//! transaction ("Safety level may not be changed inside a transaction"), so it is switched
//! *around* the transaction: to `FULL` before `BEGIN`, back to `NORMAL` after the commit or the
//! rollback. That is race-free because the store's connection belongs to one thread that runs one
//! operation at a time: no other operation can commit on this connection while it is `FULL`
//! (which would only make that commit slower anyway). A second connection for durable commits
//! would have cost a second page cache and a second writer competing for the lock, for nothing.
//!
//! The fsync of the log also makes every earlier `NORMAL` commit durable, since the log is one
//! file appended in order.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{SqliteContext, StoreError};

/// Runs `operation` (which opens and commits its own transaction) with `synchronous=FULL`, then
/// switches the connection back to `NORMAL` whatever the outcome.
///
/// The operation's result stands even if switching back fails: the commit has happened, and a
/// connection left at `FULL` is only slower, never less durable, so that failure is logged.
pub(crate) fn with_full_sync<T>(
    conn: &mut Connection,
    operation: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    conn.pragma_update(None, "synchronous", "FULL")
        .during("set synchronous=FULL for a durable commit")?;
    let result = operation(conn);
    if let Err(error) = conn.pragma_update(None, "synchronous", "NORMAL") {
        tracing::warn!(%error, "could not set synchronous back to NORMAL after a durable commit");
    }
    result
}

/// Runs `body` in one write transaction committed with `synchronous=FULL` (see
/// [`with_full_sync`]): `what` names the change in errors. A failing `body` rolls the
/// transaction back.
pub(crate) fn durably<T>(
    conn: &mut Connection,
    what: &'static str,
    body: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    with_full_sync(conn, |conn| {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .during(what)?;
        let out = body(&tx)?;
        tx.commit().during(what)?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn the_operation_runs_at_full_and_the_connection_returns_to_normal() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn =
            crate::schema::open_connection(&dir.path().join("s.sqlite"), crate::SCHEMA_VERSION)
                .unwrap();
        assert_eq!(synchronous(&conn), 1, "NORMAL");
        let seen = with_full_sync(&mut conn, |conn| {
            let tx = conn.transaction().during("begin")?;
            let seen = synchronous(&tx);
            tx.commit().during("commit")?;
            Ok(seen)
        })
        .unwrap();
        assert_eq!(seen, 2, "FULL");
        assert_eq!(synchronous(&conn), 1);

        let failed: Result<(), _> = with_full_sync(&mut conn, |conn| {
            let _tx = conn.transaction().during("begin")?;
            Err(StoreError::Closed)
        });
        assert!(matches!(failed, Err(StoreError::Closed)));
        assert_eq!(synchronous(&conn), 1, "restored after a rollback too");
    }
}
