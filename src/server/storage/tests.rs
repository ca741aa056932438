//! The store's behaviours, checked against local files always and against an S3-compatible
//! server when one is given: `MODELYARD_TEST_S3_ENDPOINT` (bucket `MODELYARD_TEST_S3_BUCKET`,
//! default `modelyard-test`), or `AWS_ENDPOINT_URL` with `MODELYARD_TEST_S3_BUCKET`. Credentials
//! come from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (default `test` / `test`, as the test
//! server takes any). `scripts/s3-server.sh start` runs one. Without a server the S3 variants
//! say on stderr that they did not run, and fail when `MODELYARD_REQUIRE_S3_TESTS` is set (as
//! `scripts/test.sh` sets it for its S3 pass), so a test run cannot pass without them.

use super::*;
use std::io::Write;
use tokio::io::AsyncReadExt;

/// The test store and the directory it keeps local files in.
struct Fixture {
    _dir: tempfile::TempDir,
    data_dir: PathBuf,
    store: BlobStore,
}

impl Fixture {
    /// Neither a temporary file nor a stored blob is left.
    async fn assert_nothing_kept(&self) {
        assert_eq!(self.temp_files(), 0);
        assert!(
            self.store
                .old_blobs(Duration::ZERO)
                .await
                .expect("list")
                .is_empty()
        );
    }

    /// Uploads in flight on local disk: `DATA_DIR/blobs/tmp` for both backends.
    fn temp_files(&self) -> usize {
        std::fs::read_dir(self.data_dir.join("blobs/tmp"))
            .map(|entries| entries.count())
            .unwrap_or(0)
    }
}

async fn local_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_owned();
    let store = BlobStore::open(data_dir.join("blobs")).await.expect("open");
    Fixture {
        _dir: dir,
        data_dir,
        store,
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn s3_tests_required() -> bool {
    let set = |name: &str| env(name).is_some_and(|v| v != "0" && v != "false");
    set("MODELYARD_REQUIRE_S3_TESTS")
}

/// The read-through cache of the S3 test stores: small, so that large uploads are not kept and
/// reading them as local files downloads them.
const TEST_CACHE_BYTES: u64 = 64 * 1024 * 1024;

/// A store in the test bucket under a prefix of its own, or `None` (after saying so) when no
/// server is configured.
async fn s3_fixture(test: &str) -> Option<Fixture> {
    let endpoint = env("MODELYARD_TEST_S3_ENDPOINT");
    let bucket = env("MODELYARD_TEST_S3_BUCKET");
    let bucket = match (&endpoint, bucket) {
        (Some(_), bucket) => bucket.unwrap_or_else(|| "modelyard-test".to_owned()),
        (None, Some(bucket)) if env("AWS_ENDPOINT_URL").is_some() => bucket,
        _ => {
            let message = format!(
                "S3 storage test '{test}' NOT RUN: no S3-compatible server given. Run \
                 `eval \"$(scripts/s3-server.sh start /tmp/modelyard-s3)\"` and set \
                 MODELYARD_TEST_S3_ENDPOINT=$AWS_ENDPOINT_URL."
            );
            assert!(!s3_tests_required(), "{message}");
            // Straight to stderr: the test harness would swallow `eprintln!` of a passing test.
            let _ = writeln!(std::io::stderr(), "note: {message}");
            return None;
        }
    };
    let mut builder = object_store::aws::AmazonS3Builder::from_env();
    if let Some(endpoint) = endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    if env("AWS_ACCESS_KEY_ID").is_none() {
        builder = builder
            .with_access_key_id("test")
            .with_secret_access_key("test");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_owned();
    let prefix = format!("storage-tests/{}", uuid::Uuid::new_v4().simple());
    let store = BlobStore::connect_s3(builder, &bucket, &prefix, &data_dir, TEST_CACHE_BYTES)
        .await
        .unwrap_or_else(|e| panic!("the S3 test server: {e}\n{}", e.solution));
    Some(Fixture {
        _dir: dir,
        data_dir,
        store,
    })
}

/// Every behaviour below, once per backend: `local_files::name` and `s3_bucket::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod local_files {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(&super::local_fixture().await).await;
                }
            )*
        }
        mod s3_bucket {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(fixture) = super::s3_fixture(stringify!($name)).await {
                        super::$name(&fixture).await;
                    }
                }
            )*
        }
    };
}

