//! Content-addressed blob storage. Uploads stream to a temporary file while being hashed with
//! SHA-256 (constant memory whatever the size), and are stored under their hash only when
//! complete, so a reader never sees half a file. Identical bytes are stored once.
//!
//! `STORAGE_URL` picks the backend (see [`StorageLocation`]): local files under the data
//! directory (`blobs/ab/cdef…`, with `blobs/tmp/` for uploads in flight), or an S3-compatible
//! bucket shared by any number of instances, with a bounded read-through cache on local disk for
//! code that needs a real file. Callers see one [`BlobStore`] and never which backend it is.
//! Temporary files of interrupted uploads are removed when the upload's future is dropped, or
//! at the next start / sweep if the process died.

mod cache;
mod local;
mod location;
mod s3;

pub use location::{StorageLocation, StorageUrlError};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncRead, AsyncWriteExt, BufWriter};

/// How long an unreferenced blob or temporary file is kept before a sweep removes it: long
/// enough for an upload that just stored it to record its reference.
pub const SWEEP_GRACE: Duration = Duration::from_secs(60 * 60);

/// The read-through cache's default size when blobs live in a bucket.
pub const DEFAULT_CACHE_BYTES: u64 = 10 * 1024 * 1024 * 1024;

const WRITE_BUFFER: usize = 1024 * 1024;

/// A blob's bytes as a stream of chunks, read as the consumer asks for them.
pub type BlobStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A blob's bytes as an async reader.
pub type BlobReader = Box<dyn AsyncRead + Send + Unpin>;

/// A stored blob's identity, and whether the upload that answered it stored the bytes.
#[derive(Clone, Debug)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
    /// When this upload wrote the bytes, as the store keeps it; `None` when they were already
    /// stored. Only bytes an upload wrote are removed when that upload is refused
    /// ([`BlobStore::discard`]).
    written_at: Option<SystemTime>,
}

/// Blobs are the same when their content is.
impl PartialEq for StoredBlob {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256 && self.size == other.size
    }
}

impl Eq for StoredBlob {}

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

/// Why the store cannot be opened, and what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct OpenError {
    pub message: String,
    pub solution: String,
}

/// The blob store every part of the server uses. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    backend: Arc<Backend>,
}

enum Backend {
    Local(local::LocalStore),
    S3(Box<s3::S3Store>),
}

/// A blob as a file on local disk, for code that needs one (model runtimes, CSV readers). With
/// a bucket it is a cached copy, kept for as long as this value lives.
pub struct LocalBlob {
    path: PathBuf,
    _pin: Option<cache::CachePin>,
}

