#![cfg(test)]
//! read, write, edit and apply_patch through the registry, on real temporary workspaces.

use std::fs;
use std::os::unix::fs::symlink;

use base64::Engine;
use pretty_assertions::assert_eq;
use rustyclaw_protocol::transcript::ContentBlock;
use rustyclaw_tools::{ExternalSource, Provenance, ToolError};
use serde_json::json;

use crate::support::Harness;

#[tokio::test]
async fn write_then_read_with_paging() {
    let h = Harness::new();
    let content: String = (1..=30).map(|i| format!("row {i}\n")).collect();
    let (text, _) = h
        .ok(
            "write",
            json!({ "path": "notes/log.txt", "content": content }),
        )
        .await;
    assert_eq!(
        text,
        format!(
            "Successfully wrote {} bytes to notes/log.txt",
            content.len()
        )
    );
    assert_eq!(
        fs::read_to_string(h.ws().join("notes/log.txt")).unwrap(),
        content
    );

    let (text, _) = h
        .ok(
            "read",
            json!({ "path": "notes/log.txt", "offset": 10, "limit": 3 }),
        )
        .await;
    assert_eq!(
        text,
        "row 10\nrow 11\nrow 12\n\n[18 more lines in file. Use offset=13 to continue.]"
    );
    let abs = h.ws().join("notes/log.txt");
    let (text, _) = h
        .ok(
            "read",
            json!({ "path": abs.to_str().unwrap(), "offset": "29" }),
        )
        .await;
    assert_eq!(text, "row 29\nrow 30");

    // What read returns is the file's text, from outside; what write says is ours.
    let read = h
        .call("read", json!({ "path": "notes/log.txt" }))
        .await
        .unwrap();
    match read.provenance {
        Provenance::Untrusted(ExternalSource::File { path }) => {
            assert!(
                path.is_absolute() && path.ends_with("notes/log.txt"),
                "{path:?}"
            );
        }
        other => panic!("read's content is a file: {other:?}"),
    }
    let wrote = h
        .call("write", json!({ "path": "b.txt", "content": "x" }))
        .await
        .unwrap();
    assert_eq!(wrote.provenance, Provenance::Trusted);
}

#[tokio::test]
async fn read_returns_images_as_attachments() {
    let h = Harness::new();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRfake".to_vec();
    fs::write(h.ws().join("pic.png"), &png).unwrap();
    let out = h.call("read", json!({ "path": "pic.png" })).await.unwrap();
    assert_eq!(crate::support::text(&out), "Read image file [image/png]");
    match &out.content[1] {
        ContentBlock::Image(img) => {
            assert_eq!(img.mime_type, "image/png");
            assert_eq!(
                base64::engine::general_purpose::STANDARD
                    .decode(&img.data)
                    .unwrap(),
                png
            );
        }
        other => panic!("expected an image, got {other:?}"),
    }
}

#[tokio::test]
async fn read_reports_missing_files_directories_and_binaries() {
    let h = Harness::new();
    assert_eq!(
        h.fails("read", json!({ "path": "nope.txt" })).await,
        "File not found: nope.txt"
    );
    fs::create_dir(h.ws().join("dir")).unwrap();
    assert!(
        h.fails("read", json!({ "path": "dir" }))
            .await
            .contains("is a directory")
    );
    fs::write(h.ws().join("blob.bin"), b"\x7fELF\0\0\0binary").unwrap();
    assert!(
        h.fails("read", json!({ "path": "blob.bin" }))
            .await
            .contains("looks like a binary file")
    );
}

#[tokio::test]
async fn file_tools_stay_inside_the_workspace() {
    let h = Harness::new();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "top secret\n").unwrap();
    symlink(outside.path(), h.ws().join("link-out")).unwrap();
    let abs_outside = outside.path().join("secret.txt");

    for (tool, args) in [
        ("read", json!({ "path": "../secret.txt" })),
        ("read", json!({ "path": abs_outside.to_str().unwrap() })),
        ("read", json!({ "path": "link-out/secret.txt" })),
        (
            "write",
            json!({ "path": "link-out/new.txt", "content": "x" }),
        ),
        (
            "write",
            json!({ "path": "a/../../escape.txt", "content": "x" }),
        ),
        (
            "edit",
            json!({ "path": "link-out/secret.txt", "oldText": "top", "newText": "no" }),
        ),
    ] {
        let message = h.fails(tool, args.clone()).await;
        let path = args["path"].as_str().unwrap();
        assert!(message.contains(path), "{tool} {path}: {message}");
        assert!(
            message.contains("outside the workspace"),
            "{tool} {path}: {message}"
        );
    }
    assert_eq!(
        fs::read_to_string(&abs_outside).unwrap(),
        "top secret\n",
        "nothing outside was touched"
    );
    assert!(!outside.path().join("new.txt").exists());
}

