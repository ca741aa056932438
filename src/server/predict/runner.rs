//! Uploaded ONNX models are loaded and run in a child process of this binary (the hidden
//! subcommand `modelyard model-runner`), never in the server itself. The child's memory is
//! capped (`RLIMIT_DATA`) and every step, loading or one batch of predictions, has a time limit,
//! so a model file that asks for gigabytes or never finishes costs only its child: the server's
//! own memory does not depend on what was uploaded.
//!
//! The child starts with an empty environment (no database URL, no storage keys), reads the
//! model file it is given, and then answers requests on its standard input and output, each a
//! frame: a little-endian `u64` length, then that many bytes.
//! - After loading it sends [`Loaded`] as JSON: what the file declares, and whether it runs.
//! - A request is `n_rows: u64`, `n_columns: u64`, then the columns one after the other as
//!   `f64`s. The answer starts with a tag byte: 0 and a JSON [`PredictError`], or 1 (values),
//!   2 (positive-class probabilities), 3 (class probabilities, then `n_classes: u64`), followed
//!   by the `f64`s.
//!
//! Closing the child's input ends it; dropping an [`IsolatedModel`] kills it, and so does the
//! server's death.

use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::onnx::{check_table, human_bytes};
use super::{Features, ModelInfo, OnnxModel, PredictError, Predictions, Predictor, inspect};

/// The name of the hidden subcommand the child runs.
pub const SUBCOMMAND: &str = "model-runner";

/// Memory a model's process may use unless configured otherwise.
pub const DEFAULT_MEMORY_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Time loading a model, or one batch of its predictions, may take unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// The end of the child's standard error kept to explain how it stopped.
const STDERR_TAIL_BYTES: usize = 4096;

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

