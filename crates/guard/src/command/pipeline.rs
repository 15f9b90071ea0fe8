//! Rules on what flows through a pipeline, and on the raw text (shapes no parse shows).

use super::names::{is_decoder, is_downloader, is_interpreter, is_network_client, is_shell};
use super::network::inline_code;
use super::{Analysis, Invocation};
use crate::rules;
use crate::shell::{Command, RedirectOp, static_pipeline};

/// Pipeline rules: downloads, sockets or decoded text flowing into a shell.
pub(super) fn check(
    a: &mut Analysis,
    commands: &[Command],
    invocations: &[Invocation<'_>],
    depth: usize,
) {
    let display = || {
        invocations
            .iter()
            .map(|i| i.display.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    let network = invocations
        .iter()
        .any(|i| is_network_client(&i.name, &i.args));
    let mut shell_in_pipeline = false;
    for (j, invocation) in invocations.iter().enumerate() {
        let runs_code = is_shell(&invocation.name) || is_interpreter(&invocation.name);
        shell_in_pipeline |= runs_code;
        if j == 0 || !reads_script_from_stdin(invocation) {
            continue;
        }
        let upstream = &invocations[..j];
        let rule = if upstream.iter().any(|i| is_downloader(&i.name)) {
            &rules::DOWNLOAD_TO_SHELL
        } else if upstream.iter().any(|i| is_network_client(&i.name, &i.args)) {
            &rules::NETWORK_TO_SHELL
        } else if upstream.iter().any(|i| is_decoder(&i.name, &i.args)) {
            &rules::DECODED_TO_SHELL
        } else {
            &rules::TEXT_TO_SHELL
        };
        a.add(rule, &display());
        if let Some(output) = static_pipeline(&commands[..j]) {
            payload(a, &output, &display(), depth);
        }
    }
    // `mkfifo f; cat f | sh -i 2>&1 | nc host port > f`, `telnet h 1 | sh | telnet h 2`: a
    // socket and a shell joined in either direction.
    if network && shell_in_pipeline && invocations.len() > 1 {
        a.add(&rules::NETWORK_TO_SHELL, &display());
    }
    // A decoded payload written somewhere instead of piped into a shell is still worth reading.
    let decodes = invocations.iter().any(|i| is_decoder(&i.name, &i.args));
    if decodes
        && !invocations.iter().skip(1).any(reads_script_from_stdin)
        && let Some(output) = static_pipeline(commands)
        && output.decoded
        && looks_like_shell(&output.text)
    {
        payload(a, &output, &display(), depth);
    }
}

fn payload(a: &mut Analysis, output: &crate::shell::Output, excerpt: &str, depth: usize) {
    if output.decoded {
        a.add(&rules::BASE64_SCRIPT, excerpt);
    }
    if output.escapes {
        a.add(&rules::ESCAPED_SCRIPT, excerpt);
    }
    a.text(&output.text, depth + 1);
}

fn looks_like_shell(text: &str) -> bool {
    let printable = text.chars().all(|c| !c.is_control() || c.is_whitespace());
    printable && text.trim().contains(' ') && text.chars().any(|c| c.is_ascii_alphabetic())
}

/// Whether the program takes the script it runs from standard input.
fn reads_script_from_stdin(invocation: &Invocation<'_>) -> bool {
    let name = invocation.name.as_str();
    let args = invocation.args.as_slice();
    let has_body = invocation.command.redirects.iter().any(|r| {
        matches!(
            r.op,
            RedirectOp::Heredoc | RedirectOp::HereString | RedirectOp::Read
        )
    });
    if has_body {
        return false;
    }
    if matches!(name, "source" | ".") {
        return args
            .first()
            .is_some_and(|a| matches!(*a, "/dev/stdin" | "-"));
    }
    if is_shell(name) {
        let mut i = 0;
        while i < args.len() {
            let arg = args[i];
            if matches!(arg, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
                i += 2;
                continue;
            }
            if arg == "-s" || arg == "-" || arg == "/dev/stdin" {
                return true;
            }
            if arg.starts_with('-') && !arg.starts_with("--") && arg.contains('c') {
                return false;
            }
            if !arg.starts_with('-') && !arg.starts_with('+') {
                return false;
            }
            i += 1;
        }
        return true;
    }
    if is_interpreter(name) {
        // Inline code reading stdin is usually a filter (`json.load(sys.stdin)`); it runs its
        // input only when it also executes it (`exec(sys.stdin.read())`).
        let code = inline_code(invocation);
        if !code.is_empty() {
            return code.iter().any(|c| {
                c.contains("stdin")
                    && ["exec(", "eval(", "compile(", "execsync(", "system("]
                        .iter()
                        .any(|w| c.to_ascii_lowercase().contains(w))
            });
        }
        return args
            .iter()
            .find(|a| !a.starts_with('-') || **a == "-")
            .is_none_or(|a| matches!(*a, "-" | "/dev/stdin"));
    }
    false
}

/// Shapes matched on the text itself: fork bombs, PowerShell download-and-run, sockets.
pub(super) fn raw_text_rules(a: &mut Analysis, text: &str) {
    let lower = text.to_ascii_lowercase();
    let compact: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(excerpt) = fork_bomb(&compact) {
        a.add(&rules::FORK_BOMB, &excerpt);
    }
    if compact.contains("forkwhilefork")
        || compact.contains("while(1){fork")
        || compact.contains("while(true){fork")
    {
        a.add(&rules::FORK_BOMB, text);
    }
    let powershell_exec = ["iex", "invoke-expression"]
        .iter()
        .any(|w| contains_word(&lower, w));
    let powershell_fetch = [
        "downloadstring",
        "invoke-webrequest",
        "invoke-restmethod",
        "net.webclient",
        "iwr",
        "irm",
    ]
    .iter()
    .any(|w| contains_word(&lower, w));
    if powershell_exec && powershell_fetch {
        a.add(&rules::POWERSHELL_DOWNLOAD_EXEC, text);
    }
    if lower.contains("--no-preserve-root") {
        a.add(&rules::RM_NO_PRESERVE_ROOT, text);
    }
    if lower.contains("/dev/tcp/") || lower.contains("/dev/udp/") {
        a.add(&rules::DEV_TCP, text);
        a.note_network_send(text);
        let shell_named = lower
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(is_shell);
        if shell_named {
            a.add(&rules::SHELL_OVER_SOCKET, text);
        }
    }
}

fn contains_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .any(|w| w == word)
}

/// `name(){ name|name& };name` with any name, whitespace removed.
fn fork_bomb(compact: &str) -> Option<String> {
    let mut search = 0;
    while let Some(found) = compact[search..].find("(){") {
        let at = search + found;
        let name_start = compact[..at]
            .rfind([';', '&', '|', '\n', '(', ')', '{', '}'])
            .map_or(0, |i| i + 1);
        let name = &compact[name_start..at];
        let body = &compact[at + 3..];
        if !name.is_empty()
            && (body.starts_with(&format!("{name}|{name}&"))
                || body.contains(&format!("{name}|{name}&")))
        {
            return Some(compact[name_start..].chars().take(40).collect());
        }
        search = at + 3;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_bombs_are_found_with_any_name_and_spacing() {
        assert!(fork_bomb(":(){:|:&};:").is_some());
        let spaced: String = "bomb() { bomb | bomb & }; bomb"
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        assert!(fork_bomb(&spaced).is_some());
        assert!(fork_bomb("f(){echohi;};f").is_none());
    }
}
