//! The log file writer: one file per UTC day, `<stem>.<YYYY-MM-DD>.<ext>` (or the one file the
//! config names), readable by its owner only.
//!
//! Log lines carry session keys, tool summaries, paths and errors, so each file is created 0600
//! in a directory created 0700 (an existing file left readable by an older version is made
//! private when it is opened). `tracing-appender`'s rolling writer creates its files with the
//! default mode and has no way to change it, hence this writer; the names are the ones it used,
//! so `logs.tail` finds old and new files alike.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use time::{Date, OffsetDateTime};

/// A writer appending to the current day's log file.
pub(super) struct DailyFile {
    dir: PathBuf,
    stem: String,
    ext: String,
    /// How many daily files are kept, the current one included.
    keep: usize,
    current: Option<(Date, File)>,
    /// Writing one named file (`logging.file` set in the config), never rotated by day.
    exact: bool,
}

impl DailyFile {
    /// A writer for `<dir>/<stem>.<date>.<ext>`; creates `dir` (0700) and opens today's file,
    /// so a directory that cannot be written is found now rather than at the first line.
    pub(super) fn open(dir: &Path, stem: &str, ext: &str, keep: usize) -> io::Result<Self> {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let mut writer = Self {
            dir: dir.to_path_buf(),
            stem: stem.to_owned(),
            ext: ext.to_owned(),
            keep: keep.max(1),
            current: None,
            exact: false,
        };
        writer.file_for(today())?;
        Ok(writer)
    }

    /// A writer appending to `path` itself (created 0600 in a directory created 0700).
    pub(super) fn exact(path: &Path) -> io::Result<Self> {
        let dir = path.parent().unwrap_or(Path::new("."));
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        let _ = make_private(&file);
        Ok(Self {
            dir: dir.to_path_buf(),
            stem: String::new(),
            ext: String::new(),
            keep: 1,
            current: Some((today(), file)),
            exact: true,
        })
    }

    fn name(&self, date: Date) -> String {
        format!(
            "{}.{:04}-{:02}-{:02}.{}",
            self.stem,
            date.year(),
            u8::from(date.month()),
            date.day(),
            self.ext
        )
    }

    /// The file for `date`, opened (and older files pruned) when the day changed.
    fn file_for(&mut self, date: Date) -> io::Result<&mut File> {
        let stale = !self.exact && self.current.as_ref().is_none_or(|(day, _)| *day != date);
        if stale {
            let path = self.dir.join(self.name(date));
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .mode(0o600)
                .open(&path)?;
            // A file someone else owns cannot be changed; logging to it beats not logging.
            let _ = make_private(&file);
            self.current = Some((date, file));
            self.prune();
        }
        match &mut self.current {
            Some((_, file)) => Ok(file),
            None => Err(io::Error::other("no log file is open")),
        }
    }

    /// Deletes all but the newest `keep` daily files and makes the kept ones private.
    /// Failures are ignored: the log must not stop because an old file cannot be removed.
    fn prune(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("{}.", self.stem);
        let suffix = format!(".{}", self.ext);
        let mut days: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| {
                name.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(&suffix))
                    .is_some_and(is_date)
            })
            .collect();
        // ISO dates sort by name.
        days.sort_unstable();
        let excess = days.len().saturating_sub(self.keep);
        for (i, name) in days.iter().enumerate() {
            let path = self.dir.join(name);
            if i < excess {
                let _ = std::fs::remove_file(&path);
            } else if let Ok(file) = File::open(&path) {
                let _ = make_private(&file);
            }
        }
    }
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file_for(today())?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.current {
            Some((_, file)) => file.flush(),
            None => Ok(()),
        }
    }
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

fn make_private(file: &File) -> io::Result<()> {
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_private_in_a_private_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state").join("logs");
        let mut writer = DailyFile::open(&dir, "rustyclaw", "jsonl", 14).unwrap();
        writer.write_all(b"{\"a\":1}\n").unwrap();
        writer.flush().unwrap();
        let today = dir.join(writer.name(today()));
        assert_eq!(std::fs::read_to_string(&today).unwrap(), "{\"a\":1}\n");
        assert_eq!(mode(&today), 0o600);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(dir.parent().unwrap()), 0o700);
    }

    #[test]
    fn old_days_are_pruned_and_kept_ones_made_private() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        for day in ["2020-01-01", "2020-01-02", "2020-01-03"] {
            let path = dir.join(format!("app.{day}.log"));
            std::fs::write(&path, day).unwrap();
            std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        }
        std::fs::write(dir.join("app.notes.log"), "kept").unwrap();
        let writer = DailyFile::open(dir, "app", "log", 3).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let current = writer.name(today());
        assert_eq!(
            names,
            [
                "app.2020-01-02.log".to_owned(),
                "app.2020-01-03.log".to_owned(),
                current,
                "app.notes.log".to_owned(),
            ]
        );
        assert_eq!(mode(&dir.join("app.2020-01-03.log")), 0o600);
    }
}
