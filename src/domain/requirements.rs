//! Python dependencies, read from a `requirements.txt` and from `pip_packages` lists. Parsing
//! never fails: what cannot be understood is reported line by line with a reason.

use serde::{Deserialize, Serialize};

/// One version constraint: `>=` `1.26`, or `@` and a URL for a direct reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub constraint_type: String,
    pub version: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DependencySource {
    Requirements,
    PipPackages,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    /// As written.
    pub package_name: String,
    /// PEP 503: lowercase, runs of `-_.` as one `-`; what comparisons use.
    pub normalized_name: String,
    pub extras: Vec<String>,
    pub constraints: Vec<Constraint>,
    /// The environment marker after `;`.
    pub marker: Option<String>,
    /// The logical line as written (continuations joined, comment removed).
    pub line: String,
    /// 1-based number of the first physical line.
    pub line_number: u32,
    pub source: DependencySource,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnparsedLine {
    pub line: String,
    pub line_number: u32,
    pub reason: String,
    pub source: DependencySource,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependencies {
    pub dependencies: Vec<Dependency>,
    pub unparsed: Vec<UnparsedLine>,
}

impl Dependencies {
    pub fn merge(&mut self, other: Dependencies) {
        self.dependencies.extend(other.dependencies);
        self.unparsed.extend(other.unparsed);
    }
}

pub const MAX_REQUIREMENT_LINES: usize = 10_000;

const OPERATORS: [&str; 8] = ["===", "==", "!=", ">=", "<=", "~=", ">", "<"];

/// Option lines that configure pip rather than name a dependency.
const GLOBAL_OPTIONS: [&str; 16] = [
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
    "--trusted-host",
    "--use-feature",
];

pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    let bytes = s.as_bytes();
    !s.is_empty()
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Removes a comment: `#` at the start or after whitespace (a `#` inside a URL fragment stays).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// Drops `--hash=…` options (and any other `--option` after the requirement).
fn strip_options(requirement: &str) -> &str {
    match requirement.find(" --") {
        Some(i) => &requirement[..i],
        None => requirement,
    }
}

fn egg_name(url: &str) -> Option<String> {
    let fragment = url.split_once('#')?.1;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("egg="))
        .map(|n| n.split('[').next().unwrap_or(n).to_owned())
        .filter(|n| is_name(n))
}

/// Parses one logical requirement line, or says why it cannot.
fn parse_line(
    line: &str,
    line_number: u32,
    source: DependencySource,
) -> Result<Option<Dependency>, String> {
    let dependency = |name: &str, extras, constraints, marker| Dependency {
        package_name: name.to_owned(),
        normalized_name: normalize_name(name),
        extras,
        constraints,
        marker,
        line: line.to_owned(),
        line_number,
        source,
    };
    let first = line.split_whitespace().next().unwrap_or_default();
    let option = first.split('=').next().unwrap_or(first);
    if GLOBAL_OPTIONS.contains(&option) {
        return Ok(None);
    }
    if option == "-e" || option == "--editable" {
        let target = line[first.len()..].trim();
        let target = if target.is_empty() {
            first.split_once('=').map(|(_, t)| t).unwrap_or("")
        } else {
            target
        };
        return match egg_name(target) {
            Some(name) => Ok(Some(dependency(
                &name,
                vec![],
                vec![Constraint {
                    constraint_type: "@".into(),
                    version: target.to_owned(),
                }],
                None,
            ))),
            None => Err("editable or local requirement without a package name (#egg=…)".into()),
        };
    }
    if first.starts_with('-') {
        return Err(format!("unknown option '{first}'"));
    }
    let requirement = strip_options(line).trim();
    // A bare URL or path.
    if requirement.contains("://") && !requirement.contains(" @ ") && !requirement.contains('@')
        || requirement.starts_with('.')
        || requirement.starts_with('/')
    {
        return match egg_name(requirement) {
            Some(name) => Ok(Some(dependency(
                &name,
                vec![],
                vec![Constraint {
                    constraint_type: "@".into(),
                    version: requirement.to_owned(),
                }],
                None,
            ))),
            None => Err("editable or local requirement without a package name (#egg=…)".into()),
        };
    }
    let (spec, marker) = match requirement.split_once(';') {
        Some((s, m)) => (
            s.trim(),
            Some(m.trim().to_owned()).filter(|m| !m.is_empty()),
        ),
        None => (requirement, None),
    };
    // The name runs up to the first character that cannot be in one.
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_end];
    if !is_name(name) {
        return Err(format!(
            "'{}' is not a package name",
            spec.split_whitespace().next().unwrap_or(spec)
        ));
    }
    let mut rest = spec[name_end..].trim_start();
    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let Some((inside, tail)) = after.split_once(']') else {
            return Err("the extras list '[' is not closed".into());
        };
        for extra in inside.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if !is_name(extra) {
                return Err(format!("'{extra}' is not an extra name"));
            }
            extras.push(extra.to_owned());
        }
        rest = tail.trim_start();
    }
    if let Some(url) = rest.strip_prefix('@') {
        let url = url.trim();
        if url.is_empty() {
            return Err("'@' is not followed by a URL".into());
        }
        return Ok(Some(dependency(
            name,
            extras,
            vec![Constraint {
                constraint_type: "@".into(),
                version: url.to_owned(),
            }],
            marker,
        )));
    }
    let rest = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest)
        .trim();
    let mut constraints = Vec::new();
    if !rest.is_empty() {
        for part in rest.split(',').map(str::trim) {
            let Some(op) = OPERATORS.iter().find(|op| part.starts_with(**op)) else {
                return Err(format!(
                    "'{part}' is not a version constraint (use ==, >=, <=, ~=, !=, <, >)"
                ));
            };
            let version = part[op.len()..].trim();
            let valid = !version.is_empty()
                && version.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '*' | '+' | '-' | '_' | '!')
                });
            // `=>` and `=<` start like operators but are typos.
            if !valid || version.starts_with(['=', '<', '>', '~', '!']) {
                return Err(format!("'{part}' has no valid version"));
            }
            constraints.push(Constraint {
                constraint_type: (*op).to_owned(),
                version: version.to_owned(),
            });
        }
    }
    Ok(Some(dependency(name, extras, constraints, marker)))
}

