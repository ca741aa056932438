//! Code blocks in model cards, highlighted on the server: a small lexer that knows the
//! languages cards show (Python, shell, JSON, YAML, SQL) well enough to mark comments, strings,
//! numbers and keywords. It writes escaped text in `<span class="tok-…">`, which the card's
//! sanitizer lets through; nothing runs in the browser.

/// The token classes written, all allowed on `span` by the card's sanitizer.
pub const CLASSES: [&str; 4] = ["tok-k", "tok-s", "tok-c", "tok-n"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    Shell,
    Json,
    Yaml,
    Sql,
}

impl Language {
    fn of(tag: &str) -> Option<Self> {
        Some(match tag.trim().to_ascii_lowercase().as_str() {
            "python" | "py" | "python3" => Language::Python,
            "sh" | "bash" | "shell" | "console" | "zsh" => Language::Shell,
            "json" => Language::Json,
            "yaml" | "yml" => Language::Yaml,
            "sql" => Language::Sql,
            _ => return None,
        })
    }

    fn keywords(self) -> &'static [&'static str] {
        match self {
            Language::Python => &[
                "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
                "del", "elif", "else", "except", "False", "finally", "for", "from", "if", "import",
                "in", "is", "lambda", "None", "not", "or", "pass", "raise", "return", "True",
                "try", "while", "with", "yield",
            ],
            Language::Shell => &[
                "if", "then", "else", "fi", "for", "do", "done", "while", "case", "esac", "export",
                "cd", "echo", "curl", "pip", "python", "python3",
            ],
            Language::Json => &["true", "false", "null"],
            Language::Yaml => &["true", "false", "null", "yes", "no"],
            Language::Sql => &[
                "select", "from", "where", "and", "or", "not", "join", "on", "group", "by",
                "order", "limit", "insert", "into", "values", "update", "set", "delete", "as",
            ],
        }
    }

    fn line_comment(self) -> Option<&'static str> {
        match self {
            Language::Python | Language::Shell | Language::Yaml => Some("#"),
            Language::Sql => Some("--"),
            Language::Json => None,
        }
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

fn token(out: &mut String, class: &str, text: &str) {
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    escape_into(out, text);
    out.push_str("</span>");
}

/// The block as `<pre><code>` with highlighted tokens, or `None` for a language it does not
/// know (the block is then rendered plain).
pub fn highlight(language_tag: &str, code: &str) -> Option<String> {
    let language = Language::of(language_tag)?;
    let keywords = language.keywords();
    let mut out = String::with_capacity(code.len() * 2);
    out.push_str("<pre><code>");
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if let Some(marker) = language.line_comment()
            && rest.starts_with(marker)
        {
            let end = rest.find('\n').unwrap_or(rest.len());
            token(&mut out, "tok-c", &rest[..end]);
            rest = &rest[end..];
        } else if c == '"' || c == '\'' {
            let end = string_end(rest, c);
            token(&mut out, "tok-s", &rest[..end]);
            rest = &rest[end..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '.' || ch == '_'))
                .unwrap_or(rest.len());
            token(&mut out, "tok-n", &rest[..end]);
            rest = &rest[end..];
        } else if c.is_alphabetic() || c == '_' {
            let end = rest
                .find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            let is_keyword = if language == Language::Sql {
                keywords.iter().any(|k| k.eq_ignore_ascii_case(word))
            } else {
                keywords.contains(&word)
            };
            if is_keyword {
                token(&mut out, "tok-k", word);
            } else {
                escape_into(&mut out, word);
            }
            rest = &rest[end..];
        } else {
            escape_into(&mut out, &rest[..c.len_utf8()]);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.push_str("</code></pre>\n");
    Some(out)
}

/// Where a string that opens with `quote` ends (after its closing quote, or at the line's end
/// when it is not closed); a backslash escapes the next character.
fn string_end(s: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\n' => return i,
            '\\' if !escaped => escaped = true,
            c if c == quote && !escaped => return i + c.len_utf8(),
            _ => escaped = false,
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_gets_keywords_strings_numbers_and_comments() {
        let html = highlight("python", "import x  # load\nprint(\"a<b\", 42)").expect("python");
        assert_eq!(
            html,
            "<pre><code><span class=\"tok-k\">import</span> x  <span class=\"tok-c\"># load</span>\nprint(<span class=\"tok-s\">&quot;a&lt;b&quot;</span>, <span class=\"tok-n\">42</span>)</code></pre>\n"
        );
    }

    #[test]
    fn unknown_languages_and_open_strings_are_safe() {
        assert_eq!(highlight("brainfuck", "+++"), None);
        let html = highlight("sh", "echo 'no end\n</code><script>").expect("shell");
        assert!(
            html.contains("<span class=\"tok-s\">'no end</span>"),
            "{html}"
        );
        assert!(html.contains("&lt;/code&gt;&lt;script&gt;"), "{html}");
        let sql = highlight("sql", "SELECT 1 FROM t").expect("sql");
        assert!(sql.contains("<span class=\"tok-k\">SELECT</span>"), "{sql}");
    }
}
