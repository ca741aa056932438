//! Content-addressed blob storage. Uploads stream to a temporary file while being hashed with
//! SHA-256 (constant memory whatever the size), and are moved under their hash only when
//! complete, so a reader never sees half a file. Identical bytes are stored once.
//!
//! Layout under the data directory: `blobs/ab/cdef…` (the hash split after two characters) and
//! `blobs/tmp/` for uploads in flight. Temporary files of interrupted uploads are removed when
//! the upload's future is dropped, or at the next start / sweep if the process died.

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufWriter};

/// How long an unreferenced blob or temporary file is kept before a sweep removes it: long
/// enough for an upload that just stored it to record its reference.
pub const SWEEP_GRACE: Duration = Duration::from_secs(60 * 60);

const WRITE_BUFFER: usize = 1024 * 1024;

/// A stored blob's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

/// Why storing a stream failed.
#[derive(Debug, thiserror::Error)]
pub enum PutError {
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the upload was interrupted: {0}")]
    Body(String),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

/// Removes a temporary file unless it was kept; runs when an upload fails or is abandoned.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl BlobStore {
    /// Opens (and creates) the store under `root`.
    pub async fn open(root: PathBuf) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        Ok(Self { root })
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Where a blob's bytes live.
    pub fn blob_path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(&sha256[2..])
    }

    /// Streams `body` into the store, failing with [`PutError::TooLarge`] as soon as more than
    /// `limit` bytes arrive. Nothing is left behind on failure.
    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let mut temp = TempFile {
            path: self
                .temp_dir()
                .join(uuid::Uuid::new_v4().simple().to_string()),
            keep: false,
        };
        let file = tokio::fs::File::create(&temp.path).await?;
        let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| PutError::Body(e.to_string()))?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(PutError::TooLarge { limit });
            }
            hasher.update(&chunk);
            writer.write_all(&chunk).await?;
        }
        writer.flush().await?;
        let file = writer.into_inner();
        file.sync_data().await?;
        drop(file);
        let sha256 = hex::encode(hasher.finalize());
        let target = self.blob_path(&sha256);
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
            .map_err(|e| std::io::Error::other(e.to_string()))??;
        } else {
            if let Some(dir) = target.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(&temp.path, &target).await?;
            temp.keep = true;
        }
        Ok(StoredBlob { sha256, size })
    }

    /// Reads `len` bytes from `start` of a blob, as a stream of chunks.
    pub async fn read_range(
        &self,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static + use<>> {
        if !is_sha256(sha256) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a blob name",
            ));
        }
        let mut file = tokio::fs::File::open(self.blob_path(sha256)).await?;
        if start > 0 {
            file.seek(SeekFrom::Start(start)).await?;
        }
        let reader = file.take(len);
        Ok(tokio_util::io::ReaderStream::with_capacity(
            reader,
            256 * 1024,
        ))
    }

    /// Opens a blob for reading from the start.
    pub async fn open_blob(&self, sha256: &str) -> std::io::Result<tokio::fs::File> {
        if !is_sha256(sha256) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not a blob name",
            ));
        }
        tokio::fs::File::open(self.blob_path(sha256)).await
    }

    /// The hashes of every stored blob older than `grace`, for the sweep to check against the
    /// database.
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
        .map_err(|e| std::io::Error::other(e.to_string()))?
    }

    /// Removes a blob's bytes if they are still older than `grace` (an upload may have just
    /// reused them).
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

    /// Removes temporary files older than `grace` (all of them at start).
    pub async fn clear_temp(&self, grace: Duration) -> std::io::Result<usize> {
        let dir = self.temp_dir();
        tokio::task::spawn_blocking(move || {
            let now = SystemTime::now();
            let mut removed = 0;
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                if is_older(&entry.path(), now, grace) && std::fs::remove_file(entry.path()).is_ok()
                {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

fn is_older(path: &Path, now: SystemTime, grace: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|modified| now.duration_since(modified).unwrap_or_default() >= grace)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    #[tokio::test]
    async fn identical_bytes_are_stored_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::open(dir.path().join("blobs"))
            .await
            .expect("open");
        let a = store
            .put_stream(chunks(&[b"hello ", b"world"]), 100)
            .await
            .expect("put");
        let b = store
            .put_stream(chunks(&[b"hello world"]), 100)
            .await
            .expect("put");
        assert_eq!(a, b);
        assert_eq!(a.size, 11);
        assert_eq!(
            a.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        let temp_left = std::fs::read_dir(dir.path().join("blobs/tmp"))
            .expect("tmp")
            .count();
        assert_eq!(temp_left, 0);
    }

    #[tokio::test]
    async fn too_large_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::open(dir.path().join("blobs"))
            .await
            .expect("open");
        let e = store
            .put_stream(chunks(&[b"12345", b"67890"]), 7)
            .await
            .expect_err("too large");
        assert!(matches!(e, PutError::TooLarge { limit: 7 }));
        let left = std::fs::read_dir(dir.path().join("blobs/tmp"))
            .expect("tmp")
            .count();
        assert_eq!(left, 0);
        assert!(
            store
                .old_blobs(Duration::ZERO)
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn ranges_read_the_right_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = BlobStore::open(dir.path().join("blobs"))
            .await
            .expect("open");
        let blob = store
            .put_stream(chunks(&[b"0123456789"]), 100)
            .await
            .expect("put");
        let stream = store.read_range(&blob.sha256, 3, 4).await.expect("read");
        let parts: Vec<Bytes> = stream.map(|c| c.expect("chunk")).collect::<Vec<_>>().await;
        assert_eq!(parts.concat(), b"3456");
    }
}
