//! Judging one command: allow it, deny it, or ask a human — and, once asked, what the answer
//! (or the lack of one) means.
//!
//! The rules are upstream's. `security=deny` refuses everything. In `allowlist` mode a command
//! is covered when it can be analysed and every segment's executable matches an allowlist
//! pattern or is a safe bin used on standard input only. `ask=always` asks for everything,
//! `ask=on-miss` asks in allowlist mode when the command is not covered, `ask=off` never asks
//! (an uncovered command is then denied). When a human should answer but none does — nobody is
//! listening, or the request expires — `askFallback` decides: `deny` refuses, `allowlist` runs
//! only what the allowlist covers, `full` runs it.
//!
//! A covered command does not run as written: each segment's program is pinned to the absolute
//! path that was checked, so nothing between the check and the run (a `PATH` change, a shell
//! function) can substitute another program.

use std::ffi::OsStr;
use std::path::Path;

use super::broker::{Answer, Decision};
use super::file::ScopedEntry;
use super::pattern;
use super::policy::{Policy, Security};
use super::resolve::{self, Resolved, Unresolved};
use super::safe_bins::SafeBins;
use super::shell::{self, Segment};

/// Where commands run, as far as resolving their programs is concerned.
#[derive(Debug, Clone, Copy)]
pub struct ExecTarget<'a> {
    /// The commands' `PATH`.
    pub search_path: &'a OsStr,
    /// The home directory `~` in allowlist patterns stands for.
    pub home: Option<&'a Path>,
    /// The safe bins in force.
    pub safe_bins: &'a SafeBins,
}

/// Why a segment is or is not covered.
#[derive(Debug, Clone, PartialEq)]
pub enum Coverage {
    /// An allowlist entry matches its executable.
    Allowlisted(ScopedEntry),
    /// A safe bin used on standard input only.
    SafeBin,
    /// Not covered, with the reason in words.
    Miss(String),
}

/// One segment as judged.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentCheck {
    /// The program word as written.
    pub program: String,
    /// Where it resolved, or why it did not.
    pub resolved: Result<Resolved, Unresolved>,
    /// Whether it is covered.
    pub coverage: Coverage,
}

/// How an allowed command got through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowVia {
    /// `security=full`.
    Full,
    /// Allowlist entries (their ids) covered at least one segment; safe bins may cover others.
    Allowlist(Vec<String>),
    /// Every segment is a safe bin.
    SafeBin,
}

/// The first judgement of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Run it.
    Allow {
        /// Why.
        via: AllowVia,
    },
    /// Refuse it.
    Deny {
        /// Why, for the model and the logs.
        reason: String,
    },
    /// Ask a human first.
    Ask {
        /// Why approval is needed.
        reason: String,
    },
}

/// What to do once a human answered (or did not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// Run `command`, after adding `persist` patterns to the allowlist (`allow-always`).
    Run {
        /// The command line to run.
        command: String,
        /// Canonical executable paths to add to the agent's allowlist.
        persist: Vec<String>,
    },
    /// Refuse it.
    Deny {
        /// Why, for the model and the logs.
        reason: String,
    },
}

/// A command judged against a policy and an allowlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The command as given.
    pub command: String,
    /// The effective policy it was judged by.
    pub policy: Policy,
    /// The judgement.
    pub verdict: Verdict,
    /// Why the command could not be analysed, if it could not.
    pub unanalysable: Option<String>,
    /// Each segment (empty when unanalysable).
    pub segments: Vec<SegmentCheck>,
    /// Analysable, and every segment covered.
    pub covered: bool,
    /// The command with every program pinned to its checked path (when covered).
    pinned: Option<String>,
}

