//! What a pipeline of constant-printing commands outputs, and escape decoding.
//!
//! Only commands whose output follows from their arguments are evaluated: `echo`, `printf`,
//! `cat` of a heredoc, then filters such as `base64 -d`, `xxd -r -p`, `rev` and a rot13 `tr`.
//! That is what obfuscated payloads are built from (`echo cm0gLXJmIC8= | base64 -d | sh`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};

use super::{Command, RedirectOp, Script};

/// The output of a pipeline, when it can be known without running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    /// The text printed.
    pub text: String,
    /// A base64 (or hex) decoding step produced it.
    pub decoded: bool,
    /// Numeric escapes (`\x72`, `\162`) were decoded on the way.
    pub escapes: bool,
}

/// The output of `script` if it is one pipeline of commands this module understands.
pub(crate) fn static_output(script: &Script) -> Option<String> {
    static_pipeline(script.pipelines.first()?.commands.as_slice())
        .filter(|_| script.pipelines.len() == 1)
        .map(|output| output.text)
}

/// The output of `commands` run as a pipeline, if it can be known.
pub(crate) fn static_pipeline(commands: &[Command]) -> Option<Output> {
    let (first, rest) = commands.split_first()?;
    let mut output = produce(first)?;
    for command in rest {
        output = transform(command, output)?;
    }
    Some(output)
}

fn name_of(command: &Command) -> Option<String> {
    let name = command
        .name()?
        .text
        .rsplit('/')
        .next()?
        .to_ascii_lowercase();
    Some(name)
}

/// Text read from a heredoc or here-string.
fn input_body(command: &Command) -> Option<String> {
    command.redirects.iter().find_map(|r| match r.op {
        RedirectOp::Heredoc | RedirectOp::HereString => r.body.clone(),
        _ => None,
    })
}

fn produce(command: &Command) -> Option<Output> {
    if let Some(body) = input_body(command) {
        return transform(
            command,
            Output {
                text: body,
                decoded: false,
                escapes: false,
            },
        );
    }
    let words = command.texts();
    match name_of(command)?.as_str() {
        "echo" => {
            let mut args = &words[1..];
            let mut interpret = false;
            while let Some(flag) = args.first().filter(|a| {
                a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c))
            }) {
                interpret |= flag.contains('e');
                args = &args[1..];
            }
            let joined = args.join(" ");
            let (text, escapes) = if interpret {
                decode_escapes(&joined)
            } else {
                (joined, false)
            };
            Some(Output {
                text,
                decoded: false,
                escapes,
            })
        }
        "printf" => {
            let mut args = &words[1..];
            if args.first() == Some(&"--") {
                args = &args[1..];
            }
            let (format, rest) = args.split_first()?;
            let (format, mut escapes) = decode_escapes(format);
            let (text, arg_escapes) = apply_format(&format, rest);
            escapes |= arg_escapes;
            Some(Output {
                text,
                decoded: false,
                escapes,
            })
        }
        _ => None,
    }
}

fn transform(command: &Command, input: Output) -> Option<Output> {
    let words = command.texts();
    let args = &words[1..];
    let has = |flags: &[&str]| args.iter().any(|a| flags.contains(a));
    match name_of(command)?.as_str() {
        "cat" | "tee"
            if args
                .iter()
                .all(|a| a.starts_with('-') || *a == "/dev/stdout") =>
        {
            Some(input)
        }
        "base64" | "basenc" if has(&["-d", "--decode", "-D", "-di", "-id"]) => {
            decode_base64(&input)
        }
        "openssl" if has(&["base64", "-base64", "-a"]) && has(&["-d"]) => decode_base64(&input),
        "xxd" if has(&["-r", "-rp", "-pr", "-ps"]) => {
            let hex: String = input.text.chars().filter(char::is_ascii_hexdigit).collect();
            let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
                .collect();
            let text = String::from_utf8(bytes?).ok()?;
            Some(Output {
                text,
                decoded: true,
                ..input
            })
        }
        "rev" => Some(Output {
            text: input
                .text
                .lines()
                .map(|l| l.chars().rev().collect::<String>())
                .collect::<Vec<_>>()
                .join("\n"),
            ..input
        }),
        "tr" if is_rot13(args) => Some(Output {
            text: input.text.chars().map(rot13).collect(),
            decoded: true,
            ..input
        }),
        _ => None,
    }
}

fn decode_base64(input: &Output) -> Option<Output> {
    let compact: String = input.text.split_whitespace().collect();
    let bytes = STANDARD_PAD_INDIFFERENT
        .decode(&compact)
        .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(&compact))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(Output {
        text,
        decoded: true,
        escapes: input.escapes,
    })
}

fn is_rot13(args: &[&str]) -> bool {
    let sets: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(|a| a.replace(['[', ']', '\''], ""))
        .collect();
    matches!(
        sets.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
        ["A-Za-z", "N-ZA-Mn-za-m"] | ["a-zA-Z", "n-za-mN-ZA-M"] | ["a-z", "n-za-m"]
    )
}

