//! Python dependencies of a version, read from requirements.txt files and `pip_packages`
//! lists. The reading never fails: a registry shows what it understood and lists the lines it
//! did not, with a reason, instead of refusing a model over a dependency file.
//!
//! This follows pip's requirements file format and PEP 508 closely enough for display and
//! search; it does not evaluate markers, expand environment variables or follow `-r` includes.

use serde::{Deserialize, Serialize};

/// One version constraint, such as `>=` `1.0`, or `@` with a direct URL reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Constraint {
    /// One of "==", "!=", ">=", "<=", ">", "<", "~=", "===", or "@" for a direct URL.
    pub constraint_type: String,
    /// The version, or the URL for "@".
    pub version: String,
}

/// Where a dependency was declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DependencySource {
    Requirements,
    PipPackages,
}

/// One requirement as understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dependency {
    /// The name as written.
    pub package_name: String,
    /// PEP 503: lowercase, runs of '-', '_' and '.' become one '-'; what names compare by.
    pub normalized_name: String,
    pub extras: Vec<String>,
    pub constraints: Vec<Constraint>,
    /// The environment marker after ';', trimmed.
    pub marker: Option<String>,
    /// The logical line as written: continuations joined with a single space, comment
    /// stripped, trimmed.
    pub line: String,
    /// 1-based number of the line's first physical line.
    pub line_number: u32,
    pub source: DependencySource,
}

/// A line that declares something this reader did not understand, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnparsedLine {
    pub line: String,
    pub line_number: u32,
    pub reason: String,
    pub source: DependencySource,
}

/// Everything read from one or more sources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependencies {
    pub dependencies: Vec<Dependency>,
    pub unparsed: Vec<UnparsedLine>,
}

impl Dependencies {
    /// Appends another source's results after this one's. Nothing is de-duplicated: each entry
    /// says where it came from, and the same package in two places is worth seeing.
    pub fn merge(&mut self, other: Dependencies) {
        self.dependencies.extend(other.dependencies);
        self.unparsed.extend(other.unparsed);
    }
}

/// Beyond this many lines (or entries), the rest is ignored and one `UnparsedLine` says so;
/// it bounds the work and the stored result for any upload.
pub const MAX_REQUIREMENT_LINES: usize = 10_000;

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

/// What a requirement says, before it is tied to a line.
struct Parsed {
    name: String,
    extras: Vec<String>,
    constraints: Vec<Constraint>,
    marker: Option<String>,
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

/// A requirement that starts with a name: `name[extras] constraints ; marker` or
/// `name[extras] @ url ; marker`; or else a bare URL or path.
fn parse_requirement(requirement: &str) -> Result<Parsed, String> {
    let name_end = requirement
        .find(|c: char| !is_name_char(c))
        .unwrap_or(requirement.len());
    let (name, after_name) = requirement.split_at(name_end);
    let after_name = after_name.trim_start();
    let is_named_url = !name.is_empty()
        && (after_name.starts_with('@')
            || (after_name.starts_with('[')
                && after_name
                    .split_once(']')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('@'))));
    if !is_named_url && looks_like_url_or_path(requirement) {
        return parse_url_requirement(requirement);
    }
    if name.is_empty() {
        return Err(
            "This line does not start with a package name. Requirements start with a name such as 'numpy', optionally followed by constraints such as '>=1.24'."
                .to_owned(),
        );
    }
    if !is_valid_name(name) {
        return Err(format!(
            "'{name}' is not a valid package name. Names use letters, digits, '-', '_' and '.', and start and end with a letter or digit."
        ));
    }

    let (extras, rest) = if let Some(inside) = after_name.strip_prefix('[') {
        let Some((list, rest)) = inside.split_once(']') else {
            return Err(format!(
                "The extras of '{name}' have no closing ']'. Write them like '{name}[extra1,extra2]'."
            ));
        };
        (parse_extras(list)?, rest.trim_start())
    } else {
        (Vec::new(), after_name)
    };

