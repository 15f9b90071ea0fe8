//! Files sent with `chat.send` (`attachments: [{type?, mimeType, fileName?, content}]`, the
//! content base64, as OpenClaw's Control UI and apps send them): checked, then saved owner-only
//! under the state directory (`media/inbound/webchat/`) as a chat channel saves what it
//! receives, so the run shows an image to the model and the agent can open any other file.
//!
//! Limits are upstream's `policy.attachments`: 6 MiB per image, 20 MiB in all.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustyclaw_protocol::attachment::{AttachmentKind, InboundAttachment};
use serde_json::Value;

/// The largest image (upstream `maxImageBytes`).
pub(crate) const MAX_IMAGE_BYTES: usize = 6 * 1024 * 1024;
/// The largest total of a message's attachments (upstream `maxBytes`).
pub(crate) const MAX_TOTAL_BYTES: usize = 20 * 1024 * 1024;
/// The most attachments one message may carry.
const MAX_COUNT: usize = 16;

/// An attachment decoded from the request, not yet saved.
#[derive(Debug)]
pub(crate) struct Upload {
    kind: AttachmentKind,
    mime_type: Option<String>,
    file_name: Option<String>,
    bytes: Vec<u8>,
}

/// The `attachments` parameter decoded and checked; an error names the offending entry.
pub(crate) fn decode(params: &Value) -> Result<Vec<Upload>, String> {
    let Some(list) = params.get("attachments") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err("attachments must be an array".into());
    };
    if list.len() > MAX_COUNT {
        return Err(format!("at most {MAX_COUNT} attachments per message"));
    }
    let mut total = 0usize;
    let mut out = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let at = |what: &str| format!("attachments[{index}]: {what}");
        let content = entry
            .get("content")
            .and_then(Value::as_str)
            .ok_or_else(|| at("content must be base64 text"))?;
        // A data URL's header is accepted and dropped.
        let content = content
            .split_once(";base64,")
            .map_or(content, |(_, data)| data);
        let bytes = STANDARD
            .decode(content.trim())
            .map_err(|_| at("content is not valid base64"))?;
        let mime_type = entry
            .get("mimeType")
            .and_then(Value::as_str)
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| !m.is_empty());
        let declared = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = if declared == "image"
            || mime_type
                .as_deref()
                .is_some_and(|m| m.starts_with("image/"))
        {
            AttachmentKind::Image
        } else if mime_type
            .as_deref()
            .is_some_and(|m| m.starts_with("audio/"))
        {
            AttachmentKind::Audio
        } else if mime_type
            .as_deref()
            .is_some_and(|m| m.starts_with("video/"))
        {
            AttachmentKind::Video
        } else {
            AttachmentKind::File
        };
        if kind == AttachmentKind::Image && bytes.len() > MAX_IMAGE_BYTES {
            return Err(at(&format!(
                "the image is {} bytes; at most {MAX_IMAGE_BYTES} are accepted",
                bytes.len()
            )));
        }
        total += bytes.len();
        if total > MAX_TOTAL_BYTES {
            return Err(format!(
                "attachments add up to more than {MAX_TOTAL_BYTES} bytes"
            ));
        }
        let file_name = entry
            .get("fileName")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|n| !n.trim().is_empty());
        out.push(Upload {
            kind,
            mime_type,
            file_name,
            bytes,
        });
    }
    Ok(out)
}

/// Saves `uploads` under `<state_dir>/media/inbound/webchat/` (0700 directory, 0600 files).
pub(crate) fn save(
    state_dir: &Path,
    uploads: Vec<Upload>,
) -> std::io::Result<Vec<InboundAttachment>> {
    if uploads.is_empty() {
        return Ok(Vec::new());
    }
    let dir = state_dir.join("media").join("inbound").join("webchat");
    create_private_dir(&dir)?;
    uploads
        .into_iter()
        .map(|upload| {
            let path = dir.join(file_name(&upload));
            write_private(&path, &upload.bytes)?;
            Ok(InboundAttachment {
                kind: upload.kind,
                size_bytes: upload.bytes.len() as u64,
                path,
                mime_type: upload.mime_type,
                file_name: upload.file_name,
            })
        })
        .collect()
}

/// A unique name keeping a safe extension.
fn file_name(upload: &Upload) -> String {
    let extension = upload
        .file_name
        .as_deref()
        .and_then(|n| Path::new(n).extension())
        .and_then(|e| e.to_str())
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase)
        .or_else(|| {
            Some(
                match upload.mime_type.as_deref() {
                    Some("image/png") => "png",
                    Some("image/jpeg") => "jpg",
                    Some("image/gif") => "gif",
                    Some("image/webp") => "webp",
                    Some("application/pdf") => "pdf",
                    Some("text/plain") => "txt",
                    _ => "bin",
                }
                .to_owned(),
            )
        })
        .unwrap_or_else(|| "bin".to_owned());
    let mut random = [0u8; 8];
    let _ = getrandom::fill(&mut random);
    format!(
        "{}-{}.{extension}",
        crate::clock::now_ms(),
        hex::encode(random)
    )
}

fn create_private_dir(dir: &PathBuf) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attachments_decode_with_their_kind_or_name_the_bad_entry() {
        let png = STANDARD.encode(b"\x89PNG fake");
        let uploads = decode(&json!({"attachments": [
            {"type": "image", "mimeType": "image/png", "content": png},
            {"mimeType": "text/plain", "fileName": "notes.txt", "content": format!("data:text/plain;base64,{}", STANDARD.encode("hi"))},
        ]}))
        .unwrap();
        assert_eq!(uploads[0].kind, AttachmentKind::Image);
        assert_eq!(uploads[1].kind, AttachmentKind::File);
        assert_eq!(uploads[1].bytes, b"hi");
        let error = decode(&json!({"attachments": [{"content": "%%%"}]})).unwrap_err();
        assert_eq!(error, "attachments[0]: content is not valid base64");
        let big = STANDARD.encode(vec![0u8; MAX_IMAGE_BYTES + 1]);
        let error = decode(&json!({"attachments": [{"mimeType": "image/png", "content": big}]}))
            .unwrap_err();
        assert!(error.contains("at most"), "{error}");
    }

    #[test]
    fn saved_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let uploads = decode(
            &json!({"attachments": [{"mimeType": "image/png", "content": STANDARD.encode("x")}]}),
        )
        .unwrap();
        let saved = save(dir.path(), uploads).unwrap();
        let mode = std::fs::metadata(&saved[0].path)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(saved[0].path.extension().is_some_and(|e| e == "png"));
    }
}
