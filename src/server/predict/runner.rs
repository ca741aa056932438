//! Uploaded ONNX models are loaded and run in a child process of this binary (the hidden
//! subcommand `modelyard model-runner`), never in the server itself. The child's memory is
//! capped (`RLIMIT_DATA`) and every step, loading or one batch of predictions, has a time limit,
//! so a model file that asks for gigabytes or never finishes costs only its child: the server's
//! own memory does not depend on what was uploaded.
//!
//! The child starts with an empty environment (no database URL, no storage keys), reads the
//! model file it is given, and then answers requests on its standard input and output, each a
//! frame: a little-endian `u64` length, then that many bytes.
//! - After loading it sends [`frames::Loaded`] as JSON: what the file declares, and whether it
//!   runs.
//! - A request is `n_rows: u64`, `n_columns: u64`, then the columns one after the other as
//!   `f64`s. The answer starts with a tag byte: 0 and a JSON [`PredictError`], or 1 (values),
//!   2 (positive-class probabilities), 3 (class probabilities, then `n_classes: u64`), followed
//!   by the `f64`s.
//!
//! Closing the child's input ends it; dropping an [`IsolatedModel`] kills it, and so does the
//! server's death.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::onnx::check_table;
use super::{Features, ModelInfo, PredictError, Predictions, Predictor};

mod child;
mod frames;
mod process;
mod stop;

pub use child::serve_child;

use frames::{decode_predictions, encode_request, read_frame, write_frame};
use process::{Pipes, Worker};

/// The name of the hidden subcommand the child runs.
pub const SUBCOMMAND: &str = "model-runner";

/// Memory a model's process may use unless configured otherwise.
pub const DEFAULT_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Time loading a model, or one batch of its predictions, may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How an uploaded model may run: which program is the runner and the budget it gets.
#[derive(Clone, Debug)]
pub struct RunnerLimits {
    /// This binary, which runs the child.
    pub program: PathBuf,
    /// The most memory the child may allocate (its data segment and private mappings).
    pub memory_bytes: u64,
    /// The most time loading, or one batch of predictions, may take.
    pub timeout: Duration,
}

impl RunnerLimits {
    pub fn new(memory_bytes: u64, timeout: Duration) -> Self {
        Self {
            program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("modelyard")),
            memory_bytes,
            timeout,
        }
    }
}

impl Default for RunnerLimits {
    fn default() -> Self {
        Self::new(DEFAULT_MEMORY_BYTES, DEFAULT_TIMEOUT)
    }
}

/// What opening a model in its own process found.
pub struct Opened {
    /// What the file declares, when it could be read.
    pub info: Option<ModelInfo>,
    /// The running model, or why it cannot run.
    pub model: Result<IsolatedModel, PredictError>,
}

/// A model loaded in child processes (one per thread that predicts at the same time), ready to
/// predict many times. Each batch of predictions goes to a child that is not busy.
pub struct IsolatedModel {
    workers: Vec<Worker>,
    next: AtomicUsize,
    n_features: usize,
}

impl std::fmt::Debug for IsolatedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IsolatedModel")
            .field("processes", &self.workers.len())
            .field("n_features", &self.n_features)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts a child for the model file at `path` and waits (within the time limit) until it has
/// loaded it. Blocking: call it from `spawn_blocking`.
pub fn open(path: &Path, limits: &RunnerLimits) -> Opened {
    open_many(path, limits, 1)
}

/// Starts `processes` children for the model file at once, for as many threads predicting at
/// the same time, and waits until each has loaded it. Each may use the whole memory budget.
pub fn open_many(path: &Path, limits: &RunnerLimits, processes: usize) -> Opened {
    let started: Vec<Result<Worker, PredictError>> = (0..processes.max(1))
        .map(|_| Worker::spawn(path, limits))
        .collect();
    let mut workers = Vec::with_capacity(started.len());
    let mut info = None;
    let mut n_features = 0;
    // Returning early drops (and so stops) the children not looked at yet.
    for worker in started {
        let loaded = worker.and_then(|worker| worker.load().map(|loaded| (worker, loaded)));
        match loaded {
            Ok((worker, loaded)) => match loaded.outcome {
                Ok(n) => {
                    info = info.or(loaded.info);
                    n_features = n;
                    workers.push(worker);
                }
                Err(e) => {
                    return Opened {
                        info: loaded.info,
                        model: Err(e),
                    };
                }
            },
            Err(e) => {
                return Opened {
                    info: None,
                    model: Err(e),
                };
            }
        }
    }
    Opened {
        info,
        model: Ok(IsolatedModel {
            workers,
            next: AtomicUsize::new(0),
            n_features,
        }),
    }
}

impl IsolatedModel {
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// A child no other thread is using, if there is one (with its pipes already held), else
    /// the next one in turn.
    fn idle_worker(&self) -> (&Worker, Option<MutexGuard<'_, Option<Pipes>>>) {
        for worker in &self.workers {
            match worker.pipes.try_lock() {
                Ok(pipes) => return (worker, Some(pipes)),
                Err(std::sync::TryLockError::Poisoned(p)) => return (worker, Some(p.into_inner())),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        (&self.workers[turn], None)
    }
}

impl Predictor for IsolatedModel {
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError> {
        check_table(features, self.n_features)?;
        let request = encode_request(features);
        let (worker, pipes) = self.idle_worker();
        let pipes = pipes.unwrap_or_else(|| lock(&worker.pipes));
        let answer = worker.step(pipes, "Predicting", |pipes| {
            write_frame(&mut pipes.input, &request)?;
            read_frame(&mut pipes.output)
        })?;
        decode_predictions(&answer, features.n_rows())
    }

    fn input_width(&self) -> Option<usize> {
        Some(self.n_features)
    }
}