    if let Some(url_and_marker) = rest.strip_prefix('@') {
        let (url, marker) = split_url_marker(url_and_marker.trim_start())?;
        if url.is_empty() {
            return Err(format!(
                "'{name} @' has no URL after it. Write '{name} @ https://...' or drop the '@'."
            ));
        }
        return Ok(Parsed {
            name: name.to_owned(),
            extras,
            constraints: vec![Constraint {
                constraint_type: "@".to_owned(),
                version: url.to_owned(),
            }],
            marker,
        });
    }

    let (specs, marker) = match rest.split_once(';') {
        Some((specs, marker)) => (specs.trim(), Some(parse_marker(marker)?)),
        None => (rest.trim(), None),
    };
    let specs = if let Some(inside) = specs.strip_prefix('(') {
        inside.strip_suffix(')').ok_or_else(|| {
            format!("The constraints of '{name}' have no closing ')'. Close the parenthesis or leave it out.")
        })?
    } else {
        specs
    };
    Ok(Parsed {
        name: name.to_owned(),
        extras,
        constraints: parse_constraints(specs)?,
        marker,
    })
}

/// A URL or path without a name before it (plain or after `-e`). Its name can only come from
/// an `#egg=name` fragment.
fn parse_url_requirement(requirement: &str) -> Result<Parsed, String> {
    let (location, marker) = split_url_marker(requirement)?;
    // pip reads extras from the end of a URL or path: "./pkg[dev]" or "...#egg=pkg[dev]".
    let (location, extras) = match location.strip_suffix(']').and_then(|l| l.rsplit_once('[')) {
        Some((location, list)) if !location.is_empty() => (location, parse_extras(list)?),
        _ => (location, Vec::new()),
    };
    let egg = location
        .split_once('#')
        .and_then(|(_, fragment)| {
            fragment
                .split('&')
                .find_map(|param| param.strip_prefix("egg="))
        })
        .filter(|egg| !egg.is_empty());
    let Some(egg) = egg else {
        return Err(
            "editable or local requirement without a package name: add '#egg=<name>' to the URL or path, or write it as '<name> @ <url>'."
                .to_owned(),
        );
    };
    if !is_valid_name(egg) {
        return Err(format!(
            "'#egg={egg}' does not give a valid package name. Use letters, digits, '-', '_' and '.', starting and ending with a letter or digit."
        ));
    }
    Ok(Parsed {
        name: egg.to_owned(),
        extras,
        constraints: vec![Constraint {
            constraint_type: "@".to_owned(),
            version: location.to_owned(),
        }],
        marker,
    })
}

/// Splits a URL or path from a following marker. URLs may contain ';', so (as in PEP 508) the
/// marker's ';' must have whitespace before or after it; a URL is one word.
fn split_url_marker(text: &str) -> Result<(&str, Option<String>), String> {
    let url_end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (url, rest) = text.split_at(url_end);
    let rest = rest.trim_start();
    if let Some(url) = url.strip_suffix(';') {
        return Ok((url, Some(parse_marker(rest)?)));
    }
    if rest.is_empty() {
        return Ok((url, None));
    }
    match rest.strip_prefix(';') {
        Some(marker) => Ok((url, Some(parse_marker(marker)?))),
        None => Err(format!(
            "Unexpected text after the URL or path '{url}'. Put an environment marker after ' ; ', or remove the extra text."
        )),
    }
}

fn parse_marker(marker: &str) -> Result<String, String> {
    let marker = marker.trim();
    if marker.is_empty() {
        return Err(
            "Nothing follows ';'. Write an environment marker such as 'python_version >= \"3.9\"', or remove the ';'."
                .to_owned(),
        );
    }
    Ok(marker.to_owned())
}

fn parse_extras(list: &str) -> Result<Vec<String>, String> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(str::trim)
        .map(|extra| {
            if is_valid_name(extra) {
                Ok(extra.to_owned())
            } else {
                Err(format!(
                    "'{extra}' is not a valid extra. Write extras as names separated by commas, like 'pkg[extra1,extra2]'."
                ))
            }
        })
        .collect()
}

