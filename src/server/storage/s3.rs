//! Blobs as objects in an S3-compatible bucket, shared by any number of Modelyard instances:
//! `<prefix>/blobs/ab/cdef…`. An upload is spooled to a local temporary file while it is hashed,
//! then sent in one request (small files) or as a multipart upload (constant memory), unless
//! the bucket already has those bytes. Reads stream from the bucket, or from the local
//! read-through cache when it holds the blob.
//!
//! S3 cannot refresh an object's age without rewriting it, so an upload that finds its bytes
//! already stored writes an empty marker `<prefix>/reused/ab/cdef…` instead; the sweep counts a
//! blob's age from the later of the two, exactly as the local store counts from a touched file.

use super::cache::BlobCache;
use super::local::read_file_range;
use super::{
    BlobReader, BlobStream, LocalBlob, OpenError, PutError, StoredBlob, is_sha256, not_a_blob,
};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::ClientConfigKey;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

/// Files up to this size go up in one request; larger ones as a multipart upload.
const SINGLE_PUT_MAX: u64 = 8 * 1024 * 1024;
/// Multipart part size (S3 wants at least 5 MiB but the last), grown for very large files so
/// that no upload needs more parts than S3 allows (10,000).
const PART_SIZE: u64 = 8 * 1024 * 1024;
const MAX_PARTS: u64 = 9_000;
/// Parts uploading at once: memory is about this many parts, whatever the file's size.
const PARTS_IN_FLIGHT: usize = 4;
const READ_CHUNK: usize = 1024 * 1024;
/// How long the check at start waits for the bucket to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

const BLOBS: &str = "blobs";
const REUSED: &str = "reused";

const SETUP_SOLUTION: &str = "Check AWS_ENDPOINT_URL (for S3-compatible servers), AWS_REGION, \
     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary \
     credentials), that the bucket exists and these credentials may list, read and write it, and \
     set AWS_ALLOW_HTTP=true for an endpoint on plain http.";

pub(super) struct S3Store {
    store: AmazonS3,
    bucket: String,
    prefix: String,
    /// Scheme, host and port of a custom endpoint, for messages.
    endpoint: Option<String>,
    /// Uploads are spooled here (local disk; every instance has its own).
    temp_dir: PathBuf,
    cache: BlobCache,
}

fn io(e: object_store::Error) -> std::io::Error {
    std::io::Error::from(e)
}

fn is_not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

/// `age >= grace`, where a time in the future (clocks disagree) is age zero.
fn is_old(modified: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> bool {
    (now - modified).to_std().unwrap_or_default() >= grace
}

/// Keeps scheme, host and port: an endpoint URL is no place for a secret, but be sure.
fn shown_endpoint(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if scheme.is_empty() {
        host.to_owned()
    } else {
        format!("{scheme}://{host}")
    }
}

/// Aborts a multipart upload that did not finish (an error, or the upload's future dropped),
/// so the bucket keeps no orphaned parts.
struct AbortOnDrop(Option<WriteMultipart>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(upload) = self.0.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if let Err(e) = upload.abort().await {
                    tracing::warn!(error = %e, "cannot abort an unfinished multipart upload");
                }
            });
        }
    }
}

