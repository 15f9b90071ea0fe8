//! Embeds the Control UI (`ui/src` at the repository root) into the gateway.
//!
//! Every file is read once, here, when the gateway is compiled: the whole tree is hashed into a
//! build id, `index.html` gets that id in place of `%BUILD%` (so the page names its assets under
//! a path that changes whenever any of them does, and browsers may cache those forever), and
//! every other file is gzipped at the best level. The generated table (`control_ui_assets.rs`
//! in `OUT_DIR`) holds one copy of each file; nothing is read from disk at run time and no
//! Node.js is needed to build.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A build-script failure, reported by cargo with the script's output.
type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    embed()
}

/// A variable cargo sets for build scripts.
fn cargo_var(name: &str) -> Result<PathBuf, Failure> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .ok_or_else(|| format!("cargo did not set {name}").into())
}

fn embed() -> Result<(), Failure> {
    let manifest = cargo_var("CARGO_MANIFEST_DIR")?;
    let out = cargo_var("OUT_DIR")?;
    let root = manifest.join("../../ui/src");
    println!("cargo:rerun-if-changed={}", root.display());

    let mut files = Vec::new();
    collect(&root, &root, &mut files)?;
    files.sort();
    for (_, path) in &files {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    let mut tree = Sha256::new();
    let mut contents = Vec::new();
    for (name, path) in &files {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        tree.update(name.as_bytes());
        tree.update([0]);
        tree.update((bytes.len() as u64).to_le_bytes());
        tree.update(&bytes);
        contents.push((name.clone(), bytes));
    }
    let build = hex::encode(&tree.finalize()[..8]);
    // Every module of the app (not the vendored ones, loaded only where WebCrypto is missing)
    // is announced in the page, so the browser fetches them all at once instead of one import
    // level after another.
    let preload: String = files
        .iter()
        .filter(|(name, _)| {
            name.starts_with("app/") && name.ends_with(".js") && name != "app/main.js"
        })
        .map(|(name, _)| format!("<link rel=\"modulepreload\" href=\"assets/%BUILD%/{name}\">\n"))
        .collect();

    let assets_dir = out.join("control-ui");
    std::fs::create_dir_all(&assets_dir)?;
    let mut table = String::new();
    writeln!(
        table,
        "/// Content hash of the whole UI tree: the versioned asset path segment."
    )
    .ok();
    writeln!(table, "pub(super) const BUILD: &str = {build:?};").ok();
    writeln!(table, "/// Every embedded file, sorted by path.").ok();
    writeln!(table, "pub(super) static ASSETS: &[Asset] = &[").ok();
    for (index, (name, bytes)) in contents.into_iter().enumerate() {
        let bytes = if name == "index.html" {
            String::from_utf8(bytes)
                .map_err(|_| "ui/src/index.html is not UTF-8")?
                .replace("%PRELOAD%", &preload)
                .replace("%BUILD%", &build)
                .into_bytes()
        } else {
            bytes
        };
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..12]));
        // The page is rewritten per request (its base path), so it is kept as written; every
        // other file only gzipped (every browser takes gzip; the rare client that does not gets
        // it inflated), which keeps one copy of each in the binary.
        let (stored, gzipped) = if name == "index.html" {
            (bytes, false)
        } else {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&bytes)?;
            (gz.finish()?, true)
        };
        let path = assets_dir.join(format!("{index}.bin"));
        std::fs::write(&path, &stored)?;
        writeln!(
            table,
            "    Asset {{ path: {name:?}, bytes: include_bytes!({:?}), gzipped: {gzipped}, etag: {etag:?} }},",
            path.display().to_string(),
        )
        .ok();
    }
    writeln!(table, "];").ok();
    std::fs::write(out.join("control_ui_assets.rs"), table)?;
    Ok(())
}

/// Every file under `dir`, as (path relative to `root` with `/` separators, full path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path));
        }
    }
    Ok(())
}
