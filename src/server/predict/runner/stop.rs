//! Why a model's process stopped, in words for the person who uploaded the model: out of time,
//! out of memory (the allocation that failed), or crashed.

use std::process::ExitStatus;

use super::RunnerLimits;
use crate::server::predict::PredictError;
use crate::server::predict::onnx::human_bytes;

pub(super) fn explain_stop(
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
pub(super) fn name_allocation_failure(
    error: PredictError,
    what: &str,
    memory_bytes: u64,
) -> PredictError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