/// Longest first, so "===" is not read as "==" followed by "=".
const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

fn parse_constraints(specs: &str) -> Result<Vec<Constraint>, String> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    specs.split(',').map(parse_constraint).collect()
}

fn parse_constraint(clause: &str) -> Result<Constraint, String> {
    let clause = clause.trim();
    if clause.is_empty() {
        return Err(
            "There is an empty constraint between commas. Separate constraints with single commas, like 'pkg>=1.0,<2'."
                .to_owned(),
        );
    }
    let Some(op) = OPERATORS.into_iter().find(|op| clause.starts_with(op)) else {
        let hint = match clause {
            c if c.starts_with("=>") => " Did you mean '>='?",
            c if c.starts_with("=<") => " Did you mean '<='?",
            c if c.starts_with('=') => " Did you mean '=='?",
            _ => "",
        };
        return Err(format!(
            "'{clause}' does not start with a comparison.{hint} Use one of ==, !=, >=, <=, >, <, ~= or ===, like 'pkg>=1.0'."
        ));
    };
    let version = clause[op.len()..].trim();
    if version.is_empty() {
        return Err(format!(
            "'{op}' has no version after it. Write a version, like 'pkg{op}1.0', or leave the constraint out."
        ));
    }
    if version.contains(char::is_whitespace) {
        return Err(format!(
            "'{clause}' is not one version. Separate constraints with commas, like 'pkg>=1.0,<2'."
        ));
    }
    // "===" compares the version as a plain string, so anything without spaces is allowed.
    if op != "===" {
        check_version(op, version)?;
    }
    Ok(Constraint {
        constraint_type: op.to_owned(),
        version: version.to_owned(),
    })
}

/// A PEP 440 version as far as its characters go: "1.0", "2.0.0rc1", "1!2.0+cu121", and "1.*"
/// after == or !=.
fn check_version(op: &str, version: &str) -> Result<(), String> {
    let allowed = version.starts_with(|c: char| c.is_ascii_alphanumeric())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '!' | '_' | '-'));
    if !allowed {
        return Err(format!(
            "'{version}' is not a version. Versions look like '1.4.0' or '2.0rc1'."
        ));
    }
    if version.contains('*') {
        let wildcard_ok = matches!(op, "==" | "!=")
            && version
                .strip_suffix(".*")
                .is_some_and(|prefix| !prefix.contains('*') && !prefix.contains('+'));
        if !wildcard_ok {
            return Err(format!(
                "'{op}{version}' uses '*' where it is not allowed. A wildcard may only end a version after == or !=, like '==1.4.*'."
            ));
        }
    }
    Ok(())
}

/// Whether the first word is a URL, a VCS reference, a local path or an archive file name,
/// rather than a package name; the same cues pip uses.
fn looks_like_url_or_path(requirement: &str) -> bool {
    let word = requirement
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or(requirement);
    let lower = word.to_ascii_lowercase();
    let has_scheme = lower.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    const PREFIXES: [&str; 5] = ["git+", "hg+", "svn+", "bzr+", "file:"];
    const ARCHIVES: [&str; 10] = [
        ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar", ".tar.lz",
    ];
    // Extras may follow an archive name: "pkg-1.0.tar.gz[dev]".
    let without_extras = lower
        .strip_suffix(']')
        .and_then(|l| l.rsplit_once('['))
        .map_or(lower.as_str(), |(l, _)| l);
    has_scheme
        || PREFIXES.iter().any(|p| lower.starts_with(p))
        || lower.starts_with(['.', '/', '~'])
        || lower.contains(['/', '\\'])
        || ARCHIVES.iter().any(|a| without_extras.ends_with(a))
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// PEP 508 names: letters, digits, '-', '_', '.', starting and ending with a letter or digit.
fn is_valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(is_name_char)
}

