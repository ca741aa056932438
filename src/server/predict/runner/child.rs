//! The child's side, `modelyard model-runner`: it caps its own memory, loads the model and
//! answers requests until its input closes, and ends when the server that started it is gone.

use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::time::Duration;

use super::frames::{Loaded, decode_request, encode_predictions, read_frame, write_frame};
use super::stop::name_allocation_failure;
use crate::server::predict::{Features, OnnxModel, PredictError, Predictor, inspect};

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