/// Judges `command`.
pub fn evaluate(
    command: &str,
    policy: Policy,
    allowlist: &[ScopedEntry],
    target: &ExecTarget<'_>,
) -> Evaluation {
    let (segments, unanalysable, pinned) = match shell::split(command) {
        Ok(parsed) => {
            let checks: Vec<SegmentCheck> = parsed
                .iter()
                .map(|s| check_segment(s, allowlist, target))
                .collect();
            let pinned = pin(&parsed, &checks);
            (checks, None, pinned)
        }
        Err(e) => (Vec::new(), Some(e.reason), None),
    };
    let covered = unanalysable.is_none()
        && segments
            .iter()
            .all(|s| !matches!(s.coverage, Coverage::Miss(_)));
    let miss = || match &unanalysable {
        Some(reason) => format!("the command cannot be analysed: {reason}"),
        None => segments
            .iter()
            .find_map(|s| match &s.coverage {
                Coverage::Miss(why) => Some(why.clone()),
                _ => None,
            })
            .unwrap_or_default(),
    };
    let verdict = match (policy.security, policy.ask) {
        (Security::Deny, _) => Verdict::Deny {
            reason: "security=deny".into(),
        },
        (_, super::policy::Ask::Always) => Verdict::Ask {
            reason: "ask=always".into(),
        },
        (Security::Allowlist, super::policy::Ask::OnMiss) if !covered => Verdict::Ask {
            reason: format!("allowlist miss: {}", miss()),
        },
        (Security::Allowlist, _) if !covered => Verdict::Deny {
            reason: format!("allowlist miss: {}", miss()),
        },
        (Security::Allowlist, _) => Verdict::Allow {
            via: allowed_via(&segments),
        },
        (Security::Full, _) => Verdict::Allow {
            via: AllowVia::Full,
        },
    };
    Evaluation {
        command: command.to_owned(),
        policy,
        verdict,
        unanalysable,
        segments,
        covered,
        pinned: pinned.filter(|_| covered),
    }
}

fn check_segment(
    segment: &Segment,
    allowlist: &[ScopedEntry],
    target: &ExecTarget<'_>,
) -> SegmentCheck {
    let Some((program, args)) = segment.words.split_first() else {
        return SegmentCheck {
            program: String::new(),
            resolved: Err(Unresolved::NotFound(String::new())),
            coverage: Coverage::Miss("empty command".into()),
        };
    };
    let resolved = resolve::resolve(program, target.search_path);
    let coverage = match &resolved {
        Err(e) => Coverage::Miss(e.to_string()),
        Ok(r) => {
            let entry = allowlist.iter().find(|e| {
                !e.entry.restricts_arguments()
                    && pattern::matches(&e.entry.pattern, &r.canonical, target.home)
            });
            match entry {
                Some(e) => Coverage::Allowlisted(e.clone()),
                None => match target.safe_bins.profile(&r.name) {
                    Some(profile) if resolve::in_trusted_dir(r) && profile.allows(args) => {
                        Coverage::SafeBin
                    }
                    Some(_) if !resolve::in_trusted_dir(r) => Coverage::Miss(format!(
                        "{} is not on the allowlist, and as a safe bin it must live in /bin or /usr/bin",
                        r.canonical.display()
                    )),
                    Some(_) => Coverage::Miss(format!(
                        "{} is a safe bin only when it reads standard input (no file arguments or file options)",
                        r.name
                    )),
                    None => {
                        Coverage::Miss(format!("{} is not on the allowlist", r.canonical.display()))
                    }
                },
            }
        }
    };
    SegmentCheck {
        program: program.raw.clone(),
        resolved,
        coverage,
    }
}

/// The command rebuilt with each program replaced by its quoted absolute path; the arguments
/// keep their original spelling.
fn pin(segments: &[Segment], checks: &[SegmentCheck]) -> Option<String> {
    let mut out = String::new();
    for (segment, check) in segments.iter().zip(checks) {
        let resolved = check.resolved.as_ref().ok()?;
        out.push_str(&shell::quote(&resolved.path.to_string_lossy()));
        for word in segment.words.iter().skip(1) {
            out.push(' ');
            out.push_str(&word.raw);
        }
        if let Some(joiner) = segment.joiner {
            out.push(' ');
            out.push_str(joiner.as_str());
            out.push(' ');
        }
    }
    Some(out)
}

