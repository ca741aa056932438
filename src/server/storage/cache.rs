//! A bounded, content-addressed cache of remote blobs on local disk, for code that needs a real
//! file (ONNX models, CSV datasets) when blobs live in a bucket.
//!
//! Layout: `ab/cdef…` like the local store, and `tmp/` for downloads in flight, which become
//! visible by an atomic rename once complete and verified. A file's modification time is its
//! last use: each hit refreshes it, and when the cache grows past its limit the least recently
//! used files go first. Files handed out by [`BlobCache::pin`] holders are never evicted while
//! pinned. Content-addressed names never go stale, so no cached file is ever wrong.

use super::{TempFile, clear_dir, is_sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime};

type Pins = Arc<Mutex<HashMap<String, usize>>>;

pub(super) struct BlobCache {
    root: PathBuf,
    limit: u64,
    /// Bytes in the cache as this process last counted them; a scan sets it right.
    total: AtomicU64,
    pins: Pins,
    /// One download per blob at a time: concurrent callers wait for the first one's file.
    fills: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    evicting: tokio::sync::Mutex<()>,
}

/// Keeps a cached blob from being evicted while its holder uses the file.
pub struct CachePin {
    pins: Pins,
    sha256: String,
}

impl Drop for CachePin {
    fn drop(&mut self) {
        let mut pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = pins.get_mut(&self.sha256) {
            *count -= 1;
            if *count == 0 {
                pins.remove(&self.sha256);
            }
        }
    }
}

