//! The database, its write-ahead log and shared-memory file are readable by their owner only.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rustyclaw_store::Store;

use crate::support::{header, session_id, temp_db, user_message};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_database_files_are_private_while_in_use() {
    let (_dir, path) = temp_db();
    let store = Store::open(&path).await.unwrap();
    let session = session_id("s-perm");
    store
        .append_transcript(&session, &[header(&session), user_message("e1", None, "x")])
        .await
        .unwrap();
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        assert_eq!(mode(Path::new(&file)), 0o600, "{file}");
    }
}

#[tokio::test]
async fn a_database_left_readable_is_made_private_when_opened() {
    let (_dir, path) = temp_db();
    drop(Store::open(&path).await.unwrap());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    let session = session_id("s-perm");
    store
        .append_transcript(&session, &[header(&session), user_message("e1", None, "x")])
        .await
        .unwrap();
    assert_eq!(mode(Path::new(&format!("{}-wal", path.display()))), 0o600);
}
