//! rustyclaw's own Control UI, compiled into the binary from `ui/src` (see `build.rs`).
//!
//! Assets live under `assets/<build>/…`, where `<build>` is a hash of the whole UI tree: their
//! URLs change whenever any file does, so browsers keep them for a year without asking. The
//! page itself (`index.html`) is revalidated on every load by its ETag.

use std::borrow::Cow;
use std::io::Read;

/// One embedded file.
pub(super) struct Asset {
    /// Path below `ui/src`, `/`-separated.
    pub path: &'static str,
    /// The file: as written for `index.html` (with the build id filled in), gzipped for the rest.
    pub bytes: &'static [u8],
    /// Whether `bytes` is gzipped.
    pub gzipped: bool,
    /// Strong ETag of the file as written.
    pub etag: &'static str,
}

impl Asset {
    /// The file as written: inflated when it is stored gzipped (for the rare client that does
    /// not take gzip). The build wrote the gzip, so it always inflates.
    pub(super) fn plain(&self) -> Cow<'static, [u8]> {
        if !self.gzipped {
            return Cow::Borrowed(self.bytes);
        }
        let mut out = Vec::new();
        match flate2::read::GzDecoder::new(self.bytes).read_to_end(&mut out) {
            Ok(_) => Cow::Owned(out),
            Err(error) => {
                tracing::warn!(%error, path = self.path, "an embedded UI file does not inflate");
                Cow::Owned(Vec::new())
            }
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/control_ui_assets.rs"));

/// The embedded file at `path` (below `ui/src`).
pub(super) fn find(path: &str) -> Option<&'static Asset> {
    ASSETS
        .binary_search_by(|asset| asset.path.cmp(path))
        .ok()
        .map(|index| &ASSETS[index])
}

/// The page every UI route loads.
pub(super) fn index() -> Option<&'static Asset> {
    find("index.html")
}

/// What `assets/<rest>` names: the file for the current build, `None` for another build's
/// path (a page open across an upgrade reloads rather than mixing versions) or a missing file.
pub(super) fn versioned(rest: &str) -> Option<&'static Asset> {
    let (build, path) = rest.split_once('/')?;
    (build == BUILD).then(|| find(path)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_names_the_current_build() {
        assert!(ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        let index = index().expect("ui/src/index.html is embedded");
        assert!(
            !index.gzipped,
            "the page is rewritten per request, so kept as written"
        );
        let page = std::str::from_utf8(index.bytes).expect("utf-8 page");
        assert!(
            page.contains(BUILD),
            "index.html names its assets under the build id"
        );
        assert!(!page.contains("%BUILD%"));
    }

    #[test]
    fn assets_resolve_only_under_the_current_build() {
        let first = ASSETS
            .iter()
            .find(|a| a.path != "index.html")
            .expect("the UI has assets besides its page");
        assert!(versioned(&format!("{BUILD}/{}", first.path)).is_some());
        assert!(first.gzipped && !first.plain().is_empty());
        assert!(versioned(&format!("0000000000000000/{}", first.path)).is_none());
        assert!(versioned(&format!("{BUILD}/missing.js")).is_none());
    }
}
