//! Received attachments saved under the state directory (`media/inbound/<channel>/<account>/`),
//! owner-only, so the run can show an image to the model and the agent can open a file.

use std::path::{Path, PathBuf};

use rustyclaw_channels::account::{ChannelAccount, ReceivedAttachment};
use rustyclaw_protocol::attachment::{AttachmentKind, InboundAttachment};

use super::hub::{AccountKey, Hub};

/// Downloads `attachment` through `adapter` within `max_bytes` and describes the saved file.
pub(crate) async fn save(
    hub: &Hub,
    adapter: &dyn ChannelAccount,
    key: &AccountKey,
    attachment: &ReceivedAttachment,
    max_bytes: u64,
) -> Result<InboundAttachment, String> {
    if let Some(size) = attachment.size_bytes
        && size > max_bytes
    {
        return Err(format!(
            "{size} bytes is more than mediaMaxMb allows ({max_bytes} bytes)"
        ));
    }
    let dir = hub
        .media_dir
        .join(safe_component(&key.channel))
        .join(safe_component(&key.account));
    create_private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(file_name(attachment));
    let size_bytes = adapter
        .download(attachment, &path, max_bytes)
        .await
        .map_err(|e| e.to_string())?;
    Ok(InboundAttachment {
        kind: attachment.kind,
        path,
        mime_type: attachment.mime_type.clone(),
        file_name: attachment.file_name.clone(),
        size_bytes,
    })
}

/// A unique file name keeping the original's extension (or one from the type).
fn file_name(attachment: &ReceivedAttachment) -> String {
    let extension = attachment
        .file_name
        .as_deref()
        .and_then(|name| Path::new(name).extension())
        .and_then(|ext| ext.to_str())
        .map(safe_component)
        .or_else(|| {
            extension_of(attachment.mime_type.as_deref(), attachment.kind).map(str::to_owned)
        })
        .unwrap_or_else(|| "bin".to_owned());
    format!(
        "{}-{:016x}.{extension}",
        rustyclaw_support::now_ms(),
        fastrand::u64(..)
    )
}

fn extension_of(mime: Option<&str>, kind: AttachmentKind) -> Option<&'static str> {
    Some(match mime {
        Some("image/jpeg") => "jpg",
        Some("image/png") => "png",
        Some("image/gif") => "gif",
        Some("image/webp") => "webp",
        Some("audio/ogg") => "ogg",
        Some("audio/mpeg") => "mp3",
        Some("video/mp4") => "mp4",
        Some("application/pdf") => "pdf",
        _ => match kind {
            AttachmentKind::Image => "jpg",
            AttachmentKind::Voice => "ogg",
            _ => return None,
        },
    })
}

/// `text` reduced to characters safe in a file name.
fn safe_component(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "_".to_owned()
    } else {
        cleaned
    }
}

fn create_private_dir(dir: &PathBuf) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_names_are_unique_and_safe() {
        let attachment = ReceivedAttachment {
            kind: AttachmentKind::File,
            file_id: "x".into(),
            file_name: Some("../../etc/pass wd.t/xt".into()),
            mime_type: None,
            size_bytes: None,
        };
        let name = file_name(&attachment);
        assert!(!name.contains('/') && name.ends_with(".bin"), "{name}");
        let photo = ReceivedAttachment {
            kind: AttachmentKind::Image,
            file_id: "p".into(),
            file_name: None,
            mime_type: Some("image/png".into()),
            size_bytes: None,
        };
        assert!(file_name(&photo).ends_with(".png"));
        assert_ne!(file_name(&photo), file_name(&photo));
        assert_eq!(safe_component("a/b c"), "a_b_c");
    }
}