/// Parses a requirements file. Comments, blank lines, option lines, continuations, markers and
/// hashes are understood; anything else lands in `unparsed`.
pub fn parse_requirements(text: &str, source: DependencySource) -> Dependencies {
    let mut out = Dependencies::default();
    let mut logical = String::new();
    let mut start_line = 0u32;
    let mut count = 0usize;
    let push = |out: &mut Dependencies, line: &str, number: u32| {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        match parse_line(line, number, source) {
            Ok(Some(d)) => out.dependencies.push(d),
            Ok(None) => {}
            Err(reason) => out.unparsed.push(UnparsedLine {
                line: line.to_owned(),
                line_number: number,
                reason,
                source,
            }),
        }
    };
    for (index, physical) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        count += 1;
        if count > MAX_REQUIREMENT_LINES {
            out.unparsed.push(UnparsedLine {
                line: String::new(),
                line_number: number,
                reason: format!("only the first {MAX_REQUIREMENT_LINES} lines are read"),
                source,
            });
            logical.clear();
            break;
        }
        let physical = physical.trim_end_matches('\r');
        if logical.is_empty() {
            start_line = number;
        }
        let content = strip_comment(physical);
        if let Some(continued) = content.trim_end().strip_suffix('\\') {
            logical.push_str(continued.trim());
            logical.push(' ');
            continue;
        }
        logical.push_str(content.trim());
        let line = std::mem::take(&mut logical);
        push(&mut out, &line, start_line);
    }
    if !logical.trim().is_empty() {
        push(&mut out, &logical, start_line);
    }
    out
}

