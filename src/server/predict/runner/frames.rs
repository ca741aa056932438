//! The frames parent and child exchange over the child's standard input and output: what the
//! child found in the model file, a table of features, and the predictions (or the error) it
//! answers with.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::server::predict::{Features, ModelInfo, PredictError, Predictions};

/// What the child answers once it has read the model file.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Loaded {
    /// What the file declares, when it is an ONNX model at all (even one that cannot run).
    pub(super) info: Option<ModelInfo>,
    /// The number of features of a model that loaded, or why it did not.
    pub(super) outcome: Result<usize, PredictError>,
}

pub(super) fn write_frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    out.write_all(&(payload.len() as u64).to_le_bytes())?;
    out.write_all(payload)?;
    out.flush()
}

/// One frame, or `UnexpectedEof` when the other side closed the pipe. The bytes are read as
/// they arrive, so a length that lies costs nothing.
pub(super) fn read_frame(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
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

pub(super) fn encode_request(features: &Features<'_>) -> Vec<u8> {
    let columns = features.columns();
    let mut out = Vec::with_capacity(16 + columns.len() * features.n_rows() * 8);
    out.extend_from_slice(&(features.n_rows() as u64).to_le_bytes());
    out.extend_from_slice(&(columns.len() as u64).to_le_bytes());
    for column in columns {
        push_f64s(&mut out, column);
    }
    out
}

pub(super) fn encode_predictions(result: Result<Predictions, PredictError>) -> Vec<u8> {
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

pub(super) fn decode_predictions(
    answer: &[u8],
    n_rows: usize,
) -> Result<Predictions, PredictError> {
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
pub(super) struct Table {
    pub(super) names: Vec<String>,
    pub(super) columns: Vec<Vec<f64>>,
}

pub(super) fn decode_request(request: &[u8]) -> Option<Table> {
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
}