fn allowed_via(segments: &[SegmentCheck]) -> AllowVia {
    let ids: Vec<String> = segments
        .iter()
        .filter_map(|s| match &s.coverage {
            Coverage::Allowlisted(e) => Some(
                e.entry
                    .id
                    .clone()
                    .unwrap_or_else(|| e.entry.pattern.clone()),
            ),
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        AllowVia::SafeBin
    } else {
        AllowVia::Allowlist(ids)
    }
}

impl Evaluation {
    /// The command line to run when the verdict is `Allow`: pinned when the allowlist covers
    /// it, as written under `security=full`.
    pub fn command_to_run(&self) -> &str {
        self.pinned.as_deref().unwrap_or(&self.command)
    }

    /// The first segment's executable, for the approval prompt.
    pub fn resolved_path(&self) -> Option<&Path> {
        self.segments
            .first()
            .and_then(|s| s.resolved.as_ref().ok())
            .map(|r| r.path.as_path())
    }

    /// The allowlist entries that covered segments (each once), to record their use.
    pub fn matched_entries(&self) -> Vec<(&ScopedEntry, &Path)> {
        let mut out: Vec<(&ScopedEntry, &Path)> = Vec::new();
        for s in &self.segments {
            if let (Coverage::Allowlisted(e), Ok(r)) = (&s.coverage, &s.resolved)
                && !out.iter().any(|(seen, _)| *seen == e)
            {
                out.push((e, r.canonical.as_path()));
            }
        }
        out
    }

    /// What `allow-always` adds: the canonical path of every resolved segment not yet covered
    /// (upstream persists resolved executable paths, never whole command lines).
    fn always_patterns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.segments {
            if let (Coverage::Miss(_), Ok(r)) = (&s.coverage, &s.resolved) {
                let p = r.canonical.to_string_lossy().into_owned();
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out
    }

    /// What an answer to the approval request means. `allow-always` persists patterns only in
    /// allowlist mode (as upstream: under `full` with `ask=always` nothing would use them).
    pub fn settle(&self, answer: Answer) -> Settlement {
        let run = |persist: Vec<String>| Settlement::Run {
            command: self.command.clone(),
            persist,
        };
        match answer {
            Answer::Decided(Decision::AllowOnce) => run(Vec::new()),
            Answer::Decided(Decision::AllowAlways) => {
                run(if self.policy.security == Security::Allowlist {
                    self.always_patterns()
                } else {
                    Vec::new()
                })
            }
            Answer::Decided(Decision::Deny) => Settlement::Deny {
                reason: "the approver denied the command".into(),
            },
            Answer::NoApprover | Answer::Expired => {
                let why = match answer {
                    Answer::Expired => "the approval request expired",
                    _ => "the command needs an approval and no approver is available",
                };
                match self.policy.ask_fallback {
                    Security::Full => run(Vec::new()),
                    Security::Allowlist if self.covered => Settlement::Run {
                        command: self.command_to_run().to_owned(),
                        persist: Vec::new(),
                    },
                    Security::Allowlist => Settlement::Deny {
                        reason: format!(
                            "{why} (askFallback=allowlist, and the allowlist does not cover it)"
                        ),
                    },
                    Security::Deny => Settlement::Deny {
                        reason: format!("{why} (askFallback=deny)"),
                    },
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::path::PathBuf;

    use super::*;
    use crate::approvals::file::AllowlistEntry;
    use crate::approvals::policy::Ask;

    struct Host {
        dir: tempfile::TempDir,
        path: std::ffi::OsString,
        safe_bins: SafeBins,
    }

    impl Host {
        /// `bin/` with `tool` and `other`, first on a PATH that then has the system dirs.
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let bin = dir.path().join("bin");
            fs::create_dir_all(&bin).unwrap();
            for name in ["tool", "other"] {
                executable(&bin.join(name));
            }
            let path =
                std::env::join_paths([bin, PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
                    .unwrap();
            Host {
                dir,
                path,
                safe_bins: SafeBins::default(),
            }
        }

        fn bin(&self, name: &str) -> PathBuf {
            fs::canonicalize(self.dir.path().join("bin"))
                .unwrap()
                .join(name)
        }

        fn eval(&self, command: &str, policy: Policy, patterns: &[&str]) -> Evaluation {
            let allowlist: Vec<ScopedEntry> = patterns
                .iter()
                .map(|p| ScopedEntry {
                    scope: "main".into(),
                    entry: AllowlistEntry::new(p),
                })
                .collect();
            let target = ExecTarget {
                search_path: &self.path,
                home: Some(self.dir.path()),
                safe_bins: &self.safe_bins,
            };
            evaluate(command, policy, &allowlist, &target)
        }
    }

    fn executable(path: &Path) {
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn policy(security: Security, ask: Ask, ask_fallback: Security) -> Policy {
        Policy {
            security,
            ask,
            ask_fallback,
        }
    }

    const ON_MISS: Policy = Policy {
        security: Security::Allowlist,
        ask: Ask::OnMiss,
        ask_fallback: Security::Deny,
    };

    fn is_ask(e: &Evaluation) -> bool {
        matches!(e.verdict, Verdict::Ask { .. })
    }

    #[test]
    fn security_deny_refuses_and_full_runs_as_written() {
        let host = Host::new();
        let deny = host.eval(
            "tool",
            policy(Security::Deny, Ask::Off, Security::Deny),
            &[],
        );
        assert!(matches!(deny.verdict, Verdict::Deny { ref reason } if reason == "security=deny"));
        let full = host.eval(
            "tool $(id) > x",
            policy(Security::Full, Ask::Off, Security::Deny),
            &[],
        );
        assert_eq!(
            full.verdict,
            Verdict::Allow {
                via: AllowVia::Full
            }
        );
        assert_eq!(full.command_to_run(), "tool $(id) > x");
        let always = host.eval(
            "tool",
            policy(Security::Full, Ask::Always, Security::Deny),
            &[],
        );
        assert!(is_ask(&always));
    }

    #[test]
    fn an_allowlisted_command_runs_pinned_to_the_checked_path() {
        let host = Host::new();
        let pattern = host.bin("tool").display().to_string();
        let e = host.eval("tool --flag 'a b' | head -n 1", ON_MISS, &[&pattern]);
        let Verdict::Allow {
            via: AllowVia::Allowlist(ids),
        } = &e.verdict
        else {
            panic!("{:?}", e.verdict)
        };
        assert_eq!(ids.len(), 1);
        let tool = host.dir.path().join("bin/tool");
        assert_eq!(
            e.command_to_run(),
            format!("'{}' --flag 'a b' | '/usr/bin/head' -n 1", tool.display())
        );
        assert_eq!(e.matched_entries().len(), 1);
        assert_eq!(e.resolved_path(), Some(tool.as_path()));
    }

    #[test]
    fn every_segment_must_be_covered() {
        let host = Host::new();
        let pattern = host.bin("tool").display().to_string();
        let e = host.eval("tool && other", ON_MISS, &[&pattern]);
        let Verdict::Ask { reason } = &e.verdict else {
            panic!("{:?}", e.verdict)
        };
        assert!(reason.contains("other is not on the allowlist"), "{reason}");
        assert!(!e.covered);
        let glob = format!(
            "{}/*",
            host.bin("").display().to_string().trim_end_matches('/')
        );
        assert!(host.eval("tool && other; tool", ON_MISS, &[&glob]).covered);
        let off = policy(Security::Allowlist, Ask::Off, Security::Deny);
        let e = host.eval("tool && other", off, &[&pattern]);
        assert!(
            matches!(e.verdict, Verdict::Deny { ref reason } if reason.starts_with("allowlist miss"))
        );
        let always = policy(Security::Allowlist, Ask::Always, Security::Deny);
        assert!(
            is_ask(&host.eval("tool", always, &[&pattern])),
            "always asks even when covered"
        );
    }

    #[test]
    fn safe_bins_need_stdin_only_use_and_a_system_directory() {
        let host = Host::new();
        let e = host.eval("head -n 1 | wc -l", ON_MISS, &[]);
        assert_eq!(
            e.verdict,
            Verdict::Allow {
                via: AllowVia::SafeBin
            }
        );
        let e = host.eval("head -n 1 /etc/passwd", ON_MISS, &[]);
        assert!(is_ask(&e), "a file operand is not stdin-only");
        let e = host.eval("sort --compress-prog=sh", ON_MISS, &[]);
        assert!(is_ask(&e), "sort is not a default safe bin");
        // A `head` earlier on PATH, in a directory the agent could write, is not the safe bin.
        executable(&host.dir.path().join("bin/head"));
        let e = host.eval("head -n 1", ON_MISS, &[]);
        let Verdict::Ask { reason } = &e.verdict else {
            panic!("{:?}", e.verdict)
        };
        assert!(reason.contains("must live in /bin or /usr/bin"), "{reason}");
        // Its absolute system path still is.
        let e = host.eval("/usr/bin/head -n 1", ON_MISS, &[]);
        assert_eq!(
            e.verdict,
            Verdict::Allow {
                via: AllowVia::SafeBin
            }
        );
    }

    #[test]
    fn path_tricks_do_not_reach_the_allowlist() {
        let host = Host::new();
        let glob = format!(
            "{}/*",
            host.bin("").display().to_string().trim_end_matches('/')
        );
        // A link inside the allowlisted directory to a program elsewhere.
        let elsewhere = host.dir.path().join("elsewhere");
        fs::create_dir_all(&elsewhere).unwrap();
        executable(&elsewhere.join("evil"));
        symlink(elsewhere.join("evil"), host.dir.path().join("bin/link")).unwrap();
        assert!(is_ask(&host.eval("link", ON_MISS, &[&glob])));
        // `..` out of the allowlisted directory.
        let dotted = format!(
            "{}/../elsewhere/evil",
            host.dir.path().join("bin").display()
        );
        assert!(is_ask(&host.eval(&dotted, ON_MISS, &[&glob])));
        // Relative paths and computed names.
        for command in ["./tool", "bin/tool", "../bin/tool", "$T", "t*"] {
            let e = host.eval(command, ON_MISS, &[&glob]);
            assert!(is_ask(&e), "{command}");
        }
        // A bare-name pattern never matches.
        assert!(is_ask(&host.eval("tool", ON_MISS, &["tool"])));
        // `~/` patterns expand to the home directory.
        let home_pattern = "~/bin/tool";
        let canonical_home_ok = fs::canonicalize(host.dir.path()).unwrap() == host.dir.path();
        if canonical_home_ok {
            assert!(host.eval("tool", ON_MISS, &[home_pattern]).covered);
        }
    }

    #[test]
    fn entries_restricted_by_arguments_never_match() {
        let host = Host::new();
        let mut entry = AllowlistEntry::new(&host.bin("tool").display().to_string());
        entry
            .other
            .insert("argPattern".into(), serde_json::json!("^--safe$"));
        let allowlist = [ScopedEntry {
            scope: "main".into(),
            entry,
        }];
        let target = ExecTarget {
            search_path: &host.path,
            home: None,
            safe_bins: &host.safe_bins,
        };
        assert!(!evaluate("tool --safe", ON_MISS, &allowlist, &target).covered);
    }

    #[test]
    fn unanalysable_commands_ask_with_the_reason() {
        let host = Host::new();
        let glob = format!(
            "{}/*",
            host.bin("").display().to_string().trim_end_matches('/')
        );
        let e = host.eval("tool \"$(id)\"", ON_MISS, &[&glob]);
        let Verdict::Ask { reason } = &e.verdict else {
            panic!("{:?}", e.verdict)
        };
        assert!(
            reason.contains("cannot be analysed: command substitution"),
            "{reason}"
        );
        assert!(e.segments.is_empty());
    }

    #[test]
    fn answers_and_their_absence_settle_the_command() {
        let host = Host::new();
        let tool = host.bin("tool").display().to_string();
        let e = host.eval("tool | other | head -n 1", ON_MISS, &[&tool]);
        assert_eq!(
            e.settle(Answer::Decided(Decision::AllowAlways)),
            Settlement::Run {
                command: e.command.clone(),
                persist: vec![host.bin("other").display().to_string()],
            },
            "only the uncovered program is added"
        );
        assert_eq!(
            e.settle(Answer::Decided(Decision::AllowOnce)),
            Settlement::Run {
                command: e.command.clone(),
                persist: vec![]
            }
        );
        assert!(matches!(
            e.settle(Answer::Decided(Decision::Deny)),
            Settlement::Deny { .. }
        ));
        let Settlement::Deny { reason } = e.settle(Answer::NoApprover) else {
            panic!()
        };
        assert!(
            reason.contains("no approver") && reason.contains("askFallback=deny"),
            "{reason}"
        );
        let Settlement::Deny { reason } = e.settle(Answer::Expired) else {
            panic!()
        };
        assert!(reason.contains("expired"), "{reason}");

        let lenient = policy(Security::Allowlist, Ask::Always, Security::Allowlist);
        let covered = host.eval("tool", lenient, &[&tool]);
        assert!(
            matches!(covered.settle(Answer::Expired), Settlement::Run { ref command, .. } if command.starts_with('\''))
        );
        let missed = host.eval("other", lenient, &[&tool]);
        assert!(
            matches!(missed.settle(Answer::NoApprover), Settlement::Deny { ref reason } if reason.contains("askFallback=allowlist"))
        );
        let full = policy(Security::Full, Ask::Always, Security::Full);
        let e = host.eval("other", full, &[]);
        assert!(matches!(
            e.settle(Answer::NoApprover),
            Settlement::Run { .. }
        ));
        assert_eq!(
            e.settle(Answer::Decided(Decision::AllowAlways)),
            Settlement::Run {
                command: "other".into(),
                persist: vec![]
            },
            "nothing is persisted outside allowlist mode"
        );
    }
}
