//! The `media` argument of a send: a remote URL passed on as it is, or a file that must lie in
//! the workspace, like every file the tools touch.

use std::path::Path;

use rustyclaw_protocol::reply::MediaRef;

use crate::fs::paths::{self, FinalLink};
use crate::tool::ToolError;

/// The attachment `media` names, checked.
pub(super) async fn resolve(workspace: &Path, media: &str) -> Result<MediaRef, ToolError> {
    let lower = media.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(MediaRef::Url(media.to_owned()));
    }
    if lower.starts_with("data:") {
        return Err(invalid(
            "data: URLs are not supported; write the file into the workspace and give its path",
        ));
    }
    let path = match media.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("file://") => &media[7..],
        _ if media.contains("://") => {
            return Err(invalid(
                "give an http(s) URL or the path of a file in the workspace",
            ));
        }
        _ => media,
    };
    let resolved =
        paths::resolve(workspace, path, FinalLink::Follow).map_err(|e| invalid(&e.to_string()))?;
    match tokio::fs::metadata(&resolved).await {
        Ok(meta) if meta.is_file() => Ok(MediaRef::Path(resolved)),
        Ok(_) => Err(invalid(&format!("'{path}' is not a file"))),
        Err(e) => Err(invalid(&format!("cannot read '{path}': {e}"))),
    }
}

fn invalid(detail: &str) -> ToolError {
    ToolError::InvalidArguments {
        tool: super::NAME.to_owned(),
        detail: format!("media: {detail}"),
    }
}
