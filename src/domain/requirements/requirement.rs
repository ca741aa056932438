//! One requirement as PEP 508 and pip write it: a package name with extras and constraints, or
//! a URL or path (named by `#egg=`), and an environment marker.

use super::Constraint;
use super::specifier::parse_constraints;

/// What a requirement says, before it is tied to a line.
pub(super) struct Parsed {
    pub(super) name: String,
    pub(super) extras: Vec<String>,
    pub(super) constraints: Vec<Constraint>,
    pub(super) marker: Option<String>,
}

/// A requirement that starts with a name: `name[extras] constraints ; marker` or
/// `name[extras] @ url ; marker`; or else a bare URL or path.
pub(super) fn parse_requirement(requirement: &str) -> Result<Parsed, String> {
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
pub(super) fn parse_url_requirement(requirement: &str) -> Result<Parsed, String> {
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
pub(super) fn normalize_name(name: &str) -> String {
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