on_both_backends!(
    identical_bytes_are_stored_once,
    too_large_leaves_nothing,
    an_interrupted_upload_leaves_nothing,
    ranges_read_the_right_bytes,
    missing_blobs_are_not_found,
    large_files_stream_through,
    the_sweep_removes_only_old_blobs,
    leftover_temporary_files_are_cleared,
    a_refused_upload_takes_away_only_bytes_it_wrote,
);

fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + use<> {
    futures_util::stream::iter(
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p)))
            .collect::<Vec<_>>(),
    )
}

async fn collect(stream: BlobStream) -> Vec<u8> {
    let parts: Vec<Bytes> = stream.map(|c| c.expect("chunk")).collect::<Vec<_>>().await;
    parts.concat()
}

async fn read_all(store: &BlobStore, sha256: &str) -> std::io::Result<Vec<u8>> {
    let mut reader = store.open_blob(sha256).await?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).await?;
    Ok(bytes)
}

async fn identical_bytes_are_stored_once(f: &Fixture) {
    let a = f
        .store
        .put_stream(chunks(&[b"hello ", b"world"]), 100)
        .await
        .expect("put");
    let b = f
        .store
        .put_stream(chunks(&[b"hello world"]), 100)
        .await
        .expect("put");
    assert_eq!(a, b);
    assert_eq!(a.size, 11);
    assert_eq!(
        a.sha256,
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    );
    assert_eq!(f.temp_files(), 0);
    assert_eq!(
        f.store.old_blobs(Duration::ZERO).await.expect("list"),
        vec![a.sha256.clone()]
    );
    assert_eq!(
        read_all(&f.store, &a.sha256).await.expect("read"),
        b"hello world"
    );
}

async fn too_large_leaves_nothing(f: &Fixture) {
    let e = f
        .store
        .put_stream(chunks(&[b"12345", b"67890"]), 7)
        .await
        .expect_err("too large");
    assert!(matches!(e, PutError::TooLarge { limit: 7 }));
    f.assert_nothing_kept().await;
}

async fn an_interrupted_upload_leaves_nothing(f: &Fixture) {
    let body = futures_util::stream::iter(vec![
        Ok(Bytes::from_static(b"the start")),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "client went away",
        )),
    ]);
    let e = f.store.put_stream(body, 100).await.expect_err("broken");
    assert!(matches!(e, PutError::Body(_)), "{e}");
    f.assert_nothing_kept().await;
}

async fn ranges_read_the_right_bytes(f: &Fixture) {
    let blob = f
        .store
        .put_stream(chunks(&[b"0123456789"]), 100)
        .await
        .expect("put");
    let read = |start, len| f.store.read_range(&blob.sha256, start, len);
    assert_eq!(collect(read(3, 4).await.expect("read")).await, b"3456");
    assert_eq!(
        collect(read(0, 10).await.expect("read")).await,
        b"0123456789"
    );
    assert_eq!(collect(read(9, 1).await.expect("read")).await, b"9");
    assert!(collect(read(0, 0).await.expect("read")).await.is_empty());
}

async fn missing_blobs_are_not_found(f: &Fixture) {
    let missing = "0".repeat(64);
    for sha256 in [missing.as_str(), "not-a-hash", "../../etc/passwd"] {
        let kind = f.store.open_blob(sha256).await.err().map(|e| e.kind());
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound), "{sha256}");
        let kind = f
            .store
            .read_range(sha256, 0, 1)
            .await
            .err()
            .map(|e| e.kind());
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound), "{sha256}");
        let kind = f
            .store
            .read_range(sha256, 0, 0)
            .await
            .err()
            .map(|e| e.kind());
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound), "{sha256}");
        let kind = f.store.local_file(sha256).await.err().map(|e| e.kind());
        assert_eq!(kind, Some(std::io::ErrorKind::NotFound), "{sha256}");
        assert!(
            !f.store
                .remove_if_old(sha256, Duration::ZERO)
                .await
                .expect("remove")
        );
    }
}