#[tokio::test]
async fn edit_replaces_unique_text_and_returns_a_diff() {
    let h = Harness::new();
    fs::write(
        h.ws().join("main.rs"),
        "fn main() {\n    a();\n    b();\n}\n",
    )
    .unwrap();
    let (text, details) = h
        .ok(
            "edit",
            json!({ "path": "main.rs", "oldText": "    b();", "newText": "    c();" }),
        )
        .await;
    assert_eq!(text, "Successfully replaced text in main.rs.");
    assert_eq!(
        fs::read_to_string(h.ws().join("main.rs")).unwrap(),
        "fn main() {\n    a();\n    c();\n}\n"
    );
    let details = details.unwrap();
    assert_eq!(details["firstChangedLine"], 3);
    let diff = details["diff"].as_str().unwrap();
    assert!(diff.contains("-    b();\n+    c();\n"), "{diff}");

    fs::write(h.ws().join("dup.txt"), "x\nx\n").unwrap();
    let message = h
        .fails(
            "edit",
            json!({ "path": "dup.txt", "oldText": "x", "newText": "y" }),
        )
        .await;
    assert!(message.starts_with("Found 2 occurrences"), "{message}");
    let message = h
        .fails(
            "edit",
            json!({ "path": "dup.txt", "oldText": "zzz", "newText": "y" }),
        )
        .await;
    assert!(
        message.starts_with("Could not find the exact text in dup.txt"),
        "{message}"
    );
    assert_eq!(
        fs::read_to_string(h.ws().join("dup.txt")).unwrap(),
        "x\nx\n"
    );
}

#[tokio::test]
async fn apply_patch_is_all_or_nothing() {
    let h = Harness::new();
    fs::write(h.ws().join("a.txt"), "alpha\nbeta\n").unwrap();
    let good = "*** Begin Patch\n*** Update File: a.txt\n@@\n alpha\n-beta\n+gamma\n*** Add File: b/c.txt\n+new\n*** End Patch";
    let (text, details) = h.ok("apply_patch", json!({ "input": good })).await;
    assert_eq!(
        text,
        "Success. Updated the following files:\nA b/c.txt\nM a.txt"
    );
    assert_eq!(details.unwrap()["summary"]["added"], json!(["b/c.txt"]));
    assert_eq!(
        fs::read_to_string(h.ws().join("a.txt")).unwrap(),
        "alpha\ngamma\n"
    );
    assert_eq!(fs::read_to_string(h.ws().join("b/c.txt")).unwrap(), "new\n");

    let bad = "*** Begin Patch\n*** Delete File: b/c.txt\n*** Update File: a.txt\n@@\n-not there\n+x\n*** End Patch";
    let message = h.fails("apply_patch", json!({ "input": bad })).await;
    assert!(
        message.starts_with("Failed to find expected lines in a.txt"),
        "{message}"
    );
    assert!(
        h.ws().join("b/c.txt").exists(),
        "the delete was not applied"
    );

    let message = h
        .fails("apply_patch", json!({ "input": "just some text" }))
        .await;
    assert_eq!(
        message,
        "The first line of the patch must be '*** Begin Patch'"
    );
}

#[tokio::test]
async fn invalid_arguments_name_the_field() {
    let h = Harness::new();
    for (tool, args, field) in [
        ("read", json!({}), "path"),
        ("read", json!({ "path": "x", "offset": "soon" }), "offset"),
        ("write", json!({ "path": "x", "content": 5 }), "content"),
        ("edit", json!({ "path": "x", "oldText": "a" }), "newText"),
        ("apply_patch", json!({ "patch": "x" }), "input"),
        ("exec", json!({ "command": ["ls"] }), "command"),
        ("exec", json!({ "command": "ls", "host": "moon" }), "host"),
        ("process", json!({ "action": "dance" }), "action"),
        (
            "web_fetch",
            json!({ "url": "https://x.y", "extractMode": "pdf" }),
            "extractMode",
        ),
    ] {
        match h.call(tool, args).await {
            Err(ToolError::InvalidArguments { tool: name, detail }) => {
                assert_eq!(name, tool);
                assert!(detail.contains(field), "{tool}: {detail}");
            }
            other => panic!("{tool}: expected invalid arguments, got {other:?}"),
        }
    }
}
