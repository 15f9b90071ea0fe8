//! Binary / install size: rustyclaw's stripped release binary against OpenClaw's installed
//! package tree plus the Node runtime that runs it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Bench, mb};
use crate::report::{Figure, Goal};
use crate::target::Kind;

/// Measures the size figure.
pub async fn size(bench: &mut Bench) -> Result<Figure> {
    let mut figure = Figure::new(
        "size",
        "Binary / install size",
        "rustyclaw: the stripped release binary (default features), which is the whole install. \
         OpenClaw: its npm install tree (`openclaw` and every dependency, as `npm install` \
         leaves it) plus the Node.js runtime directory it needs. MB = 10⁶ bytes.",
    );
    if let Some(target) = bench.target(Kind::RustyClaw) {
        let bytes = std::fs::metadata(&target.program)
            .with_context(|| format!("reading {}", target.program.display()))?
            .len();
        figure
            .row("install", "MB")
            .set(Kind::RustyClaw, &[mb(bytes)]);
        let row = figure.row("install", "MB");
        row.goal = Some(Goal::AtMost(15.0));
    }
    if let Some(target) = bench.target(Kind::OpenClaw) {
        let script = target
            .script
            .clone()
            .context("OpenClaw target without its script")?;
        let tree = install_root(&script);
        let runtime = node_runtime_root(&target.program);
        let tree_bytes = dir_size(&tree)?;
        let node_bytes = dir_size(&runtime)?;
        figure
            .row("install", "MB")
            .set(Kind::OpenClaw, &[mb(tree_bytes + node_bytes)]);
        figure
            .row("of which the runtime (Node.js)", "MB")
            .set(Kind::OpenClaw, &[mb(node_bytes)]);
        figure.notes.push(format!(
            "OpenClaw's tree is `{}` ({} MB) and Node.js `{}` ({} MB).",
            tree.display(),
            crate::report::number(mb(tree_bytes)),
            runtime.display(),
            crate::report::number(mb(node_bytes))
        ));
    }
    Ok(figure)
}

/// The npm prefix holding `…/node_modules/openclaw/openclaw.mjs`: the directory above the
/// outermost `node_modules`.
fn install_root(script: &Path) -> PathBuf {
    script
        .ancestors()
        .filter(|a| a.file_name().is_some_and(|n| n == "node_modules"))
        .last()
        .and_then(Path::parent)
        .unwrap_or_else(|| script.parent().unwrap_or(script))
        .to_owned()
}

/// The Node.js installation a `node` binary belongs to (`<root>/bin/node` → `<root>`).
fn node_runtime_root(node: &Path) -> PathBuf {
    let resolved = std::fs::canonicalize(node).unwrap_or_else(|_| node.to_owned());
    resolved
        .parent()
        .and_then(Path::parent)
        .unwrap_or(&resolved)
        .to_owned()
}

/// Bytes of every regular file under `dir`, symlinks not followed (each file counted once).
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if meta.is_dir() {
            for entry in
                std::fs::read_dir(&path).with_context(|| format!("listing {}", path.display()))?
            {
                stack.push(entry?.path());
            }
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_root_is_above_the_outermost_node_modules() {
        let script = Path::new("/x/openclaw/node_modules/openclaw/openclaw.mjs");
        assert_eq!(install_root(script), Path::new("/x/openclaw"));
    }

    #[test]
    fn a_directory_size_counts_every_file_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 1000]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), [0u8; 24]).unwrap();
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("link")).unwrap();
        assert_eq!(dir_size(dir.path()).unwrap(), 1024);
    }
}