/// The `n`th 64 KiB chunk of a large test file of `size` bytes, so that no test holds it whole.
fn large_chunk(n: u64, size: u64) -> Vec<u8> {
    const CHUNK: u64 = 64 * 1024;
    let start = n * CHUNK;
    (start..size.min(start + CHUNK))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

async fn large_files_stream_through(f: &Fixture) {
    // Larger than one multipart part (8 MiB) twice over, and not a multiple of it.
    const SIZE: u64 = 20 * 1024 * 1024 + 123;
    let chunk_count = SIZE.div_ceil(64 * 1024);
    let mut expected = Sha256::new();
    for n in 0..chunk_count {
        expected.update(large_chunk(n, SIZE));
    }
    let expected = hex::encode(expected.finalize());
    let body = futures_util::stream::iter(
        (0..chunk_count).map(|n| Ok::<_, std::io::Error>(Bytes::from(large_chunk(n, SIZE)))),
    );
    let blob = f.store.put_stream(body, SIZE).await.expect("put");
    assert_eq!(blob.size, SIZE);
    assert_eq!(blob.sha256, expected);
    assert_eq!(f.temp_files(), 0);

    let start = 8 * 1024 * 1024 - 5;
    let range = collect(
        f.store
            .read_range(&blob.sha256, start, 10)
            .await
            .expect("range"),
    )
    .await;
    let want = &[large_chunk(127, SIZE), large_chunk(128, SIZE)].concat()[64 * 1024 - 5..][..10];
    assert_eq!(range, want, "a range across a part boundary");

    // Two callers at once get the same complete file (with a bucket: one download).
    let (a, b) = tokio::join!(
        f.store.local_file(&blob.sha256),
        f.store.local_file(&blob.sha256)
    );
    let (a, b) = (a.expect("local file"), b.expect("local file"));
    assert_eq!(a.path(), b.path());
    let bytes = std::fs::read(a.path()).expect("read the local file");
    assert_eq!(bytes.len() as u64, SIZE);
    assert_eq!(hex::encode(Sha256::digest(&bytes)), expected);
}

async fn the_sweep_removes_only_old_blobs(f: &Fixture) {
    let blob = f
        .store
        .put_stream(chunks(&[b"a,b\n1,2\n"]), 100)
        .await
        .expect("put");
    let hour = Duration::from_secs(3600);
    assert!(f.store.old_blobs(hour).await.expect("list").is_empty());
    assert!(
        !f.store
            .remove_if_old(&blob.sha256, hour)
            .await
            .expect("remove")
    );
    assert!(read_all(&f.store, &blob.sha256).await.is_ok());

    assert_eq!(
        f.store.old_blobs(Duration::ZERO).await.expect("list"),
        vec![blob.sha256.clone()]
    );
    assert!(
        f.store
            .remove_if_old(&blob.sha256, Duration::ZERO)
            .await
            .expect("remove")
    );
    let gone = read_all(&f.store, &blob.sha256)
        .await
        .err()
        .map(|e| e.kind());
    assert_eq!(gone, Some(std::io::ErrorKind::NotFound));
    assert!(f.store.local_file(&blob.sha256).await.is_err());
    assert!(
        !f.store
            .remove_if_old(&blob.sha256, Duration::ZERO)
            .await
            .expect("remove")
    );

    // The same bytes uploaded again are stored again.
    let again = f
        .store
        .put_stream(chunks(&[b"a,b\n1,2\n"]), 100)
        .await
        .expect("put");
    assert_eq!(again, blob);
    let file = f.store.local_file(&blob.sha256).await.expect("local file");
    assert_eq!(std::fs::read(file.path()).expect("read"), b"a,b\n1,2\n");
}

async fn leftover_temporary_files_are_cleared(f: &Fixture) {
    std::fs::write(f.data_dir.join("blobs/tmp/left-over"), b"half an upload").expect("write");
    assert_eq!(
        f.store
            .clear_temp(Duration::from_secs(3600))
            .await
            .expect("clear"),
        0
    );
    assert_eq!(f.store.clear_temp(Duration::ZERO).await.expect("clear"), 1);
    assert_eq!(f.temp_files(), 0);
}

async fn a_refused_upload_takes_away_only_bytes_it_wrote(f: &Fixture) {
    let refused = f
        .store
        .put_stream(chunks(&[b"refused bytes"]), 100)
        .await
        .expect("put");
    assert!(f.store.discard(&refused).await.expect("discard"));
    let gone = read_all(&f.store, &refused.sha256)
        .await
        .map_err(|e| e.kind());
    assert_eq!(gone.err(), Some(std::io::ErrorKind::NotFound));

    // Bytes that another upload stored first, or used since, stay.
    let first = f
        .store
        .put_stream(chunks(&[b"shared bytes"]), 100)
        .await
        .expect("put");
    let second = f
        .store
        .put_stream(chunks(&[b"shared bytes"]), 100)
        .await
        .expect("put");
    assert!(!f.store.discard(&second).await.expect("discard"));
    assert!(!f.store.discard(&first).await.expect("discard"));
    assert_eq!(
        read_all(&f.store, &first.sha256).await.expect("read"),
        b"shared bytes"
    );
}