impl LocalBlob {
    fn cached(path: PathBuf, pin: cache::CachePin) -> Self {
        Self {
            path,
            _pin: Some(pin),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl BlobStore {
    /// Opens (and creates) a store of local files under `root`.
    pub async fn open(root: PathBuf) -> std::io::Result<Self> {
        let store = local::LocalStore::open(root).await?;
        Ok(Self {
            backend: Arc::new(Backend::Local(store)),
        })
    }

    /// Opens the store `location` names. A bucket is configured from the `AWS_*` environment
    /// variables and checked at once; its uploads in flight go under `data_dir/blobs/tmp` and
    /// its cache (at most `cache_bytes`) under `data_dir/blob-cache`.
    pub async fn connect(
        location: &StorageLocation,
        data_dir: &Path,
        cache_bytes: u64,
    ) -> Result<Self, OpenError> {
        match location {
            StorageLocation::Local(root) => Self::open(root.clone()).await.map_err(|e| OpenError {
                message: format!("cannot open the blob store at {}: {e}", root.display()),
                solution: "Make sure the directory can be created and written.".to_owned(),
            }),
            StorageLocation::S3 { bucket, prefix } => {
                let builder = object_store::aws::AmazonS3Builder::from_env();
                Self::connect_s3(builder, bucket, prefix, data_dir, cache_bytes).await
            }
        }
    }

    async fn connect_s3(
        builder: object_store::aws::AmazonS3Builder,
        bucket: &str,
        prefix: &str,
        data_dir: &Path,
        cache_bytes: u64,
    ) -> Result<Self, OpenError> {
        let store = s3::S3Store::connect(
            builder,
            bucket,
            prefix,
            data_dir.join("blobs"),
            data_dir.join("blob-cache"),
            cache_bytes,
        )
        .await?;
        Ok(Self {
            backend: Arc::new(Backend::S3(Box::new(store))),
        })
    }

    /// Streams `body` into the store, failing with [`PutError::TooLarge`] as soon as more than
    /// `limit` bytes arrive. Nothing is left behind on failure.
    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        match &*self.backend {
            Backend::Local(store) => store.put_stream(body, limit).await,
            Backend::S3(store) => store.put_stream(body, limit).await,
        }
    }

    /// Reads `len` bytes from `start` of a blob, as a stream of chunks.
    pub async fn read_range(
        &self,
        sha256: &str,
        start: u64,
        len: u64,
    ) -> std::io::Result<BlobStream> {
        match &*self.backend {
            Backend::Local(store) => store.read_range(sha256, start, len).await,
            Backend::S3(store) => store.read_range(sha256, start, len).await,
        }
    }

    /// Opens a blob for reading from the start.
    pub async fn open_blob(&self, sha256: &str) -> std::io::Result<BlobReader> {
        match &*self.backend {
            Backend::Local(store) => store.open_blob(sha256).await,
            Backend::S3(store) => store.open_blob(sha256).await,
        }
    }

    /// The blob as a file on local disk: the stored file itself, or (with a bucket) a copy in
    /// the read-through cache, downloaded first if needed.
    pub async fn local_file(&self, sha256: &str) -> std::io::Result<LocalBlob> {
        match &*self.backend {
            Backend::Local(store) => Ok(LocalBlob {
                path: store.existing_file(sha256).await?,
                _pin: None,
            }),
            Backend::S3(store) => store.local_file(sha256).await,
        }
    }

    /// The hashes of every stored blob older than `grace`, for the sweep to check against the
    /// database.
    pub async fn old_blobs(&self, grace: Duration) -> std::io::Result<Vec<String>> {
        match &*self.backend {
            Backend::Local(store) => store.old_blobs(grace).await,
            Backend::S3(store) => store.old_blobs(grace).await,
        }
    }

    /// Removes a blob's bytes if they are still older than `grace` (an upload may have just
    /// reused them).
    pub async fn remove_if_old(&self, sha256: &str, grace: Duration) -> std::io::Result<bool> {
        match &*self.backend {
            Backend::Local(store) => store.remove_if_old(sha256, grace).await,
            Backend::S3(store) => store.remove_if_old(sha256, grace).await,
        }
    }

    /// Removes the bytes of a refused upload if that upload stored them and no other upload
    /// has used them since. The caller checks first that no row refers to them.
    pub async fn discard(&self, blob: &StoredBlob) -> std::io::Result<bool> {
        let Some(written_at) = blob.written_at else {
            return Ok(false);
        };
        match &*self.backend {
            Backend::Local(store) => store.remove_if_unchanged(&blob.sha256, written_at).await,
            Backend::S3(store) => store.remove_if_unreused(&blob.sha256).await,
        }
    }

    /// Removes this instance's temporary files older than `grace` (all of them at start):
    /// uploads and downloads that never finished.
    pub async fn clear_temp(&self, grace: Duration) -> std::io::Result<usize> {
        match &*self.backend {
            Backend::Local(store) => clear_dir(store.temp_dir(), grace).await,
            Backend::S3(store) => {
                let uploads = clear_dir(store.temp_dir().to_owned(), grace).await?;
                Ok(uploads + store.cache().clear_temp(grace).await?)
            }
        }
    }
}

/// Where the blobs are, for the log; never shows a credential.
impl fmt::Display for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.backend {
            Backend::Local(store) => write!(f, "files under {}", store.root().display()),
            Backend::S3(store) => write!(f, "{store}"),
        }
    }
}

impl fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BlobStore")
            .field(&format_args!("{self}"))
            .finish()
    }
}

/// Removes a temporary file unless it was kept; runs when an upload fails or is abandoned.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl TempFile {
    fn new(path: PathBuf) -> Self {
        Self { path, keep: false }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The file was moved where it belongs: leave it.
    fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An upload on local disk, complete and hashed.
struct Spooled {
    file: TempFile,
    blob: StoredBlob,
}

/// Writes `body` to a new file in `temp_dir` while hashing it.
async fn spool<S, E>(temp_dir: &Path, body: S, limit: u64) -> Result<Spooled, PutError>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let temp = TempFile::new(temp_dir.join(uuid::Uuid::new_v4().simple().to_string()));
    let file = tokio::fs::File::create(temp.path()).await?;
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
    writer.into_inner().sync_data().await?;
    Ok(Spooled {
        file: temp,
        blob: StoredBlob {
            sha256: hex::encode(hasher.finalize()),
            size,
            written_at: None,
        },
    })
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn not_a_blob() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "not a blob name")
}

fn is_older(path: &Path, now: SystemTime, grace: Duration) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|modified| now.duration_since(modified).unwrap_or_default() >= grace)
        .unwrap_or(false)
}

/// Removes the files in `dir` older than `grace`; answers how many.
async fn clear_dir(dir: PathBuf, grace: Duration) -> std::io::Result<usize> {
    tokio::task::spawn_blocking(move || {
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if is_older(&entry.path(), now, grace) && std::fs::remove_file(entry.path()).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?
}

#[cfg(test)]
mod tests;
