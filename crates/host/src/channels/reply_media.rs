//! `MEDIA:` lines of a reply (the system prompt asks the model to put each attachment on its
//! own line as `MEDIA:<path-or-url>`, as OpenClaw's does) turned into the payload's media.
//!
//! A URL is sent as it is. A local path is sent only when it is inside the agent's workspace or
//! the received-media directory (what the agent may read anyway): a model talked into naming
//! `/etc/shadow` or a key file must not be able to post it to a chat. A path refused, or a file
//! that does not exist, leaves a short note in the text instead, so nothing vanishes silently.

use std::path::{Path, PathBuf};

use rustyclaw_protocol::reply::{MediaRef, ReplyPayload};

/// `payload` with its `MEDIA:` lines taken out of the text into its media; local files are
/// accepted under `roots` only (relative paths are read from the first root).
pub(crate) fn split_media(payload: &ReplyPayload, roots: &[PathBuf]) -> ReplyPayload {
    if !payload.text.contains("MEDIA:") {
        return payload.clone();
    }
    let roots: Vec<PathBuf> = roots
        .iter()
        .filter_map(|root| root.canonicalize().ok())
        .collect();
    let mut media = payload.media.clone();
    let mut lines = Vec::new();
    for line in payload.text.lines() {
        let Some(value) = line.trim().strip_prefix("MEDIA:") else {
            lines.push(line.to_owned());
            continue;
        };
        let value = value
            .trim()
            .trim_matches(|c| c == '`' || c == '"' || c == '\'')
            .trim();
        if value.is_empty() {
            continue;
        }
        if value.starts_with("https://") || value.starts_with("http://") {
            media.push(MediaRef::Url(value.to_owned()));
            continue;
        }
        match local_file(value, &roots) {
            Ok(path) => media.push(MediaRef::Path(path)),
            Err(why) => lines.push(format!("({why})")),
        }
    }
    ReplyPayload {
        text: lines.join("\n").trim_end().to_owned(),
        media,
        reply_to_id: payload.reply_to_id.clone(),
    }
}

fn local_file(value: &str, roots: &[PathBuf]) -> Result<PathBuf, String> {
    let raw = Path::new(value.strip_prefix("file://").unwrap_or(value));
    let name = raw
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| value.to_owned());
    let joined = match (raw.is_absolute(), roots.first()) {
        (true, _) => raw.to_path_buf(),
        (false, Some(root)) => root.join(raw),
        (false, None) => return Err(format!("{name} was not sent: no workspace to find it in")),
    };
    let path = joined
        .canonicalize()
        .map_err(|_| format!("{name} was not sent: no such file"))?;
    if !path.is_file() {
        return Err(format!("{name} was not sent: not a file"));
    }
    if roots.iter().any(|root| path.starts_with(root)) {
        Ok(path)
    } else {
        Err(format!("{name} was not sent: it is outside the workspace"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_lines_become_attachments_within_the_workspace_only() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = dir.path().join("workspace");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::write(workspace.join("chart.png"), b"png").unwrap();
        std::fs::write(dir.path().join("secret.key"), b"key").unwrap();
        let payload = ReplyPayload::text(
            format!(
                "Here it is.\nMEDIA: chart.png\nMEDIA:`https://example.com/a.jpg`\nMEDIA:{}\nMEDIA:/nope/x.png",
                dir.path().join("secret.key").display()
            ),
            None,
        );
        let split = split_media(&payload, std::slice::from_ref(&workspace));
        assert_eq!(
            split.media,
            [
                MediaRef::Path(workspace.join("chart.png").canonicalize().unwrap()),
                MediaRef::Url("https://example.com/a.jpg".into()),
            ]
        );
        assert_eq!(
            split.text,
            "Here it is.\n(secret.key was not sent: it is outside the workspace)\n(x.png was not sent: no such file)"
        );
        let plain = ReplyPayload::text("no media here".into(), None);
        assert_eq!(split_media(&plain, &[workspace]), plain);
    }
}
