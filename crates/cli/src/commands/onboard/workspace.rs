//! Seeding the agent workspace with its bootstrap files.
//!
//! The files are rustyclaw's own text (embedded at build time). Existing files are never
//! overwritten: the workspace belongs to the user.

use std::path::Path;

/// The bootstrap files written into a new workspace, in the order they are listed.
pub const BOOTSTRAP_FILES: &[(&str, &str)] = &[
    ("AGENTS.md", include_str!("../../../templates/AGENTS.md")),
    ("SOUL.md", include_str!("../../../templates/SOUL.md")),
    ("USER.md", include_str!("../../../templates/USER.md")),
    (
        "IDENTITY.md",
        include_str!("../../../templates/IDENTITY.md"),
    ),
    ("TOOLS.md", include_str!("../../../templates/TOOLS.md")),
    (
        "HEARTBEAT.md",
        include_str!("../../../templates/HEARTBEAT.md"),
    ),
];

/// What seeding did.
#[derive(Debug, Default, serde::Serialize)]
pub struct SeedReport {
    /// Files created.
    pub created: Vec<String>,
    /// Files that already existed and were left alone.
    pub kept: Vec<String>,
}

/// Creates the workspace (and `memory/`) and writes missing bootstrap files.
pub fn seed(workspace: &Path) -> std::io::Result<SeedReport> {
    std::fs::create_dir_all(workspace.join("memory"))?;
    let mut report = SeedReport::default();
    for (name, text) in BOOTSTRAP_FILES {
        let path = workspace.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                report.created.push((*name).to_owned());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                report.kept.push((*name).to_owned())
            }
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_missing_files_and_keeps_existing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("workspace");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(ws.join("SOUL.md"), "mine").unwrap();
        let report = seed(&ws).unwrap();
        assert_eq!(report.kept, ["SOUL.md"]);
        assert_eq!(report.created.len(), BOOTSTRAP_FILES.len() - 1);
        assert_eq!(std::fs::read_to_string(ws.join("SOUL.md")).unwrap(), "mine");
        assert!(
            std::fs::read_to_string(ws.join("AGENTS.md"))
                .unwrap()
                .contains("workspace")
        );
        assert!(ws.join("memory").is_dir());
    }
}
