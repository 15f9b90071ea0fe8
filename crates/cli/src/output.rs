//! Terminal output. Commands write results to stdout and diagnostics to stderr through these
//! helpers, so the lint against stray `println!` stays on everywhere else.

use std::io::Write;

/// Writes text to stdout. A closed pipe (`rustyclaw … | head`) is not an error worth reporting.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// Writes a JSON value to stdout, pretty-printed.
pub fn json(value: &serde_json::Value) {
    out(&serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string()));
}

/// Writes a line to stderr.
pub fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}

/// Prints `error: …` and an optional `hint: …` line to stderr.
pub fn error_line(message: &str, hint: Option<&str>) {
    err(&format!("error: {message}"));
    if let Some(hint) = hint {
        err(&format!("hint: {hint}"));
    }
}

/// Prints config warnings to stderr, one per line.
pub fn warnings(issues: &[rustyclaw_config::Issue]) {
    for issue in issues {
        err(&format!("warning: {issue}"));
    }
}
