//! Version constraints as PEP 440 writes them (`>=1.0`, `==1.4.*`, `~=2.2`), checked as far as
//! their characters go.

use super::Constraint;

/// Longest first, so "===" is not read as "==" followed by "=".
const OPERATORS: [&str; 8] = ["===", "~=", "==", "!=", "<=", ">=", "<", ">"];

pub(super) fn parse_constraints(specs: &str) -> Result<Vec<Constraint>, String> {
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
