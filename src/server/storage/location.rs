//! Where blobs live, as `STORAGE_URL` says: local files (the default, under the data directory,
//! or `file:///abs/path`) or an S3-compatible bucket (`s3://bucket/prefix`).

use std::fmt;
use std::path::{Path, PathBuf};

/// A parsed `STORAGE_URL`. Holds no credentials: those come from the `AWS_*` variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageLocation {
    /// Files under this directory (`ab/cdef…`, and `tmp/` for uploads in flight).
    Local(PathBuf),
    /// Objects in `bucket` under `prefix` (no leading or trailing `/`; may be empty).
    S3 { bucket: String, prefix: String },
}

/// A `STORAGE_URL` that cannot be used, with what to write instead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct StorageUrlError {
    pub message: String,
}

impl StorageUrlError {
    pub const SOLUTION: &'static str = "Set STORAGE_URL (or --storage-url) to s3://BUCKET/PREFIX \
         for S3-compatible storage, or file:///ABSOLUTE/PATH for local files; leave it unset to \
         keep files under DATA_DIR/blobs. Credentials go in AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, never in the URL.";

    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl StorageLocation {
    /// Reads `STORAGE_URL`; without one, files go under `data_dir/blobs`. Error messages never
    /// repeat what follows the scheme, in case it holds something secret.
    pub fn parse(url: Option<&str>, data_dir: &Path) -> Result<Self, StorageUrlError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(Self::Local(data_dir.join("blobs")));
        };
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(StorageUrlError::new(
                "STORAGE_URL is not a URL: it has no scheme such as s3:// or file://.",
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "file" => {
                // `file:///srv/blobs` (empty host) or `file://localhost/srv/blobs`.
                let path = rest.strip_prefix("localhost").unwrap_or(rest);
                if !path.starts_with('/') {
                    return Err(StorageUrlError::new(
                        "A file: STORAGE_URL needs an absolute path, written with three slashes: file:///srv/modelyard/blobs.",
                    ));
                }
                if path.contains(['?', '#']) || path.split('/').any(|part| part == "..") {
                    return Err(StorageUrlError::new(
                        "A file: STORAGE_URL must be a plain absolute path, without '..', '?' or '#'.",
                    ));
                }
                Ok(Self::Local(PathBuf::from(path)))
            }
            "s3" => {
                let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
                if authority.contains('@') {
                    return Err(StorageUrlError::new(
                        "STORAGE_URL must not carry credentials: give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
                    ));
                }
                if authority.is_empty() {
                    return Err(StorageUrlError::new(
                        "STORAGE_URL names no bucket: write s3://BUCKET or s3://BUCKET/PREFIX.",
                    ));
                }
                if !is_bucket_name(authority) {
                    return Err(StorageUrlError::new(
                        "The bucket in STORAGE_URL is not a valid bucket name (3 to 63 lowercase letters, digits, '.' and '-').",
                    ));
                }
                if path.contains(['?', '#']) {
                    return Err(StorageUrlError::new(
                        "STORAGE_URL takes no query or fragment: write s3://BUCKET/PREFIX.",
                    ));
                }
                let prefix = path.trim_matches('/');
                if !prefix.is_empty() && object_store::path::Path::parse(prefix).is_err() {
                    return Err(StorageUrlError::new(
                        "The prefix in STORAGE_URL is not a valid object path: use names separated by single '/', without '.', '..' or empty parts.",
                    ));
                }
                Ok(Self::S3 {
                    bucket: authority.to_owned(),
                    prefix: prefix.to_owned(),
                })
            }
            _ => Err(StorageUrlError::new(format!(
                "STORAGE_URL has the scheme '{}', which Modelyard does not store files with.",
                scheme.chars().take(16).collect::<String>()
            ))),
        }
    }
}

/// S3's bucket naming rules, loosely: enough to catch a typo or a stray path.
fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
}

impl fmt::Display for StorageLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(root) => write!(f, "file://{}", root.display()),
            Self::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Self::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<StorageLocation, StorageUrlError> {
        StorageLocation::parse(Some(url), Path::new("/data"))
    }

    #[test]
    fn no_url_means_files_under_the_data_directory() {
        assert_eq!(
            StorageLocation::parse(None, Path::new("/data")),
            Ok(StorageLocation::Local(PathBuf::from("/data/blobs")))
        );
        assert_eq!(
            StorageLocation::parse(Some("  "), Path::new("/data")),
            Ok(StorageLocation::Local(PathBuf::from("/data/blobs")))
        );
    }

    #[test]
    fn good_urls() {
        assert_eq!(
            parse("file:///srv/blobs"),
            Ok(StorageLocation::Local(PathBuf::from("/srv/blobs")))
        );
        assert_eq!(
            parse("file://localhost/srv/blobs"),
            Ok(StorageLocation::Local(PathBuf::from("/srv/blobs")))
        );
        assert_eq!(
            parse("s3://models"),
            Ok(StorageLocation::S3 {
                bucket: "models".into(),
                prefix: String::new()
            })
        );
        let s3 = parse("s3://modelyard-test/team/registry/").expect("valid");
        assert_eq!(
            s3,
            StorageLocation::S3 {
                bucket: "modelyard-test".into(),
                prefix: "team/registry".into()
            }
        );
        assert_eq!(s3.to_string(), "s3://modelyard-test/team/registry");
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_repeating_them() {
        for (url, says) in [
            ("ftp://host/blobs", "scheme 'ftp'"),
            ("s3://", "no bucket"),
            ("s3:///prefix", "no bucket"),
            ("s3://AKIDEXAMPLE:hunter2@bucket/p", "credentials"),
            ("s3://Bad_Bucket/p", "bucket name"),
            ("s3://bucket/a//b", "prefix"),
            ("s3://bucket/a/../b", "prefix"),
            ("file://relative/path", "absolute path"),
            ("file:///srv/../etc", "plain absolute path"),
            ("/srv/blobs", "no scheme"),
        ] {
            let e = parse(url).expect_err(url);
            assert!(e.message.contains(says), "{url}: {}", e.message);
            assert!(!e.message.contains("hunter2"), "{url}: {}", e.message);
        }
    }
}
