//! One child process holding the model, as the server sees it: starting it with an empty
//! environment, one exchange at a time within the time limit, and stopping it for good when an
//! exchange fails (with the reason kept for later calls).

use std::io::{BufReader, BufWriter, Read};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use super::frames::{Loaded, read_frame};
use super::stop::explain_stop;
use super::{RunnerLimits, SUBCOMMAND, lock};
use crate::server::predict::PredictError;

/// The end of the child's standard error kept to explain how it stopped.
const STDERR_TAIL_BYTES: usize = 4096;

/// One child process holding the model.
pub(super) struct Worker {
    child: Arc<Mutex<Child>>,
    /// `None` once the child failed: every later call answers `failure`.
    pub(super) pipes: Mutex<Option<Pipes>>,
    failure: Mutex<Option<PredictError>>,
    stderr: Mutex<Option<JoinHandle<Vec<u8>>>>,
    limits: RunnerLimits,
}

pub(super) struct Pipes {
    pub(super) input: BufWriter<ChildStdin>,
    pub(super) output: BufReader<ChildStdout>,
}

impl Worker {
    pub(super) fn spawn(path: &Path, limits: &RunnerLimits) -> Result<Worker, PredictError> {
        let mut child = Command::new(&limits.program)
            .arg(SUBCOMMAND)
            .arg("--model")
            .arg(path)
            .arg("--memory-bytes")
            .arg(limits.memory_bytes.to_string())
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                PredictError::Prediction(format!("the model's process could not be started: {e}"))
            })?;
        let (Some(input), Some(output), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PredictError::Prediction(
                "the model's process has no pipes".to_owned(),
            ));
        };
        let stderr = std::thread::spawn(move || keep_tail(stderr));
        Ok(Worker {
            child: Arc::new(Mutex::new(child)),
            pipes: Mutex::new(Some(Pipes {
                input: BufWriter::new(input),
                output: BufReader::new(output),
            })),
            failure: Mutex::new(None),
            stderr: Mutex::new(Some(stderr)),
            limits: limits.clone(),
        })
    }

    /// Waits for what the child found in the model file.
    pub(super) fn load(&self) -> Result<Loaded, PredictError> {
        let frame = self.step(lock(&self.pipes), "Loading the model", |pipes| {
            read_frame(&mut pipes.output)
        })?;
        serde_json::from_slice::<Loaded>(&frame).map_err(|e| {
            PredictError::InvalidModel(format!("the model's process answered badly: {e}"))
        })
    }

    /// Runs one exchange with the child within the time limit. When it fails, the child is
    /// stopped and the reason (out of memory, out of time, crashed) is kept for later calls.
    pub(super) fn step<T>(
        &self,
        mut pipes: MutexGuard<'_, Option<Pipes>>,
        what: &str,
        exchange: impl FnOnce(&mut Pipes) -> std::io::Result<T>,
    ) -> Result<T, PredictError> {
        let Some(current) = pipes.as_mut() else {
            return Err(lock(&self.failure).clone().unwrap_or_else(|| {
                PredictError::Prediction("the model's process has stopped".to_owned())
            }));
        };
        let (result, timed_out) = within(&self.child, self.limits.timeout, || exchange(current));
        match result {
            Ok(value) if !timed_out => Ok(value),
            _ => {
                *pipes = None;
                let error = self.diagnose(what, timed_out);
                *lock(&self.failure) = Some(error.clone());
                Err(error)
            }
        }
    }

    /// Why the child stopped answering, for the person who uploaded the model.
    fn diagnose(&self, what: &str, timed_out: bool) -> PredictError {
        let status = {
            let mut child = lock(&self.child);
            // Killing a process that already exited leaves its exit status as it was.
            let _ = child.kill();
            child.wait().ok()
        };
        let stderr = lock(&self.stderr)
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        let stderr = String::from_utf8_lossy(&stderr);
        explain_stop(what, timed_out, status, stderr.trim(), &self.limits)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let mut child = lock(&self.child);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Runs `work`, killing the child if it takes longer than `timeout`; answers what `work`
/// returned and whether the child was killed.
fn within<T>(child: &Arc<Mutex<Child>>, timeout: Duration, work: impl FnOnce() -> T) -> (T, bool) {
    let (finished, wait) = mpsc::channel::<()>();
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let child = Arc::clone(child);
        let killed = Arc::clone(&killed);
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(timeout) {
                killed.store(true, Ordering::SeqCst);
                let _ = lock(&child).kill();
            }
        })
    };
    let result = work();
    drop(finished);
    let _ = watchdog.join();
    (result, killed.load(Ordering::SeqCst))
}

/// Reads a pipe to its end, keeping only the last bytes.
fn keep_tail(mut pipe: impl Read) -> Vec<u8> {
    let mut tail = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match pipe.read(&mut buffer) {
            Ok(0) | Err(_) => return tail,
            Ok(n) => {
                tail.extend_from_slice(&buffer[..n]);
                if tail.len() > STDERR_TAIL_BYTES {
                    tail.drain(..tail.len() - STDERR_TAIL_BYTES);
                }
            }
        }
    }
}
