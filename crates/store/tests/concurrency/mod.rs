//! Several connections writing the same file at once.

use std::collections::HashSet;

use rustyclaw_store::Store;

use crate::support::{header, id_of, session_id, temp_db, user_message};

const HANDLES: usize = 3;
const WRITERS: usize = 6;
const APPENDS_PER_WRITER: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_on_one_file() {
    let (_dir, path) = temp_db();
    let mut stores = Vec::new();
    for _ in 0..HANDLES {
        stores.push(Store::open(&path).await.unwrap());
    }
    let sessions = [session_id("even"), session_id("odd")];
    for session in &sessions {
        stores[0]
            .append_transcript(session, &[header(session)])
            .await
            .unwrap();
    }

    // Writer w appends to session w % 2 through handle w % HANDLES (so both sessions get writers
    // on different connections), as a chain of its own: entry ids are unique per writer and each
    // entry's parent is the writer's previous entry. Every third append is a batch of two.
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let store = stores[writer % HANDLES].clone();
        let session = sessions[writer % 2].clone();
        tasks.push(tokio::spawn(async move {
            let mut parent: Option<String> = None;
            let mut appended = Vec::new();
            for n in 0..APPENDS_PER_WRITER {
                let batch_len = if n.is_multiple_of(3) { 2 } else { 1 };
                let mut batch = Vec::new();
                for part in 0..batch_len {
                    let id = format!("w{writer}-{n}-{part}");
                    batch.push(user_message(&id, parent.as_deref(), "concurrent"));
                    parent = Some(id);
                }
                let seqs = store.append_transcript(&session, &batch).await.unwrap();
                assert_eq!(seqs.len(), batch.len());
                assert!(
                    seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
                    "a batch is contiguous"
                );
                appended.extend(batch.iter().map(|line| id_of(line).to_owned()));
            }
            (writer, appended)
        }));
    }
    let mut expected: [HashSet<String>; 2] = Default::default();
    for task in tasks {
        let (writer, ids) = task.await.unwrap();
        expected[writer % 2].extend(ids);
    }

    let reader = Store::open(&path).await.unwrap();
    for (session, expected) in sessions.iter().zip(&expected) {
        let lines = reader.transcript(session, 0, usize::MAX).await.unwrap();
        assert_eq!(lines.len(), expected.len() + 1);
        for (index, line) in lines.iter().enumerate() {
            assert_eq!(line.seq, index as u64 + 1, "seqs are contiguous");
        }
        let stored: Vec<&str> = lines[1..].iter().map(|line| id_of(&line.line)).collect();
        let unique: HashSet<&str> = stored.iter().copied().collect();
        assert_eq!(unique.len(), stored.len(), "every entry is stored once");
        assert_eq!(unique, expected.iter().map(String::as_str).collect());
    }
    assert!(reader.integrity_check().await.unwrap().is_ok());
}
