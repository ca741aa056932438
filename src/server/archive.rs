//! A whole version as a zip archive, streamed while it is written: files are stored without
//! compression (model weights rarely shrink, and the CPU is better spent elsewhere), entries
//! larger than 4 GiB use ZIP64, and memory stays constant however large the version is: each
//! file streams from the blob store (local disk or a bucket) into the archive.

use crate::domain::version::VersionFile;
use crate::server::storage::BlobStore;
use axum::body::Body;
use bytes::Bytes;
use std::io::{BufReader, BufWriter, Write};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio_util::io::SyncIoBridge;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

const CHUNK: usize = 256 * 1024;

/// Hands written bytes to the response body; fails once the client has gone.
struct ChannelWriter {
    tx: mpsc::Sender<std::io::Result<Bytes>>,
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tx
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs on a blocking thread; `runtime` reads the blobs.
fn write_zip(
    runtime: &Handle,
    store: &BlobStore,
    files: &[VersionFile],
    out: BufWriter<ChannelWriter>,
) -> std::io::Result<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    for file in files {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(file.size >= i64::from(u32::MAX))
            .unix_permissions(0o644);
        zip.start_file(file.path.as_str(), options)
            .map_err(std::io::Error::other)?;
        let blob = runtime.block_on(store.open_blob(&file.sha256))?;
        let mut blob =
            BufReader::with_capacity(CHUNK, SyncIoBridge::new_with_handle(blob, runtime.clone()));
        std::io::copy(&mut blob, &mut zip)?;
    }
    let mut out = zip.finish().map_err(std::io::Error::other)?.into_inner();
    out.flush()
}

/// The response body for a zip of `files`.
pub fn zip_body(store: BlobStore, files: Vec<VersionFile>) -> Body {
    let (tx, rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let error_tx = tx.clone();
    let runtime = Handle::current();
    tokio::task::spawn_blocking(move || {
        let out = BufWriter::with_capacity(CHUNK, ChannelWriter { tx });
        if let Err(e) = write_zip(&runtime, &store, &files, out) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                tracing::error!(error = %e, "writing a version archive failed");
            }
            let _ = error_tx.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Body::from_stream(stream)
}