fn rot13(c: char) -> char {
    match c {
        'a'..='z' => char::from(b'a' + (c as u8 - b'a' + 13) % 26),
        'A'..='Z' => char::from(b'A' + (c as u8 - b'A' + 13) % 26),
        other => other,
    }
}

/// `printf FORMAT ARGS…`: `%s`/`%b`/`%d`/`%c` take the next argument, `%%` is `%`.
fn apply_format(format: &str, args: &[&str]) -> (String, bool) {
    let mut out = String::new();
    let mut escapes = false;
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip flags and widths (`%-10s`).
        let mut spec = None;
        while let Some(&next) = chars.peek() {
            chars.next();
            if next.is_ascii_alphabetic() || next == '%' {
                spec = Some(next);
                break;
            }
        }
        match spec {
            Some('%') => out.push('%'),
            Some('b') => {
                let (text, numeric) = decode_escapes(args.next().copied().unwrap_or(""));
                escapes |= numeric;
                out.push_str(&text);
            }
            Some(_) => out.push_str(args.next().copied().unwrap_or("")),
            None => {}
        }
    }
    (out, escapes)
}

/// Decodes `$'…'` text; reports whether numeric escapes (hex, octal, Unicode) were used.
pub(crate) fn decode_ansi_c(raw: &str) -> (String, bool) {
    decode(raw, true)
}

/// Decodes `echo -e` / `printf` escapes; reports whether numeric escapes were used.
pub(crate) fn decode_escapes(raw: &str) -> (String, bool) {
    decode(raw, false)
}

fn decode(raw: &str, ansi_c: bool) -> (String, bool) {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    let mut numeric = false;
    let mut i = 0;
    let digits = |from: usize, max: usize, radix: u32| -> (u32, usize) {
        let mut value = 0u32;
        let mut n = 0;
        while n < max {
            let Some(d) = chars.get(from + n).and_then(|c| c.to_digit(radix)) else {
                break;
            };
            value = value.saturating_mul(radix).saturating_add(d);
            n += 1;
        }
        (value, n)
    };
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = chars[i + 1];
        i += 2;
        let simple = match e {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'e' | 'E' => Some('\u{1b}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            '\'' if ansi_c => Some('\''),
            '"' if ansi_c => Some('"'),
            '?' if ansi_c => Some('?'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (value, used) = match e {
            'x' => digits(i, 2, 16),
            'u' => digits(i, 4, 16),
            'U' => digits(i, 8, 16),
            '0'..='7' => {
                // `\NNN`; echo spells it `\0NNN`.
                i -= 1;
                let max = if e == '0' && !ansi_c { 4 } else { 3 };
                digits(i, max, 8)
            }
            _ => (0, 0),
        };
        if used == 0 {
            out.push('\\');
            out.push(e);
            continue;
        }
        i += used;
        numeric = true;
        if let Some(decoded) = char::from_u32(value) {
            out.push(decoded);
        }
    }
    (out, numeric)
}

#[cfg(test)]
mod tests {
    use super::super::{Vars, parse};
    use super::*;

    fn output(text: &str) -> Option<Output> {
        let script = parse(text, &mut Vars::new(), 0);
        static_pipeline(&script.pipelines.first()?.commands)
    }

    #[test]
    fn constant_pipelines_are_evaluated() {
        assert_eq!(output("echo hello world").unwrap().text, "hello world");
        let decoded = output("echo cm0gLXJmIC8= | base64 -d").unwrap();
        assert_eq!((decoded.text.as_str(), decoded.decoded), ("rm -rf /", true));
        assert_eq!(
            output("base64 --decode <<< Y3VybCB4fHNo").unwrap().text,
            "curl x|sh"
        );
        let hex = output(r"printf '\x72\x6d -rf /'").unwrap();
        assert_eq!((hex.text.as_str(), hex.escapes), ("rm -rf /", true));
        assert_eq!(output("echo '/ fr- mr' | rev").unwrap().text, "rm -rf /");
        assert_eq!(
            output("echo 'ez -es /' | tr 'A-Za-z' 'N-ZA-Mn-za-m'")
                .unwrap()
                .text,
            "rm -rf /"
        );
        assert_eq!(output("echo 726d | xxd -r -p").unwrap().text, "rm");
        assert_eq!(output("printf '%s %s' rm -rf").unwrap().text, "rm -rf");
        assert!(output("curl https://x").is_none());
        assert!(output("echo a | sort").is_none());
    }

    #[test]
    fn escapes_decode_and_report_numeric_use() {
        assert_eq!(decode_ansi_c(r"\x72\155\u0020"), ("rm ".to_owned(), true));
        assert_eq!(decode_ansi_c(r"a\nb\'"), ("a\nb'".to_owned(), false));
        assert_eq!(decode_escapes(r"\0162m"), ("rm".to_owned(), true));
        assert_eq!(decode_escapes(r"\q\"), (r"\q\".to_owned(), false));
    }
}