/// PEP 503: lowercase, with every run of '-', '_' and '.' replaced by one '-'.
fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraint(op: &str, version: &str) -> Constraint {
        Constraint {
            constraint_type: op.to_owned(),
            version: version.to_owned(),
        }
    }

    /// The one dependency a single line gives; panics (with the reason) if it is unparsed.
    fn one(line: &str) -> Dependency {
        let parsed = parse_requirements(line, DependencySource::Requirements);
        assert!(
            parsed.unparsed.is_empty(),
            "{line:?}: {:?}",
            parsed.unparsed
        );
        assert_eq!(parsed.dependencies.len(), 1, "{line:?}");
        parsed
            .dependencies
            .into_iter()
            .next()
            .expect("one dependency")
    }

    /// The reason a single line is not understood.
    fn unparsed(line: &str) -> String {
        let parsed = parse_requirements(line, DependencySource::Requirements);
        assert!(
            parsed.dependencies.is_empty(),
            "{line:?}: {:?}",
            parsed.dependencies
        );
        assert_eq!(parsed.unparsed.len(), 1, "{line:?}");
        parsed.unparsed.into_iter().next().expect("one").reason
    }

    fn nothing(text: &str) {
        assert_eq!(
            parse_requirements(text, DependencySource::Requirements),
            Dependencies::default(),
            "{text:?}"
        );
    }

    #[test]
    fn a_realistic_requirements_file() {
        let text = "\
# Core numerical stack
numpy==1.26.4
pandas>=2.0,<3  # dataframes
scikit-learn ~= 1.4.0

-r base.txt
--extra-index-url https://download.pytorch.org/whl/cu121
torch==2.2.1+cu121 ; sys_platform == \"linux\"
requests[socks,security] >= 2.31 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
-e git+https://github.com/org/tool.git@v1.0#egg=tool
./vendor/local_pkg
my_pkg @ https://example.com/my_pkg-1.0-py3-none-any.whl
Django (>=4.2,<5)
typing-extensions; python_version < \"3.10\"
pkg=>1
";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        let names: Vec<&str> = parsed
            .dependencies
            .iter()
            .map(|d| d.normalized_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "numpy",
                "pandas",
                "scikit-learn",
                "torch",
                "requests",
                "tool",
                "my-pkg",
                "django",
                "typing-extensions"
            ]
        );
        let lines: Vec<u32> = parsed.dependencies.iter().map(|d| d.line_number).collect();
        assert_eq!(lines, [2, 3, 4, 8, 9, 12, 14, 15, 16]);

        let pandas = &parsed.dependencies[1];
        assert_eq!(
            pandas.constraints,
            [constraint(">=", "2.0"), constraint("<", "3")]
        );
        assert_eq!(pandas.line, "pandas>=2.0,<3");

        let torch = &parsed.dependencies[3];
        assert_eq!(torch.constraints, [constraint("==", "2.2.1+cu121")]);
        assert_eq!(torch.marker.as_deref(), Some("sys_platform == \"linux\""));

        let requests = &parsed.dependencies[4];
        assert_eq!(requests.extras, ["socks", "security"]);
        assert_eq!(requests.constraints, [constraint(">=", "2.31")]);
        assert_eq!(
            requests.line,
            "requests[socks,security] >= 2.31 --hash=sha256:aaaa --hash=sha256:bbbb"
        );

        assert_eq!(
            parsed.dependencies[5].constraints,
            [constraint(
                "@",
                "git+https://github.com/org/tool.git@v1.0#egg=tool"
            )]
        );
        assert_eq!(parsed.dependencies[6].package_name, "my_pkg");

        let reasons: Vec<(u32, &str)> = parsed
            .unparsed
            .iter()
            .map(|u| (u.line_number, u.line.as_str()))
            .collect();
        assert_eq!(reasons, [(13, "./vendor/local_pkg"), (17, "pkg=>1")]);
        assert!(
            parsed.unparsed[0]
                .reason
                .starts_with("editable or local requirement without a package name")
        );
        assert!(parsed.unparsed[1].reason.contains("'>='"));
        assert!(
            parsed
                .dependencies
                .iter()
                .all(|d| d.source == DependencySource::Requirements)
        );
    }

    #[test]
    fn bare_names_and_normalization() {
        let dep = one("Scikit_Learn");
        assert_eq!(dep.package_name, "Scikit_Learn");
        assert_eq!(dep.normalized_name, "scikit-learn");
        assert!(dep.constraints.is_empty() && dep.extras.is_empty());
        assert_eq!(dep.marker, None);
        assert_eq!(one("zope.interface").normalized_name, "zope-interface");
        assert_eq!(one("A-_.-b").normalized_name, "a-b");
        assert_eq!(one("x").normalized_name, "x");
        assert_eq!(one("py3").normalized_name, "py3");
    }

    #[test]
    fn blank_lines_and_comments_are_nothing() {
        nothing("");
        nothing("\n\n   \n\t\n");
        nothing("# just a comment\n   # indented comment\n#numpy==1.0");
        nothing("# a comment ending in a backslash \\\n");
        nothing("\u{feff}# byte order mark first\n");
    }

    #[test]
    fn inline_comments_need_whitespace_before_them() {
        let dep = one("numpy>=1.24 # the array library");
        assert_eq!(dep.constraints, [constraint(">=", "1.24")]);
        assert_eq!(dep.line, "numpy>=1.24");
        let dep = one("numpy\t# tab before");
        assert_eq!(dep.line, "numpy");
        let dep = one("git+https://github.com/org/pkg.git#egg=pkg # pinned fork");
        assert_eq!(dep.package_name, "pkg");
        assert_eq!(
            dep.constraints,
            [constraint(
                "@",
                "git+https://github.com/org/pkg.git#egg=pkg"
            )]
        );
    }

    #[test]
    fn continuations_join_with_one_space_and_keep_the_first_line_number() {
        let text = "first==1\nsecond \\\n  >=1, \\\n  <2\nthird\n";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
        let second = &parsed.dependencies[1];
        assert_eq!(second.line, "second >=1, <2");
        assert_eq!(second.line_number, 2);
        assert_eq!(
            second.constraints,
            [constraint(">=", "1"), constraint("<", "2")]
        );
        assert_eq!(parsed.dependencies[2].line_number, 5);
        // A continuation on the last line just ends there.
        assert_eq!(one("numpy \\").line, "numpy");
        // A comment line ends a continuation, as in pip.
        let parsed = parse_requirements("numpy \\\n# note\npandas", DependencySource::Requirements);
        let lines: Vec<u32> = parsed.dependencies.iter().map(|d| d.line_number).collect();
        assert_eq!(lines, [1, 3]);
    }

    #[test]
    fn crlf_line_endings_are_handled() {
        let text = "numpy==1.0\r\npandas \\\r\n  >=2\r\n\r\n# c\r\nscipy\r\n";
        let parsed = parse_requirements(text, DependencySource::Requirements);
        assert!(parsed.unparsed.is_empty(), "{:?}", parsed.unparsed);
        let found: Vec<(&str, u32, &str)> = parsed
            .dependencies
            .iter()
            .map(|d| (d.package_name.as_str(), d.line_number, d.line.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("numpy", 1, "numpy==1.0"),
                ("pandas", 2, "pandas >=2"),
                ("scipy", 6, "scipy")
            ]
        );
    }

    #[test]
    fn markers_follow_a_semicolon() {
        let dep = one("pkg>=1; python_version < \"3.8\"");
        assert_eq!(dep.constraints, [constraint(">=", "1")]);
        assert_eq!(dep.marker.as_deref(), Some("python_version < \"3.8\""));
        let dep = one("pkg ;sys_platform=='win32' and python_version>='3'");
        assert!(dep.constraints.is_empty());
        assert_eq!(
            dep.marker.as_deref(),
            Some("sys_platform=='win32' and python_version>='3'")
        );
        assert!(unparsed("pkg>=1;").contains("Nothing follows ';'"));
        assert!(unparsed("pkg>=1 ;   ").contains("Nothing follows ';'"));
    }

    #[test]
    fn hashes_and_other_per_requirement_options_are_dropped_from_constraints() {
        let dep = one("pkg==1.0 --hash=sha256:abcd --hash sha256:ef01");
        assert_eq!(dep.constraints, [constraint("==", "1.0")]);
        assert_eq!(dep.line, "pkg==1.0 --hash=sha256:abcd --hash sha256:ef01");
        let dep = one("pkg==1.0; python_version>'3' --hash=sha256:abcd");
        assert_eq!(dep.marker.as_deref(), Some("python_version>'3'"));
        let dep = one("pkg --config-settings=x=y");
        assert!(dep.constraints.is_empty());
        // Hyphens inside a name or version are not options.
        let dep = one("my-pkg==1.0-1");
        assert_eq!(dep.constraints, [constraint("==", "1.0-1")]);
    }

    #[test]
    fn extras_are_read() {
        let dep = one("pkg[a,b]>=1");
        assert_eq!(dep.extras, ["a", "b"]);
        assert_eq!(dep.constraints, [constraint(">=", "1")]);
        assert_eq!(one("pkg [ a , b ] >= 1").extras, ["a", "b"]);
        assert!(one("pkg[]").extras.is_empty());
        assert!(unparsed("pkg[a,b>=1").contains("no closing ']'"));
        assert!(unparsed("pkg[a,,b]").contains("not a valid extra"));
        assert!(unparsed("pkg[a b]").contains("not a valid extra"));
    }

    #[test]
    fn constraint_lists_with_and_without_spaces() {
        let expected = [constraint(">=", "1"), constraint("<", "2")];
        assert_eq!(one("pkg>=1,<2").constraints, expected);
        assert_eq!(one("pkg >= 1 , < 2").constraints, expected);
        assert_eq!(one("pkg (>=1,<2)").constraints, expected);
        assert_eq!(one("pkg(>=1, <2)").constraints, expected);
        assert_eq!(one("pkg ()").constraints, []);
    }

    #[test]
    fn every_operator_is_recognized() {
        for (text, op, version) in [
            ("pkg==1.0", "==", "1.0"),
            ("pkg!=1.0", "!=", "1.0"),
            ("pkg>=1.0", ">=", "1.0"),
            ("pkg<=1.0", "<=", "1.0"),
            ("pkg>1.0", ">", "1.0"),
            ("pkg<1.0", "<", "1.0"),
            ("pkg~=1.4.2", "~=", "1.4.2"),
            ("pkg===1.0-local_thing", "===", "1.0-local_thing"),
            ("pkg==1.*", "==", "1.*"),
            ("pkg!=1.4.*", "!=", "1.4.*"),
            ("pkg==2.0.0rc1", "==", "2.0.0rc1"),
            ("pkg==1!2.0.post1.dev3", "==", "1!2.0.post1.dev3"),
            ("pkg==v1.0", "==", "v1.0"),
        ] {
            assert_eq!(one(text).constraints, [constraint(op, version)], "{text}");
        }
    }

    #[test]
    fn direct_url_references() {
        let dep = one("my_pkg @ https://example.com/my_pkg-1.0.tar.gz");
        assert_eq!(dep.package_name, "my_pkg");
        assert_eq!(
            dep.constraints,
            [constraint("@", "https://example.com/my_pkg-1.0.tar.gz")]
        );
        let dep = one("pkg[x]@git+https://github.com/o/pkg.git@main");
        assert_eq!(dep.extras, ["x"]);
        assert_eq!(
            dep.constraints,
            [constraint("@", "git+https://github.com/o/pkg.git@main")]
        );
        let dep = one("pkg @ https://x.org/p.whl ; python_version >= '3.9'");
        assert_eq!(dep.marker.as_deref(), Some("python_version >= '3.9'"));
        let dep = one("pkg @ https://x.org/p.whl; os_name == 'nt'");
        assert_eq!(dep.constraints, [constraint("@", "https://x.org/p.whl")]);
        assert_eq!(dep.marker.as_deref(), Some("os_name == 'nt'"));
        let dep = one("pkg @ file:///opt/wheels/pkg.whl");
        assert_eq!(
            dep.constraints,
            [constraint("@", "file:///opt/wheels/pkg.whl")]
        );
        assert!(unparsed("pkg @").contains("no URL"));
        assert!(unparsed("pkg @ https://x.org/p.whl extra words").contains("Unexpected text"));
    }

    #[test]
    fn editable_and_bare_urls_need_an_egg_name() {
        for line in [
            "-e git+https://github.com/o/r.git#egg=tool",
            "-egit+https://github.com/o/r.git#egg=tool",
            "--editable git+https://github.com/o/r.git#egg=tool",
            "--editable=git+https://github.com/o/r.git#egg=tool",
            "git+https://github.com/o/r.git#egg=tool",
        ] {
            let dep = one(line);
            assert_eq!(dep.package_name, "tool", "{line}");
            assert_eq!(
                dep.constraints,
                [constraint("@", "git+https://github.com/o/r.git#egg=tool")],
                "{line}"
            );
            assert_eq!(dep.line, line);
        }
        let dep = one("-e ./libs/tool#egg=tool&subdirectory=python");
        assert_eq!(dep.package_name, "tool");
        let dep = one("-e git+https://x.org/r.git#egg=tool[dev,test]");
        assert_eq!(dep.extras, ["dev", "test"]);
        assert_eq!(
            dep.constraints,
            [constraint("@", "git+https://x.org/r.git#egg=tool")]
        );
        for line in [
            "-e .",
            "-e ./pkg",
            "-e ./pkg[dev]",
            "./pkg",
            "../pkg",
            "/abs/pkg",
            "~/pkg",
            "git+https://github.com/o/r.git",
            "https://example.com/pkg-1.0.tar.gz",
            "pkg-1.0-py3-none-any.whl",
            "pkg-1.0.tar.gz",
            "C:\\wheels\\pkg.whl",
            "git+https://x.org/r.git#egg=",
        ] {
            assert!(
                unparsed(line).starts_with("editable or local requirement without a package name"),
                "{line}"
            );
        }
        assert!(unparsed("-e").contains("needs a path or URL"));
        assert!(
            unparsed("git+https://x.org/r.git#egg=%%")
                .contains("does not give a valid package name")
        );
    }

    #[test]
    fn global_options_are_skipped_silently() {
        nothing(
            "-r other.txt\n--requirement other.txt\n-rother.txt\n-c constraints.txt\n\
             --constraint=constraints.txt\n-i https://pypi.org/simple\n--index-url https://x\n\
             --extra-index-url https://y\n--no-index\n-f ./wheels\n--find-links=https://z\n--pre\n\
             --no-binary :all:\n--only-binary=:none:\n--prefer-binary\n--require-hashes\n\
             --trusted-host pypi.example.com\n--use-feature=truststore\n--hash=sha256:abc\n",
        );
        assert!(unparsed("--frobnicate").contains("'--frobnicate' is not an option"));
        assert!(unparsed("-x foo").contains("'-x' is not an option"));
    }

    #[test]
    fn invalid_lines_are_reported_with_reasons() {
        for (line, expected) in [
            ("%%%", "does not start with a package name"),
            ("[extra]", "does not start with a package name"),
            ("pkg==", "'==' has no version"),
            ("pkg>=1,", "empty constraint"),
            ("pkg>=1,,<2", "empty constraint"),
            ("pkg=>1", "Did you mean '>='"),
            ("pkg=<1", "Did you mean '<='"),
            ("pkg=1.0", "Did you mean '=='"),
            ("pkg 1.0", "does not start with a comparison"),
            ("numpy pandas", "does not start with a comparison"),
            ("pkg>=1.0 <2", "Separate constraints with commas"),
            ("pkg>=1.*", "'*' where it is not allowed"),
            ("pkg==1.*.2", "'*' where it is not allowed"),
            ("pkg==@1", "not a version"),
            ("pkg (>=1", "no closing ')'"),
            ("_pkg", "not a valid package name"),
            ("pkg-", "not a valid package name"),
            ("pkg\u{7}==1", "control character"),
        ] {
            let reason = unparsed(line);
            assert!(reason.contains(expected), "{line:?}: {reason}");
        }
    }

    #[test]
    fn unparsed_lines_keep_their_text_number_and_source() {
        let parsed = parse_requirements("numpy\n\n%%%  # bad\n", DependencySource::PipPackages);
        assert_eq!(parsed.dependencies.len(), 1);
        let bad = &parsed.unparsed[0];
        assert_eq!(bad.line, "%%%");
        assert_eq!(bad.line_number, 3);
        assert_eq!(bad.source, DependencySource::PipPackages);
        assert!(!bad.reason.is_empty());
    }

    #[test]
    fn lines_beyond_the_limit_are_ignored_with_one_note() {
        let mut text = "pkg\n".repeat(MAX_REQUIREMENT_LINES);
        let parsed = parse_requirements(&text, DependencySource::Requirements);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert!(parsed.unparsed.is_empty());

        text.push_str("extra1\nextra2\n");
        let parsed = parse_requirements(&text, DependencySource::Requirements);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert_eq!(parsed.unparsed.len(), 1);
        assert_eq!(parsed.unparsed[0].line_number, 10_001);
        assert!(parsed.unparsed[0].reason.contains("2 more were ignored"));
    }

    #[test]
    fn pip_packages_are_single_lines_numbered_from_one() {
        let packages: Vec<String> = [
            "numpy>=1.24",
            "",
            "pandas  # comment",
            "--extra-index-url https://x",
            "bad==",
            "torch\n==2.0",
        ]
        .map(str::to_owned)
        .to_vec();
        let parsed = parse_pip_packages(&packages);
        let found: Vec<(&str, u32, &str)> = parsed
            .dependencies
            .iter()
            .map(|d| (d.package_name.as_str(), d.line_number, d.line.as_str()))
            .collect();
        assert_eq!(
            found,
            [("numpy", 1, "numpy>=1.24"), ("pandas", 3, "pandas")]
        );
        assert!(
            parsed
                .dependencies
                .iter()
                .all(|d| d.source == DependencySource::PipPackages)
        );
        let bad: Vec<u32> = parsed.unparsed.iter().map(|u| u.line_number).collect();
        assert_eq!(bad, [5, 6]);
        assert!(parsed.unparsed[1].reason.contains("own entry"));

        let many = vec!["pkg".to_owned(); MAX_REQUIREMENT_LINES + 3];
        let parsed = parse_pip_packages(&many);
        assert_eq!(parsed.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert!(parsed.unparsed[0].reason.contains("3 more were ignored"));
    }

    #[test]
    fn merge_appends_both_lists() {
        let mut all = parse_requirements("numpy\n%%%", DependencySource::Requirements);
        all.merge(parse_pip_packages(&[
            "pandas".to_owned(),
            "bad==".to_owned(),
        ]));
        let names: Vec<&str> = all
            .dependencies
            .iter()
            .map(|d| d.package_name.as_str())
            .collect();
        assert_eq!(names, ["numpy", "pandas"]);
        let sources: Vec<&DependencySource> = all.unparsed.iter().map(|u| &u.source).collect();
        assert_eq!(
            sources,
            [
                &DependencySource::Requirements,
                &DependencySource::PipPackages
            ]
        );
    }

    #[test]
    fn serializes_with_snake_case_sources() {
        let parsed = parse_pip_packages(&["numpy==1.0".to_owned()]);
        let json = serde_json::to_value(&parsed).expect("serializes");
        assert_eq!(json["dependencies"][0]["source"], "pip_packages");
        assert_eq!(
            json["dependencies"][0]["constraints"][0]["constraint_type"],
            "=="
        );
        let back: Dependencies = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, parsed);
    }
}
