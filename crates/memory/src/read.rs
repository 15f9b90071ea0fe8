//! `memory_get`: an excerpt of a memory file, by line, within a character budget, with the
//! line to continue from when there is more (upstream's read result, field for field).

use serde_json::{Value, json};

/// Lines returned when the call names no count.
pub const DEFAULT_LINES: usize = 120;
/// Characters returned at most.
pub const DEFAULT_MAX_CHARS: usize = 12_000;

/// The result of reading lines `from..from+lines` of `content`.
pub fn excerpt(rel: &str, content: &str, from: Option<usize>, lines: Option<usize>) -> Value {
    let mut file_lines: Vec<&str> = content.split('\n').collect();
    if file_lines.last() == Some(&"") {
        file_lines.pop();
    }
    let start = from.unwrap_or(1).max(1);
    let count = lines.unwrap_or(DEFAULT_LINES).max(1);
    let selected: Vec<&str> = file_lines
        .iter()
        .skip(start - 1)
        .take(count)
        .copied()
        .collect();
    let more_lines = start - 1 + selected.len() < file_lines.len();
    let (mut included, mut chars, mut hard_cut) = (0usize, 0usize, false);
    for line in &selected {
        let next = chars + line.chars().count() + usize::from(included > 0);
        if included > 0 && next > DEFAULT_MAX_CHARS {
            break;
        }
        included += 1;
        chars = next;
    }
    if chars > DEFAULT_MAX_CHARS {
        hard_cut = true;
    }
    let mut text: String = selected[..included].join("\n");
    if hard_cut {
        text = text.chars().take(DEFAULT_MAX_CHARS).collect();
    }
    let cut_by_chars = hard_cut || included < selected.len();
    let next_from =
        (!hard_cut && (more_lines || included < selected.len())).then_some(start + included);
    let truncated = cut_by_chars || more_lines;
    if truncated && (!text.is_empty() || hard_cut) {
        let notice = match next_from {
            Some(n) => format!("[More content available. Use from={n} to continue.]"),
            None => "[More content available. Requested excerpt exceeded the default maxChars budget. If you need the full raw line, use read on the source file.]".to_owned(),
        };
        text = format!("{text}\n\n{notice}");
    }
    let mut out = json!({
        "status": "ok",
        "text": text,
        "path": rel,
        "from": start,
        "lines": included,
    });
    if truncated {
        out["truncated"] = json!(true);
    }
    if let Some(n) = next_from {
        out["nextFrom"] = json!(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_continuations() {
        let content: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        let all = excerpt("memory/a.md", &content, None, None);
        assert_eq!(all["lines"], 10);
        assert!(all.get("truncated").is_none());
        let part = excerpt("memory/a.md", &content, Some(3), Some(2));
        assert_eq!(
            part["text"],
            "line 3\nline 4\n\n[More content available. Use from=5 to continue.]"
        );
        assert_eq!(part["nextFrom"], 5);
        assert_eq!(part["truncated"], true);
        let past = excerpt("memory/a.md", &content, Some(50), None);
        assert_eq!(past["lines"], 0);
        assert_eq!(past["text"], "");
    }
}