/// What the child answers once it has read the model file.
#[derive(Debug, Serialize, Deserialize)]
struct Loaded {
    /// What the file declares, when it is an ONNX model at all (even one that cannot run).
    info: Option<ModelInfo>,
    /// The number of features of a model that loaded, or why it did not.
    outcome: Result<usize, PredictError>,
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

/// One child process holding the model.
struct Worker {
    child: Arc<Mutex<Child>>,
    /// `None` once the child failed: every later call answers `failure`.
    pipes: Mutex<Option<Pipes>>,
    failure: Mutex<Option<PredictError>>,
    stderr: Mutex<Option<JoinHandle<Vec<u8>>>>,
    limits: RunnerLimits,
}

struct Pipes {
    input: BufWriter<ChildStdin>,
    output: BufReader<ChildStdout>,
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

impl Worker {
    fn spawn(path: &Path, limits: &RunnerLimits) -> Result<Worker, PredictError> {
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
    fn load(&self) -> Result<Loaded, PredictError> {
        let frame = self.step(lock(&self.pipes), "Loading the model", |pipes| {
            read_frame(&mut pipes.output)
        })?;
        serde_json::from_slice::<Loaded>(&frame).map_err(|e| {
            PredictError::InvalidModel(format!("the model's process answered badly: {e}"))
        })
    }

    /// Runs one exchange with the child within the time limit. When it fails, the child is
    /// stopped and the reason (out of memory, out of time, crashed) is kept for later calls.
    fn step<T>(
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

fn explain_stop(
    what: &str,
    timed_out: bool,
    status: Option<ExitStatus>,
    stderr: &str,
    limits: &RunnerLimits,
) -> PredictError {
    if timed_out {
        return PredictError::OverBudget(format!(
            "{what} took longer than {} s, the most a model may take here",
            limits.timeout.as_secs()
        ));
    }
    let allocation = stderr
        .lines()
        .rev()
        .find(|line| line.contains("memory allocation of"));
    if let Some(line) = allocation {
        return over_memory(what, limits.memory_bytes, line.trim());
    }
    let status = status.map_or_else(|| "unknown status".to_owned(), |s| s.to_string());
    let last = stderr.lines().last().unwrap_or("no message");
    PredictError::Prediction(format!(
        "the model's process stopped while {}: {status} ({last})",
        what.to_lowercase()
    ))
}

fn over_memory(what: &str, memory_bytes: u64, detail: &str) -> PredictError {
    PredictError::OverBudget(format!(
        "{what} needed more than the {} of memory a model may use here ({detail})",
        human_bytes(memory_bytes)
    ))
}

/// tract panics (caught) when an allocation fails, with the layout it wanted; under the
/// child's memory limit that means the model asked for more than it may have.
fn name_allocation_failure(error: PredictError, what: &str, memory_bytes: u64) -> PredictError {
    let message = error.to_string();
    let Some(at) = message.find("failed to allocate") else {
        return error;
    };
    let size = message[at..]
        .split_once("size: ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|digits| !digits.is_empty());
    let detail = match size {
        Some(bytes) => format!("memory allocation of {bytes} bytes failed"),
        None => "a memory allocation failed".to_owned(),
    };
    over_memory(what, memory_bytes, &detail)
}

impl Drop for Worker {
    fn drop(&mut self) {
        let mut child = lock(&self.child);
        let _ = child.kill();
        let _ = child.wait();
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

fn write_frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    out.write_all(&(payload.len() as u64).to_le_bytes())?;
    out.write_all(payload)?;
    out.flush()
}

/// One frame, or `UnexpectedEof` when the other side closed the pipe. The bytes are read as
/// they arrive, so a length that lies costs nothing.
fn read_frame(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut length = [0u8; 8];
    input.read_exact(&mut length)?;
    let length = u64::from_le_bytes(length);
    let mut payload = Vec::new();
    input.take(length).read_to_end(&mut payload)?;
    if payload.len() as u64 != length {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(payload)
}

fn push_f64s(out: &mut Vec<u8>, values: &[f64]) {
    out.reserve(values.len() * 8);
    for value in values {
        out.extend_from_slice(&value.to_le_bytes());
    }
}

fn read_f64s(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
        .collect()
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

fn encode_request(features: &Features<'_>) -> Vec<u8> {
    let columns = features.columns();
    let mut out = Vec::with_capacity(16 + columns.len() * features.n_rows() * 8);
    out.extend_from_slice(&(features.n_rows() as u64).to_le_bytes());
    out.extend_from_slice(&(columns.len() as u64).to_le_bytes());
    for column in columns {
        push_f64s(&mut out, column);
    }
    out
}

fn encode_predictions(result: Result<Predictions, PredictError>) -> Vec<u8> {
    let mut out = Vec::new();
    match result {
        Err(e) => {
            out.push(0);
            out.extend_from_slice(&serde_json::to_vec(&e).unwrap_or_default());
        }
        Ok(Predictions::Values(values)) => {
            out.push(1);
            push_f64s(&mut out, &values);
        }
        Ok(Predictions::PositiveProbability(values)) => {
            out.push(2);
            push_f64s(&mut out, &values);
        }
        Ok(Predictions::ClassProbabilities {
            n_classes,
            probabilities,
        }) => {
            out.push(3);
            out.extend_from_slice(&(n_classes as u64).to_le_bytes());
            push_f64s(&mut out, &probabilities);
        }
    }
    out
}

fn decode_predictions(answer: &[u8], n_rows: usize) -> Result<Predictions, PredictError> {
    let bad = || PredictError::Prediction("the model's process answered badly".to_owned());
    let predictions = match answer.first() {
        Some(0) => return Err(serde_json::from_slice(&answer[1..]).map_err(|_| bad())?),
        Some(1) => Predictions::Values(read_f64s(&answer[1..])),
        Some(2) => Predictions::PositiveProbability(read_f64s(&answer[1..])),
        Some(3) => {
            let n_classes = read_u64(answer, 1)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0)
                .ok_or_else(bad)?;
            Predictions::ClassProbabilities {
                n_classes,
                probabilities: read_f64s(&answer[9..]),
            }
        }
        _ => return Err(bad()),
    };
    if predictions.n_rows() != n_rows {
        return Err(bad());
    }
    Ok(predictions)
}

/// A request's table, as the child reads it.
struct Table {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

fn decode_request(request: &[u8]) -> Option<Table> {
    let n_rows = usize::try_from(read_u64(request, 0)?).ok()?;
    let n_columns = usize::try_from(read_u64(request, 8)?).ok()?;
    let body = request.get(16..)?;
    if body.len() != n_rows.checked_mul(n_columns)?.checked_mul(8)? {
        return None;
    }
    let columns = if n_rows == 0 {
        vec![Vec::new(); n_columns]
    } else {
        body.chunks_exact(n_rows * 8).map(read_f64s).collect()
    };
    Some(Table {
        names: (0..n_columns)
            .map(|i| format!("column {}", i + 1))
            .collect(),
        columns,
    })
}

/// The child's side: caps its own memory, loads the model and answers requests until its input
/// closes. Runs in `modelyard model-runner`.
pub fn serve_child(model_path: &Path, memory_bytes: u64) -> std::io::Result<()> {
    exit_with_parent();
    limit_memory(memory_bytes)?;
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let bytes = std::fs::read(model_path)?;
    let info = inspect(&bytes).ok();
    let model = OnnxModel::load_within(&bytes, memory_bytes)
        .map_err(|e| name_allocation_failure(e, "Loading the model", memory_bytes));
    drop(bytes);
    let loaded = Loaded {
        info,
        outcome: model
            .as_ref()
            .map(OnnxModel::n_features)
            .map_err(Clone::clone),
    };
    let loaded = serde_json::to_vec(&loaded).map_err(std::io::Error::other)?;
    write_frame(&mut output, &loaded)?;
    let Ok(model) = model else {
        return Ok(());
    };
    loop {
        let request = match read_frame(&mut input) {
            Ok(request) => request,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        };
        let answer = match decode_request(&request) {
            Some(table) => {
                let columns = table.columns.iter().map(Vec::as_slice).collect();
                Features::new(&table.names, columns)
                    .and_then(|features| model.predict(&features))
                    .map_err(|e| name_allocation_failure(e, "Predicting", memory_bytes))
            }
            None => Err(PredictError::InvalidFeatures(
                "the request could not be read".to_owned(),
            )),
        };
        write_frame(&mut output, &encode_predictions(answer))?;
    }
}

/// Ends this process soon after the server that started it is gone, even killed with SIGKILL,
/// rather than letting a long step run on. (A parent-death signal would not do: it follows the
/// thread that started the child, and the server's blocking threads come and go.)
fn exit_with_parent() {
    let parent = std::os::unix::process::parent_id();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            if std::os::unix::process::parent_id() != parent {
                std::process::exit(1);
            }
        }
    });
}

fn limit_memory(bytes: u64) -> std::io::Result<()> {
    use rustix::process::{Resource, Rlimit, setrlimit};
    let limit = Rlimit {
        current: Some(bytes),
        maximum: Some(bytes),
    };
    setrlimit(Resource::Data, limit).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_answers_survive_the_pipe() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let (a, b) = (vec![1.0, f64::NAN, 3.5], vec![-0.0, 2.0, 1e300]);
        let features = Features::new(&names, vec![&a, &b]).unwrap();
        let table = decode_request(&encode_request(&features)).unwrap();
        assert_eq!(table.columns[0][0], 1.0);
        assert!(table.columns[0][1].is_nan());
        assert_eq!(table.columns[1], b);

        let classes = Predictions::ClassProbabilities {
            n_classes: 3,
            probabilities: vec![0.2, 0.3, 0.5, 1.0, 0.0, 0.0],
        };
        let answer = encode_predictions(Ok(classes.clone()));
        assert_eq!(decode_predictions(&answer, 2), Ok(classes));
        let error = PredictError::Prediction("boom".to_owned());
        let answer = encode_predictions(Err(error.clone()));
        assert_eq!(decode_predictions(&answer, 2), Err(error));
        let values = encode_predictions(Ok(Predictions::Values(vec![1.0])));
        assert!(decode_predictions(&values, 2).is_err(), "row count checked");
        assert!(decode_request(&[1, 2, 3]).is_none());
    }

    #[test]
    fn a_stopped_child_is_explained_by_its_allocation_failure() {
        let limits = RunnerLimits::new(256 * 1024 * 1024, Duration::from_secs(30));
        let error = explain_stop(
            "Loading the model",
            false,
            None,
            "memory allocation of 2500000000 bytes failed",
            &limits,
        );
        assert_eq!(error.error_code(), "MODEL_OVER_BUDGET");
        assert!(error.to_string().contains("256 MiB"), "{error}");
        assert!(error.to_string().contains("2500000000 bytes"), "{error}");
        let panicked = PredictError::InvalidModel(
            "the ONNX runtime could not handle this model (failed to allocate Layout { size: \
             2500000000, align: 128 (1 << 7) })"
                .to_owned(),
        );
        let named = name_allocation_failure(panicked, "Loading the model", 256 * 1024 * 1024);
        assert_eq!(
            named.to_string(),
            "The model needs more than this server allows a model: Loading the model needed \
             more than the 256 MiB of memory a model may use here (memory allocation of \
             2500000000 bytes failed)"
        );
        let slow = explain_stop("Predicting", true, None, "", &limits);
        assert!(slow.to_string().contains("longer than 30 s"), "{slow}");
    }
}