impl S3Store {
    /// Connects to `bucket` as `builder` (the `AWS_*` environment variables) says, and checks
    /// that it answers. `scratch` holds uploads in flight; `cache_dir` the read-through cache.
    pub async fn connect(
        builder: AmazonS3Builder,
        bucket: &str,
        prefix: &str,
        scratch: PathBuf,
        cache_dir: PathBuf,
        cache_limit: u64,
    ) -> Result<Self, OpenError> {
        let builder = builder.with_bucket_name(bucket);
        // The S3-specific endpoint wins, as object_store has it.
        let endpoint = builder
            .get_config_value(&AmazonS3ConfigKey::S3Endpoint)
            .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Endpoint));
        let allow_http = builder
            .get_config_value(&AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp))
            .is_some_and(|v| {
                ["1", "true", "on", "yes", "y"].contains(&v.trim().to_ascii_lowercase().as_str())
            });
        let endpoint = endpoint.map(|e| shown_endpoint(&e));
        if let Some(endpoint) = &endpoint
            && endpoint.to_ascii_lowercase().starts_with("http://")
            && !allow_http
        {
            return Err(OpenError {
                message: format!(
                    "The S3 endpoint {endpoint} is plain http, which is refused unless allowed."
                ),
                solution: "Set AWS_ALLOW_HTTP=true to use it (only on a trusted network), or \
                           give an https:// endpoint in AWS_ENDPOINT_URL."
                    .to_owned(),
            });
        }
        let store = builder.build().map_err(|e| OpenError {
            message: format!("S3 storage for bucket '{bucket}' cannot be set up: {e}"),
            solution: SETUP_SOLUTION.to_owned(),
        })?;
        let local = |what: &str, e: std::io::Error| OpenError {
            message: format!("cannot create the {what}: {e}"),
            solution: "Make sure the data directory is writable.".to_owned(),
        };
        let temp_dir = scratch.join("tmp");
        tokio::fs::create_dir_all(&temp_dir)
            .await
            .map_err(|e| local("upload directory", e))?;
        let cache = BlobCache::open(cache_dir, cache_limit)
            .await
            .map_err(|e| local("blob cache", e))?;
        let s3 = Self {
            store,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            endpoint,
            temp_dir,
            cache,
        };
        s3.probe().await?;
        Ok(s3)
    }

    /// Lists the blobs' top level once, so that a wrong endpoint, bucket or credential stops
    /// the start with a clear message instead of failing the first upload.
    async fn probe(&self) -> Result<(), OpenError> {
        let root = self.area(BLOBS);
        let unreachable = |why: String| OpenError {
            message: format!(
                "The bucket '{}' cannot be used{}: {why}",
                self.bucket,
                self.endpoint
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_default()
            ),
            solution: SETUP_SOLUTION.to_owned(),
        };
        match tokio::time::timeout(PROBE_TIMEOUT, self.store.list_with_delimiter(Some(&root))).await
        {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(unreachable(e.to_string())),
            Err(_) => Err(unreachable(format!(
                "no answer within {} seconds",
                PROBE_TIMEOUT.as_secs()
            ))),
        }
    }

    pub fn temp_dir(&self) -> &Path {
        &self.temp_dir
    }

    pub fn cache(&self) -> &BlobCache {
        &self.cache
    }

    fn area(&self, area: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(area)
        } else {
            ObjectPath::from(format!("{}/{area}", self.prefix))
        }
    }

    /// An object's key; `sha256` must be a checked hash.
    fn key(&self, area: &str, sha256: &str) -> ObjectPath {
        self.area(area).join(&sha256[..2]).join(&sha256[2..])
    }

    /// The hash a listed key names, if it is `<area>/ab/cdef…`.
    fn hash_of(root: &ObjectPath, location: &ObjectPath) -> Option<String> {
        let mut parts = location.prefix_match(root)?;
        let dir = parts.next()?;
        let name = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let sha256 = format!("{}{}", dir.as_ref(), name.as_ref());
        is_sha256(&sha256).then_some(sha256)
    }

    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, PutError>
    where
        S: Stream<Item = Result<Bytes, E>>,
        E: std::fmt::Display,
    {
        let spooled = super::spool(&self.temp_dir, body, limit).await?;
        let mut blob = spooled.blob;
        let key = self.key(BLOBS, &blob.sha256);
        match self.store.head(&key).await {
            Ok(_) => {
                // Stored by an earlier upload, maybe by another instance: mark it as used now,
                // so a sweep running at this moment leaves it alone.
                self.store
                    .put(&self.key(REUSED, &blob.sha256), PutPayload::new())
                    .await
                    .map_err(io)?;
            }
            Err(e) if is_not_found(&e) => {
                self.upload(&key, spooled.file.path(), blob.size).await?;
                blob.written_at = Some(std::time::SystemTime::now());
            }
            Err(e) => return Err(io(e).into()),
        }
        // Datasets and model files are read right after their upload: keep the file at hand
        // rather than downloading it again, unless it would crowd out much of the cache.
        if blob.size <= self.cache.limit() / 4
            && let Err(e) = self
                .cache
                .insert(&blob.sha256, spooled.file, blob.size)
                .await
        {
            tracing::warn!(error = %e, "cannot keep an uploaded file in the blob cache");
        }
        Ok(blob)
    }

    /// Sends a complete local file to `key`.
    async fn upload(&self, key: &ObjectPath, file: &Path, size: u64) -> std::io::Result<()> {
        if size <= SINGLE_PUT_MAX {
            let bytes = tokio::fs::read(file).await?;
            self.store
                .put(key, PutPayload::from(Bytes::from(bytes)))
                .await
                .map_err(io)?;
            return Ok(());
        }
        let part_size = PART_SIZE.max(size.div_ceil(MAX_PARTS));
        let part_size = usize::try_from(part_size).map_err(std::io::Error::other)?;
        let upload = self.store.put_multipart(key).await.map_err(io)?;
        let mut upload = AbortOnDrop(Some(WriteMultipart::new_with_chunk_size(upload, part_size)));
        let mut file = tokio::fs::File::open(file).await?;
        loop {
            let mut buffer = BytesMut::with_capacity(READ_CHUNK);
            while buffer.len() < READ_CHUNK {
                if file.read_buf(&mut buffer).await? == 0 {
                    break;
                }
            }
            if buffer.is_empty() {
                break;
            }
            let Some(writer) = upload.0.as_mut() else {
                return Err(std::io::Error::other("the multipart upload has ended"));
            };
            // Waits while PARTS_IN_FLIGHT parts are being sent: memory stays bounded.
            writer
                .wait_for_capacity(PARTS_IN_FLIGHT)
                .await
                .map_err(io)?;
            writer.put(buffer.freeze());
        }
        match upload.0.take() {
            // `finish` aborts the upload itself when it fails.
            Some(writer) => writer.finish().await.map(|_| ()).map_err(io),
            None => Err(std::io::Error::other("the multipart upload has ended")),
        }
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
        if let Some(path) = self.cache.lookup(sha256).await {
            return read_file_range(&path, start, len).await;
        }
        let key = self.key(BLOBS, sha256);
        if len == 0 {
            // S3 has no empty range; still answer "not found" for a missing blob.
            self.store.head(&key).await.map_err(io)?;
            return Ok(Box::pin(futures_util::stream::empty()));
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(start..start.saturating_add(len))),
            ..GetOptions::default()
        };
        let result = self.store.get_opts(&key, options).await.map_err(io)?;
        Ok(Box::pin(result.into_stream().map_err(io)))
    }

    pub async fn open_blob(&self, sha256: &str) -> std::io::Result<BlobReader> {
        if !is_sha256(sha256) {
            return Err(not_a_blob());
        }
        if let Some(path) = self.cache.lookup(sha256).await {
            return Ok(Box::new(tokio::fs::File::open(path).await?));
        }
        let result = self.store.get(&self.key(BLOBS, sha256)).await.map_err(io)?;
        Ok(Box::new(tokio_util::io::StreamReader::new(
            result.into_stream().map_err(io),
        )))
    }

    /// The blob as a file in the cache, downloading it first if needed. Concurrent callers for
    /// one blob share one download; the file stays while the answer is held.
    pub async fn local_file(&self, sha256: &str) -> std::io::Result<LocalBlob> {
        if !is_sha256(sha256) {
            return Err(not_a_blob());
        }
        let pin = self.cache.pin(sha256);
        if let Some(path) = self.cache.lookup(sha256).await {
            return Ok(LocalBlob::cached(path, pin));
        }
        let fill = self.cache.fill_lock(sha256);
        let _filling = fill.lock().await;
        if let Some(path) = self.cache.lookup(sha256).await {
            return Ok(LocalBlob::cached(path, pin));
        }
        let result = self.store.get(&self.key(BLOBS, sha256)).await.map_err(io)?;
        let temp = self.cache.temp_file();
        let file = tokio::fs::File::create(temp.path()).await?;
        let mut writer = BufWriter::with_capacity(READ_CHUNK, file);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(io)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            writer.write_all(&chunk).await?;
        }
        writer.flush().await?;
        writer.into_inner().sync_data().await?;
        // A name is a promise about content: never cache bytes that do not keep it.
        if hex::encode(hasher.finalize()) != sha256 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the stored object for blob {sha256} does not have that hash"),
            ));
        }
        let path = self.cache.insert(sha256, temp, size).await?;
        Ok(LocalBlob::cached(path, pin))
    }

    pub async fn old_blobs(&self, grace: Duration) -> std::io::Result<Vec<String>> {
        let now = Utc::now();
        let root = self.area(BLOBS);
        let mut old: HashSet<String> = HashSet::new();
        let mut listing = self.store.list(Some(&root));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(io)?;
            if let Some(sha256) = Self::hash_of(&root, &meta.location)
                && is_old(meta.last_modified, now, grace)
            {
                old.insert(sha256);
            }
        }
        if !old.is_empty() {
            let reused = self.area(REUSED);
            let mut listing = self.store.list(Some(&reused));
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(io)?;
                if let Some(sha256) = Self::hash_of(&reused, &meta.location)
                    && !is_old(meta.last_modified, now, grace)
                {
                    old.remove(&sha256);
                }
            }
        }
        let mut out: Vec<String> = old.into_iter().collect();
        out.sort();
        Ok(out)
    }

    /// Removes a blob unless an upload marked it as reused after it was last written.
    pub async fn remove_if_unreused(&self, sha256: &str) -> std::io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        let key = self.key(BLOBS, sha256);
        let written = match self.store.head(&key).await {
            Ok(meta) => meta.last_modified,
            Err(e) if is_not_found(&e) => return Ok(false),
            Err(e) => return Err(io(e)),
        };
        match self.store.head(&self.key(REUSED, sha256)).await {
            Ok(marker) if marker.last_modified >= written => return Ok(false),
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(io(e)),
        }
        self.store.delete(&key).await.map_err(io)?;
        self.cache.remove(sha256).await?;
        Ok(true)
    }

    pub async fn remove_if_old(&self, sha256: &str, grace: Duration) -> std::io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        let now = Utc::now();
        let key = self.key(BLOBS, sha256);
        let meta = match self.store.head(&key).await {
            Ok(meta) => meta,
            Err(e) if is_not_found(&e) => return Ok(false),
            Err(e) => return Err(io(e)),
        };
        if !is_old(meta.last_modified, now, grace) {
            return Ok(false);
        }
        let marker = self.key(REUSED, sha256);
        match self.store.head(&marker).await {
            Ok(meta) if !is_old(meta.last_modified, now, grace) => return Ok(false),
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(io(e)),
        }
        self.store.delete(&key).await.map_err(io)?;
        match self.store.delete(&marker).await {
            Err(e) if !is_not_found(&e) => {
                tracing::warn!(error = %e, sha256, "cannot remove a reuse marker");
            }
            _ => {}
        }
        self.cache.remove(sha256).await?;
        Ok(true)
    }
}

impl fmt::Display for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        if !self.prefix.is_empty() {
            write!(f, "/{}", self.prefix)?;
        }
        if let Some(endpoint) = &self.endpoint {
            write!(f, " at {endpoint}")?;
        }
        write!(
            f,
            " (cache {}, up to {} bytes)",
            self.cache.root().display(),
            self.cache.limit()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_shown_without_anything_but_scheme_host_and_port() {
        assert_eq!(
            shown_endpoint("http://127.0.0.1:5000"),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            shown_endpoint("https://user:pass@minio.example:9000/path?x=1"),
            "https://minio.example:9000"
        );
    }

    #[test]
    fn ages_in_the_future_are_zero() {
        let now = Utc::now();
        let hour = Duration::from_secs(3600);
        assert!(is_old(now - chrono::Duration::hours(2), now, hour));
        assert!(!is_old(now - chrono::Duration::minutes(5), now, hour));
        assert!(!is_old(now + chrono::Duration::minutes(5), now, hour));
        assert!(is_old(
            now + chrono::Duration::minutes(5),
            now,
            Duration::ZERO
        ));
    }
}