/// `pip_packages` entries are single requirement lines; `line_number` is the entry's position.
pub fn parse_pip_packages(packages: &[String]) -> Dependencies {
    let mut out = Dependencies::default();
    for (i, entry) in packages.iter().take(MAX_REQUIREMENT_LINES).enumerate() {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = strip_comment(entry).trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line, number, DependencySource::PipPackages) {
            Ok(Some(d)) => out.dependencies.push(d),
            Ok(None) => {}
            Err(reason) => out.unparsed.push(UnparsedLine {
                line: line.to_owned(),
                line_number: number,
                reason,
                source: DependencySource::PipPackages,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Dependencies {
        parse_requirements(text, DependencySource::Requirements)
    }

    fn constraints(d: &Dependency) -> Vec<(String, String)> {
        d.constraints
            .iter()
            .map(|c| (c.constraint_type.clone(), c.version.clone()))
            .collect()
    }

    #[test]
    fn a_realistic_file() {
        let text = "# core\r\n\
numpy>=1.26,<2  # pinned below 2\r\n\
\r\n\
pandas == 2.2.1\n\
scikit-learn[alldeps] (>=1.4)\n\
torch==2.3.*; python_version >= \"3.10\"\n\
--index-url https://pypi.example/simple\n\
-r other.txt\n\
requests>=2.31 \\\n    --hash=sha256:abcdef \\\n    --hash=sha256:012345\n\
mylib @ https://files.example/mylib-1.0.tar.gz#sha256=ff\n\
-e git+https://git.example/org/tool.git#egg=tool\n\
-e ./local/pkg\n\
pkg=>1\n\
%%%\n\
Flask_SQLAlchemy.ext\n";
        let d = parse(text);
        let names: Vec<&str> = d
            .dependencies
            .iter()
            .map(|d| d.package_name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "numpy",
                "pandas",
                "scikit-learn",
                "torch",
                "requests",
                "mylib",
                "tool",
                "Flask_SQLAlchemy.ext"
            ]
        );
        let numpy = &d.dependencies[0];
        assert_eq!(
            constraints(numpy),
            [(">=".into(), "1.26".into()), ("<".into(), "2".into())]
        );
        assert_eq!(numpy.line, "numpy>=1.26,<2");
        assert_eq!(numpy.line_number, 2);
        assert_eq!(d.dependencies[1].line_number, 4);
        assert_eq!(d.dependencies[2].extras, ["alldeps"]);
        assert_eq!(
            constraints(&d.dependencies[2]),
            [(">=".into(), "1.4".into())]
        );
        assert_eq!(
            d.dependencies[3].marker.as_deref(),
            Some("python_version >= \"3.10\"")
        );
        assert_eq!(
            constraints(&d.dependencies[3]),
            [("==".into(), "2.3.*".into())]
        );
        let requests = &d.dependencies[4];
        assert_eq!(requests.line_number, 9);
        assert_eq!(constraints(requests), [(">=".into(), "2.31".into())]);
        assert!(requests.line.contains("--hash=sha256:abcdef"));
        assert_eq!(d.dependencies[5].constraints[0].constraint_type, "@");
        assert_eq!(d.dependencies[6].normalized_name, "tool");
        assert_eq!(d.dependencies[7].normalized_name, "flask-sqlalchemy-ext");

        let unparsed: Vec<(u32, &str)> = d
            .unparsed
            .iter()
            .map(|u| (u.line_number, u.line.as_str()))
            .collect();
        assert_eq!(
            unparsed,
            [(14, "-e ./local/pkg"), (15, "pkg=>1"), (16, "%%%")]
        );
        assert!(d.unparsed.iter().all(|u| !u.reason.is_empty()));
    }

    #[test]
    fn bad_lines_are_reported_not_fatal() {
        let d = parse("pkg==\nok\nx[a\n");
        assert_eq!(d.dependencies.len(), 1);
        assert_eq!(d.unparsed.len(), 2);
    }

    #[test]
    fn pip_packages_are_lines() {
        let d = parse_pip_packages(&["numpy==1.0".into(), "".into(), "bad line here".into()]);
        assert_eq!(d.dependencies[0].source, DependencySource::PipPackages);
        assert_eq!(d.unparsed[0].line_number, 3);
    }

    #[test]
    fn long_files_are_bounded() {
        let text = "a\n".repeat(MAX_REQUIREMENT_LINES + 5);
        let d = parse(&text);
        assert_eq!(d.dependencies.len(), MAX_REQUIREMENT_LINES);
        assert_eq!(d.unparsed.len(), 1);
    }
}
