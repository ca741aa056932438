//! Requirements files and `pip_packages` lists into logical lines: comments, continuations,
//! pip's own options (skipped, or refused when misspelled) and the line limit; each line is then
//! read as one requirement.

use super::requirement::{normalize_name, parse_requirement, parse_url_requirement};
use super::{Dependencies, Dependency, DependencySource, MAX_REQUIREMENT_LINES, UnparsedLine};

/// Reads a requirements.txt. Never fails: lines it cannot understand land in `unparsed` with a
/// reason.
pub fn parse_requirements(text: &str, source: DependencySource) -> Dependencies {
    // Editors on Windows like to start files with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Dependencies::default();
    let mut physical = text.lines().enumerate();
    // The logical line being assembled from continuations: its first line number and pieces.
    let mut pending: Option<(u32, Vec<&str>)> = None;
    for (index, raw) in physical.by_ref().take(MAX_REQUIREMENT_LINES) {
        let content = strip_comment(raw).trim_end();
        let (piece, continues) = match content.strip_suffix('\\') {
            Some(piece) => (piece, true),
            None => (content, false),
        };
        let (_, pieces) = pending.get_or_insert_with(|| (line_number(index), Vec::new()));
        let piece = piece.trim();
        if !piece.is_empty() {
            pieces.push(piece);
        }
        if !continues && let Some((number, pieces)) = pending.take() {
            parse_line(&pieces.join(" "), number, &source, &mut out);
        }
    }
    // A continuation on the last line read simply ends there.
    if let Some((number, pieces)) = pending.take() {
        parse_line(&pieces.join(" "), number, &source, &mut out);
    }
    let ignored = physical.count();
    if ignored > 0 {
        out.unparsed.push(too_many(ignored, "lines", source));
    }
    out
}

/// pip_packages entries are single requirement lines; line_number = index + 1.
pub fn parse_pip_packages(packages: &[String]) -> Dependencies {
    let source = DependencySource::PipPackages;
    let mut out = Dependencies::default();
    for (index, entry) in packages.iter().enumerate().take(MAX_REQUIREMENT_LINES) {
        if entry.contains(['\n', '\r']) {
            out.unparsed.push(UnparsedLine {
                line: entry.trim().to_owned(),
                line_number: line_number(index),
                reason: "This entry spans several lines, but each pip_packages entry is one requirement. Put each package in its own entry.".to_owned(),
                source,
            });
            continue;
        }
        parse_line(
            strip_comment(entry).trim(),
            line_number(index),
            &source,
            &mut out,
        );
    }
    if packages.len() > MAX_REQUIREMENT_LINES {
        let ignored = packages.len() - MAX_REQUIREMENT_LINES;
        out.unparsed.push(too_many(ignored, "entries", source));
    }
    out
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |i| i.saturating_add(1))
}

fn too_many(ignored: usize, what: &str, source: DependencySource) -> UnparsedLine {
    UnparsedLine {
        line: String::new(),
        line_number: line_number(MAX_REQUIREMENT_LINES),
        reason: format!(
            "Only the first {MAX_REQUIREMENT_LINES} {what} are read; {ignored} more were ignored. Remove {what} that are not needed or split the requirements into several files."
        ),
        source,
    }
}

/// Cuts a comment: '#' at the start or after whitespace. A '#' inside a word is kept, because
/// URLs use it for fragments such as `#egg=name` or `#sha256=...`.
fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (index, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return &line[..index];
        }
        previous_is_space = c.is_whitespace();
    }
    line
}

/// One logical line, comment already stripped and trimmed.
fn parse_line(line: &str, line_number: u32, source: &DependencySource, out: &mut Dependencies) {
    if line.is_empty() {
        return;
    }
    let unparsed = |reason: String| UnparsedLine {
        line: line.to_owned(),
        line_number,
        reason,
        source: *source,
    };
    if line.chars().any(|c| c.is_control() && c != '\t') {
        out.unparsed.push(unparsed(
            "This line contains a control character. Remove it, or re-save the file as plain text."
                .to_owned(),
        ));
        return;
    }
    let parsed = if line.starts_with('-') {
        match parse_option(line) {
            OptionLine::Editable(target) => parse_url_requirement(without_options(target)),
            OptionLine::Ignored => return,
            OptionLine::Invalid(reason) => Err(reason),
        }
    } else {
        parse_requirement(without_options(line))
    };
    match parsed {
        Ok(parsed) => out.dependencies.push(Dependency {
            normalized_name: normalize_name(&parsed.name),
            package_name: parsed.name,
            extras: parsed.extras,
            constraints: parsed.constraints,
            marker: parsed.marker,
            line: line.to_owned(),
            line_number,
            source: *source,
        }),
        Err(reason) => out.unparsed.push(unparsed(reason)),
    }
}

enum OptionLine<'a> {
    /// `-e` / `--editable` and what it installs.
    Editable(&'a str),
    /// A pip option that is not a dependency (indexes, includes, hashes, ...).
    Ignored,
    Invalid(String),
}

/// pip options allowed on a line of their own. Per-requirement options (`--hash` and the
/// like) are listed too, since a broken continuation leaves them alone on a line.
const KNOWN_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "--no-index",
    "-f",
    "--find-links",
    "--pre",
    "--no-binary",
    "--only-binary",
    "--prefer-binary",
    "--require-hashes",
    "--trusted-host",
    "--use-feature",
    "--hash",
    "--global-option",
    "--install-option",
    "--config-settings",
    "-C",
    "-Z",
    "--always-unzip",
    "--allow-external",
    "--allow-all-external",
    "--allow-unverified",
    "--process-dependency-links",
    "--no-use-wheel",
];

fn parse_option(line: &str) -> OptionLine<'_> {
    // "--name=value", "--name value", "-x value" or "-xvalue", as pip's option parser reads them.
    let (name, value) = if line.starts_with("--") {
        let end = line
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(line.len());
        let value = line[end..].trim_start();
        (&line[..end], value.strip_prefix('=').unwrap_or(value))
    } else {
        let end = line
            .char_indices()
            .nth(2)
            .map_or(line.len(), |(index, _)| index);
        (&line[..end], &line[end..])
    };
    let value = value.trim();
    if name == "-e" || name == "--editable" {
        if value.is_empty() {
            return OptionLine::Invalid(format!(
                "'{name}' needs a path or URL after it, for example '-e ./my_package#egg=my_package'."
            ));
        }
        return OptionLine::Editable(value);
    }
    if KNOWN_OPTIONS.contains(&name) {
        return OptionLine::Ignored;
    }
    OptionLine::Invalid(format!(
        "'{name}' is not an option pip accepts in a requirements file. Remove it, or check its spelling."
    ))
}

/// Cuts per-requirement options such as `--hash=sha256:...`: like pip, the first
/// whitespace-separated word that starts with '-' begins them.
fn without_options(line: &str) -> &str {
    let mut previous_is_space = false;
    for (index, c) in line.char_indices() {
        if c == '-' && previous_is_space {
            return line[..index].trim_end();
        }
        previous_is_space = c.is_whitespace();
    }
    line
}
