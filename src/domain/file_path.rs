//! The one place a version file's relative path is checked and normalized: multipart file
//! names, `PUT …/files/{path}` and `delete_paths` all go through [`normalize_file_path`], so a
//! path that could escape the version (or not be written back to disk on any common system)
//! never gets in.

use super::error::ApiError;
use super::model::preview;
use crate::domain::error::codes;

pub const MAX_PATH_BYTES: usize = 1024;
pub const MAX_SEGMENT_BYTES: usize = 255;
pub const MAX_PATH_DEPTH: usize = 32;

fn invalid(raw: &str, why: &str, solution: &str) -> ApiError {
    // Debug formatting shows control characters escaped rather than raw.
    let shown = format!("{:?}", preview(raw));
    ApiError::invalid(
        "path",
        codes::INVALID_FILE_PATH,
        format!("The file path {shown} is not allowed: {why}."),
        solution.to_owned(),
    )
}

const RELATIVE: &str = "Use a relative path with '/' between folders, such as 'model/weights.bin'.";

/// Normalizes a relative file path (surrounding whitespace trimmed, `.` segments dropped) or
/// says why it is refused.
pub fn normalize_file_path(raw: &str) -> Result<String, ApiError> {
    let path = raw.trim();
    if path.is_empty() {
        return Err(invalid(raw, "it is empty", RELATIVE));
    }
    if path.chars().any(char::is_control) {
        return Err(invalid(
            raw,
            "it contains control characters",
            "Remove NUL, newlines and other control characters from the name.",
        ));
    }
    if path.contains('\\') {
        return Err(invalid(raw, "it contains a backslash", RELATIVE));
    }
    if path.starts_with('/') {
        return Err(invalid(raw, "it is absolute", RELATIVE));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(invalid(
            raw,
            &format!("it is longer than {MAX_PATH_BYTES} bytes"),
            "Shorten the folder or file names.",
        ));
    }
    let mut segments = Vec::new();
    for (i, segment) in path.split('/').enumerate() {
        if i == 0 && segment.contains(':') {
            return Err(invalid(raw, "it starts with a drive or scheme", RELATIVE));
        }
        match segment {
            "" => {
                return Err(invalid(
                    raw,
                    "it has an empty folder name ('//' or a trailing '/')",
                    RELATIVE,
                ));
            }
            "." => continue,
            ".." => {
                return Err(invalid(
                    raw,
                    "it refers to a parent folder ('..')",
                    RELATIVE,
                ));
            }
            _ => {}
        }
        if segment.trim().is_empty() || segment.ends_with(' ') || segment.ends_with('.') {
            return Err(invalid(
                raw,
                "a name is blank or ends with a space or a dot",
                "Rename it: such names cannot be stored on every system.",
            ));
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(invalid(
                raw,
                &format!("a name is longer than {MAX_SEGMENT_BYTES} bytes"),
                "Shorten the file or folder name.",
            ));
        }
        segments.push(segment);
    }
    if segments.is_empty() {
        return Err(invalid(raw, "it names no file", RELATIVE));
    }
    if segments.len() > MAX_PATH_DEPTH {
        return Err(invalid(
            raw,
            &format!("it is nested more than {MAX_PATH_DEPTH} folders deep"),
            "Flatten the folder structure.",
        ));
    }
    Ok(segments.join("/"))
}

/// The last segment: `a/b/c.txt` → `c.txt`.
pub fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalizes_relative_paths() {
        for (raw, want) in [
            ("model.bin", "model.bin"),
            (" model/weights.bin ", "model/weights.bin"),
            ("./a/./b", "a/b"),
            ("%2e%2e/x", "%2e%2e/x"),
            ("données/模型.bin", "données/模型.bin"),
            (".hidden/.env", ".hidden/.env"),
            ("a..b/c", "a..b/c"),
        ] {
            assert_eq!(normalize_file_path(raw).expect(raw), want);
        }
        let long = "a".repeat(MAX_SEGMENT_BYTES);
        assert!(normalize_file_path(&long).is_ok());
    }

    #[test]
    fn refuses_escapes_and_tricks() {
        let too_long_segment = "a".repeat(MAX_SEGMENT_BYTES + 1);
        let too_long_path = vec!["abcdefgh"; 120].join("/");
        let too_deep = vec!["a"; MAX_PATH_DEPTH + 1].join("/");
        for bad in [
            "",
            "  ",
            "../etc/passwd",
            "a/../../b",
            "..",
            "a/..",
            "/etc/passwd",
            "C:\\x",
            "c:x",
            "C:/x",
            "file:///etc/passwd",
            "a\\..\\b",
            "a\0b",
            "a\nb",
            "a//b",
            "a/",
            "./",
            ".",
            "x.",
            "a. /b",
            "a /b",
            " /b",
            too_long_segment.as_str(),
            too_long_path.as_str(),
            too_deep.as_str(),
        ] {
            let e = normalize_file_path(bad).expect_err(bad);
            assert_eq!(e.error_code, "INVALID_FILE_PATH", "{bad:?}");
            assert_eq!(e.field.as_deref(), Some("path"));
            assert!(!e.error_msg.contains('\0'));
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("a/b/c.txt"), "c.txt");
        assert_eq!(file_name("c.txt"), "c.txt");
    }
}
