//! Blobs as files on local disk: `ab/cdef…` under the root (the hash split after two
//! characters) and `tmp/` for uploads in flight, on the same file system so that a finished
//! upload becomes visible by an atomic rename.

use super::{BlobReader, BlobStream, PutError, StoredBlob, is_older, is_sha256, not_a_blob};
use bytes::Bytes;
use futures_util::Stream;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

pub(super) struct LocalStore {
    root: PathBuf,
}

fn join_error(e: tokio::task::JoinError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl LocalStore {
    pub async fn open(root: PathBuf) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where a blob's bytes live; `sha256` must be a checked hash.
    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(&sha256[2..])
    }

    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let mut spooled = super::spool(&self.temp_dir(), body, limit).await?;
        let target = self.blob_path(&spooled.blob.sha256);
        if tokio::fs::try_exists(&target).await? {
            // Already stored: refresh its age so a sweep running now does not take it away
            // before this upload records its reference.
            let target_for_touch = target.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::File::options()
                    .write(true)
                    .open(&target_for_touch)
                    .and_then(|f| f.set_modified(SystemTime::now()))
            })
            .await
            .map_err(join_error)??;
        } else {
            if let Some(dir) = target.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(spooled.file.path(), &target).await?;
            spooled.file.keep();
            // A later upload of the same bytes refreshes this time (above), which tells a
            // refused upload that its bytes are in use.
            spooled.blob.written_at = Some(tokio::fs::metadata(&target).await?.modified()?);
        }
        Ok(spooled.blob)
    }

    /// The file of a blob, if it is stored.
    pub async fn existing_file(&self, sha256: &str) -> std::io::Result<PathBuf> {
        if !is_sha256(sha256) {
            return Err(not_a_blob());
        }
        let path = self.blob_path(sha256);
        tokio::fs::metadata(&path).await?;
        Ok(path)
    }

    pub async fn read_range(
        &self,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<BlobStream> {
        if !is_sha256(sha256) {
            return Err(not_a_blob());
        }
        read_file_range(&self.blob_path(sha256), start, len).await
    }

    pub async fn open_blob(&self, sha256: &str) -> std::io::Result<BlobReader> {
        if !is_sha256(sha256) {
            return Err(not_a_blob());
        }
        let file = tokio::fs::File::open(self.blob_path(sha256)).await?;
        Ok(Box::new(file))
    }

    pub async fn old_blobs(&self, grace: Duration) -> std::io::Result<Vec<String>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let now = SystemTime::now();
            for dir in std::fs::read_dir(&root)? {
                let dir = dir?;
                let prefix = dir.file_name().to_string_lossy().into_owned();
                if prefix.len() != 2 || !dir.file_type()?.is_dir() {
                    continue;
                }
                for entry in std::fs::read_dir(dir.path())? {
                    let entry = entry?;
                    let sha = format!("{prefix}{}", entry.file_name().to_string_lossy());
                    if !is_sha256(&sha) {
                        continue;
                    }
                    if is_older(&entry.path(), now, grace) {
                        out.push(sha);
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(join_error)?
    }

    /// Removes a blob whose file was last modified at `written_at`: no upload reused it since.
    pub async fn remove_if_unchanged(
        &self,
        sha256: &str,
        written_at: SystemTime,
    ) -> std::io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        let path = self.blob_path(sha256);
        let modified = match tokio::fs::metadata(&path).await {
            Ok(meta) => meta.modified()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if modified != written_at {
            return Ok(false);
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn remove_if_old(&self, sha256: &str, grace: Duration) -> std::io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        let path = self.blob_path(sha256);
        let now = SystemTime::now();
        if !is_older(&path, now, grace) {
            return Ok(false);
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `len` bytes from `start` of a file, as a stream of chunks.
pub(super) async fn read_file_range(
    path: &Path,
    start: u64,
    len: u64,
) -> std::io::Result<BlobStream> {
    let mut file = tokio::fs::File::open(path).await?;
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await?;
    }
    let reader = file.take(len);
    Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(
        reader,
        256 * 1024,
    )))
}