fn join_error(e: tokio::task::JoinError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl BlobCache {
    /// Opens (and creates) the cache under `root`, removing downloads a previous process left
    /// unfinished.
    pub async fn open(root: PathBuf, limit: u64) -> std::io::Result<Self> {
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        let cache = Self {
            root,
            limit,
            total: AtomicU64::new(0),
            pins: Arc::default(),
            fills: Mutex::default(),
            evicting: tokio::sync::Mutex::new(()),
        };
        cache.clear_temp(Duration::ZERO).await?;
        cache.evict().await?;
        Ok(cache)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    fn path(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(&sha256[2..])
    }

    /// Where a download in flight is written.
    pub fn temp_file(&self) -> TempFile {
        TempFile::new(
            self.root
                .join("tmp")
                .join(uuid::Uuid::new_v4().simple().to_string()),
        )
    }

    pub fn pin(&self, sha256: &str) -> CachePin {
        let mut pins = self.pins.lock().unwrap_or_else(|e| e.into_inner());
        *pins.entry(sha256.to_owned()).or_insert(0) += 1;
        CachePin {
            pins: Arc::clone(&self.pins),
            sha256: sha256.to_owned(),
        }
    }

    /// The cached file of a blob, if there is one; marks it as just used.
    pub async fn lookup(&self, sha256: &str) -> Option<PathBuf> {
        if !is_sha256(sha256) {
            return None;
        }
        let path = self.path(sha256);
        tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path).ok()?;
            // Only the recency order suffers if this fails.
            let _ = file.set_modified(SystemTime::now());
            Some(path)
        })
        .await
        .ok()
        .flatten()
    }

    /// The lock a caller holds while it downloads `sha256`, so a second caller waits and then
    /// finds the file instead of downloading it again.
    pub fn fill_lock(&self, sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut fills = self.fills.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = fills.get(sha256).and_then(Weak::upgrade) {
            return lock;
        }
        fills.retain(|_, lock| lock.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        fills.insert(sha256.to_owned(), Arc::downgrade(&lock));
        lock
    }

    /// Moves a complete file of `size` bytes (on the same file system) into the cache as
    /// `sha256`, then evicts what no longer fits. Answers where the file now is.
    pub async fn insert(
        &self,
        sha256: &str,
        mut file: TempFile,
        size: u64,
    ) -> std::io::Result<PathBuf> {
        let target = self.path(sha256);
        if let Some(dir) = target.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(file.path(), &target).await?;
        file.keep();
        let total = self.total.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.limit {
            self.evict().await?;
        }
        Ok(target)
    }

    /// Forgets a blob (the sweep removed it from the bucket).
    pub async fn remove(&self, sha256: &str) -> std::io::Result<()> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        match tokio::fs::remove_file(self.path(sha256)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Removes unfinished downloads older than `grace`.
    pub async fn clear_temp(&self, grace: Duration) -> std::io::Result<usize> {
        clear_dir(self.root.join("tmp"), grace).await
    }

    /// Counts the cache and, while it is over its limit, removes the least recently used files
    /// nobody has pinned.
    pub async fn evict(&self) -> std::io::Result<()> {
        let _one_at_a_time = self.evicting.lock().await;
        let root = self.root.clone();
        let pins = Arc::clone(&self.pins);
        let limit = self.limit;
        let total = tokio::task::spawn_blocking(move || evict_files(&root, limit, &pins))
            .await
            .map_err(join_error)??;
        self.total.store(total, Ordering::Relaxed);
        Ok(())
    }
}

/// Answers the bytes left in the cache.
fn evict_files(root: &Path, limit: u64, pins: &Pins) -> std::io::Result<u64> {
    let mut entries: Vec<(SystemTime, u64, String, PathBuf)> = Vec::new();
    for dir in std::fs::read_dir(root)? {
        let dir = dir?;
        let prefix = dir.file_name().to_string_lossy().into_owned();
        if prefix.len() != 2 || !dir.file_type()?.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(dir.path())? {
            let entry = entry?;
            let sha256 = format!("{prefix}{}", entry.file_name().to_string_lossy());
            // Another process may have evicted it since the listing: skip, do not fail.
            let Ok(meta) = entry.metadata() else { continue };
            if !is_sha256(&sha256) || !meta.is_file() {
                continue;
            }
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            entries.push((used, meta.len(), sha256, entry.path()));
        }
    }
    let mut total: u64 = entries.iter().map(|e| e.1).sum();
    if total <= limit {
        return Ok(total);
    }
    entries.sort_by_key(|e| e.0);
    for (_, size, sha256, path) in entries {
        if total <= limit {
            break;
        }
        let pinned = pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&sha256);
        if pinned {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => total -= size,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "cannot evict a cached blob")
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(n: u8) -> String {
        format!("{n:02x}").repeat(32)
    }

    async fn put(cache: &BlobCache, n: u8, size: usize) -> PathBuf {
        let temp = cache.temp_file();
        std::fs::write(temp.path(), vec![n; size]).expect("write");
        cache
            .insert(&sha(n), temp, size as u64)
            .await
            .expect("insert")
    }

    fn age(path: &Path, seconds: u64) {
        let file = std::fs::File::open(path).expect("open");
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds))
            .expect("set time");
    }

    #[tokio::test]
    async fn the_least_recently_used_unpinned_files_go_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = BlobCache::open(dir.path().join("cache"), 100)
            .await
            .expect("open");
        let a = put(&cache, 1, 40).await;
        let b = put(&cache, 2, 40).await;
        age(&a, 300);
        age(&b, 200);
        // `a` is used again, so `b` is now the least recently used.
        assert_eq!(cache.lookup(&sha(1)).await, Some(a.clone()));
        let c = put(&cache, 3, 40).await;
        assert!(a.exists() && c.exists());
        assert!(!b.exists(), "the least recently used file is evicted");

        // A pinned file stays even when it is the oldest.
        age(&a, 400);
        age(&c, 100);
        let pin = cache.pin(&sha(1));
        put(&cache, 4, 40).await;
        assert!(a.exists(), "pinned");
        assert!(!c.exists());
        drop(pin);
        put(&cache, 5, 40).await;
        assert!(!a.exists(), "evicted once unpinned");
        assert_eq!(cache.lookup(&sha(2)).await, None);
    }

    #[tokio::test]
    async fn a_reopened_cache_counts_what_is_there_and_drops_unfinished_downloads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("cache");
        {
            let cache = BlobCache::open(root.clone(), 1000).await.expect("open");
            put(&cache, 1, 60).await;
            put(&cache, 2, 60).await;
            let mut left = cache.temp_file();
            std::fs::write(left.path(), b"half").expect("write");
            left.keep();
        }
        let cache = BlobCache::open(root.clone(), 100).await.expect("reopen");
        assert_eq!(std::fs::read_dir(root.join("tmp")).expect("tmp").count(), 0);
        let left = [1, 2]
            .iter()
            .filter(|n| cache.path(&sha(**n)).exists())
            .count();
        assert_eq!(left, 1, "the smaller limit is enforced at once");
    }
}
