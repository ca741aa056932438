//! Loading a model file into an optimized plan (refusing what cannot run, with a reason for the
//! person who uploaded it) and predicting with it, row chunk after row chunk.

use std::collections::HashSet;
use std::fmt;

use tract_onnx::pb::ModelProto;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

use super::budget::oversized_constant;
use super::graph::{Analysis, analyse};
use super::{ModelInfo, decode, guarded, ops};
use crate::server::predict::{Features, PredictError, Predictions, Predictor, Task};

/// Rows per run of the model: bounds the memory of a model's intermediate tensors on large
/// tables without costing speed.
pub(super) const ROWS_PER_RUN: usize = 10_000;

/// A model loaded and optimized, ready to predict many times. Cheap to share between threads.
pub struct OnnxModel {
    info: ModelInfo,
    plan: std::sync::Arc<TypedRunnableModel>,
    input_type: DatumType,
    n_features: usize,
    task: Task,
    /// Values per row of the prediction output, when known before running.
    output_width: Option<usize>,
}

impl fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnnxModel")
            .field("info", &self.info)
            .field("input_type", &self.input_type)
            .finish_non_exhaustive()
    }
}

impl OnnxModel {
    /// Parses and optimizes the model (typically milliseconds). Fails with
    /// [`PredictError::UnsupportedOperators`] naming every operator that cannot be run, and with
    /// a readable message for anything else that stops the model from running.
    pub fn load(bytes: &[u8]) -> Result<OnnxModel, PredictError> {
        Self::load_within(bytes, u64::MAX)
    }

    /// Like [`OnnxModel::load`], refusing before anything is allocated a graph that builds a
    /// constant tensor (`ConstantOfShape`, `Expand` of a constant shape) of more than
    /// `max_tensor_bytes`. Such a tensor would be built while the model is optimized, whatever
    /// the rows predicted. The process's memory limit ([`crate::server::predict::runner`])
    /// catches what this cannot see.
    pub fn load_within(bytes: &[u8], max_tensor_bytes: u64) -> Result<OnnxModel, PredictError> {
        let proto = decode(bytes)?;
        if let Some(refused) = oversized_constant(&proto, max_tensor_bytes) {
            return Err(PredictError::OverBudget(refused));
        }
        let Analysis { info, input_type } = analyse(&proto)?;
        if !info.unsupported_operators.is_empty() {
            return Err(PredictError::UnsupportedOperators(
                info.unsupported_operators,
            ));
        }
        if info.inputs.len() != 1 {
            return Err(PredictError::UnsupportedModel(format!(
                "it has {} inputs ({}); only models with one input of shape [rows, features] \
                 are supported",
                info.inputs.len(),
                info.inputs.join(", ")
            )));
        }
        let input_type = match input_type {
            Some(DataType::Float) => f32::datum_type(),
            Some(DataType::Double) => f64::datum_type(),
            other => {
                return Err(PredictError::UnsupportedModel(format!(
                    "its input holds {} values; only float and double inputs are supported",
                    other.map_or("undeclared", |t| t.as_str_name())
                )));
            }
        };
        let n_features = info.n_features.ok_or_else(|| {
            PredictError::UnsupportedModel(
                "its input does not declare its number of features (the shape must be \
                 [rows, features] with a fixed number of features)"
                    .to_owned(),
            )
        })?;
        let (Some(output), Some(task)) = (info.prediction_output.as_deref(), info.task) else {
            return Err(PredictError::UnsupportedModel(
                "it has no output of floating-point numbers to read predictions from".to_owned(),
            ));
        };
        if let Some(dangling) = first_output_nothing_produces(&proto) {
            return Err(PredictError::InvalidModel(format!(
                "the graph's output '{dangling}' is not produced by any node"
            )));
        }
        let plan = guarded(|| build_plan(&proto, input_type, n_features, output))
            .map_err(PredictError::InvalidModel)?;
        let output_width = guarded(|| {
            let fact = plan.model().output_fact(0)?;
            Ok(match fact.rank() {
                1 => Some(1),
                2 => fact.shape[1].to_usize().ok(),
                _ => None,
            })
        })
        .map_err(PredictError::InvalidModel)?;
        if task == Task::Regression
            && let Some(width) = output_width.filter(|&w| w != 1)
        {
            return Err(PredictError::UnsupportedModel(format!(
                "its output '{output}' has {width} values per row; a regression model must \
                 predict one"
            )));
        }
        Ok(OnnxModel {
            info,
            plan,
            input_type,
            n_features,
            task,
            output_width,
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    pub fn task(&self) -> Task {
        self.task
    }

    /// Runs the model over the rows in chunks; returns the output values, row after row, and how
    /// many there are per row.
    fn run(&self, features: &Features<'_>) -> TractResult<(Vec<f64>, usize)> {
        let n_rows = features.n_rows();
        let mut width = self.output_width.unwrap_or(1);
        let mut values = Vec::with_capacity(n_rows.saturating_mul(width));
        let mut state = self.plan.spawn()?;
        for start in (0..n_rows).step_by(ROWS_PER_RUN) {
            let end = (start + ROWS_PER_RUN).min(n_rows);
            let rows = end - start;
            let input = if self.input_type == f64::datum_type() {
                row_major(features, start, end, |v| v)?
            } else {
                row_major(features, start, end, |v| v as f32)?
            };
            let outputs = state.run(tvec!(input.into_tvalue()))?;
            let output = outputs.first().context("the model returned nothing")?;
            ensure!(
                output.rank() >= 1 && output.shape()[0] == rows,
                "the model returned shape {:?} for {rows} rows",
                output.shape()
            );
            let chunk_width = output.len() / rows;
            if start == 0 {
                width = chunk_width;
            }
            ensure!(
                chunk_width == width,
                "the model returned {width} values per row, then {chunk_width}"
            );
            let output = output.cast_to::<f64>()?;
            values.extend(output.to_plain_array_view::<f64>()?.iter().copied());
        }
        Ok((values, width))
    }
}

impl Predictor for OnnxModel {
    fn predict(&self, features: &Features<'_>) -> Result<Predictions, PredictError> {
        check_table(features, self.n_features)?;
        let (values, width) = guarded(|| self.run(features)).map_err(PredictError::Prediction)?;
        match (self.task, width) {
            (Task::Regression, 1) => Ok(Predictions::Values(values)),
            (Task::Regression, _) => Err(PredictError::Prediction(format!(
                "the model returned {width} values per row; a regression model must predict one"
            ))),
            (Task::Classification, 0) => Err(PredictError::Prediction(
                "the model returned no probabilities".to_owned(),
            )),
            // One column: the probability of the positive class already.
            (Task::Classification, 1) => Ok(Predictions::PositiveProbability(values)),
            (Task::Classification, 2) => Ok(Predictions::PositiveProbability(
                values.chunks_exact(2).map(|p| p[1]).collect(),
            )),
            (Task::Classification, n_classes) => Ok(Predictions::ClassProbabilities {
                n_classes,
                probabilities: values,
            }),
        }
    }

    fn input_width(&self) -> Option<usize> {
        Some(self.n_features)
    }
}

/// Whether `features` can be fed to a model taking `n_features` numeric columns.
pub fn check_table(features: &Features<'_>, n_features: usize) -> Result<(), PredictError> {
    let n_columns = features.columns().len();
    if n_columns != n_features {
        return Err(PredictError::InvalidFeatures(format!(
            "the model takes {n_features} features, the table has {n_columns} columns"
        )));
    }
    if let Some(name) = features.first_non_numeric() {
        return Err(PredictError::InvalidFeatures(format!(
            "column '{name}' holds text or categories; an ONNX model takes numbers only"
        )));
    }
    Ok(())
}

/// Rows `start..end` of the table as a `[rows, features]` tensor.
fn row_major<T: Datum + Copy + Default>(
    features: &Features<'_>,
    start: usize,
    end: usize,
    convert: impl Fn(f64) -> T,
) -> TractResult<Tensor> {
    let columns = features.columns();
    let width = columns.len();
    let mut data = vec![T::default(); (end - start) * width];
    for (j, column) in columns.iter().enumerate() {
        for (i, &value) in column[start..end].iter().enumerate() {
            data[i * width + j] = convert(value);
        }
    }
    Tensor::from_shape(&[end - start, width], &data)
}

fn build_plan(
    proto: &ModelProto,
    input_type: DatumType,
    n_features: usize,
    output: &str,
) -> TractResult<std::sync::Arc<TypedRunnableModel>> {
    let parsed = ops::runtime().parse(proto, None)?;
    ensure!(
        parsed.unresolved_inputs.is_empty(),
        "the graph reads tensors that nothing produces: {}",
        parsed.unresolved_inputs.join(", ")
    );
    let mut model = parsed.model;
    let outlet = *parsed
        .outlets_by_name
        .get(output)
        .with_context(|| format!("no tensor is named {output:?}"))?;
    // Reading the prediction output alone also drops what only other outputs need (a ZipMap,
    // the labels of a classifier).
    model.select_output_outlets(&[outlet])?;
    ensure!(
        model.input_outlets()?.len() == 1,
        "expected one input, the graph has {}",
        model.input_outlets()?.len()
    );
    // The declared shape is often [None, features], which does not type the graph; any number
    // of rows can be run with a symbolic batch dimension.
    let rows = model.symbols.sym("rows");
    let model = model.with_input_fact(
        0,
        InferenceFact::dt_shape(input_type, tvec![rows.to_dim(), n_features.to_dim()]),
    )?;
    model.into_optimized()?.into_runnable()
}

/// tract panics on such a graph; saying so is clearer than the panic's message.
fn first_output_nothing_produces(proto: &ModelProto) -> Option<&str> {
    let graph = proto.graph.as_ref()?;
    let produced: HashSet<&str> = graph
        .node
        .iter()
        .flat_map(|n| n.output.iter())
        .chain(graph.input.iter().map(|i| &i.name))
        .chain(graph.initializer.iter().map(|t| &t.name))
        .map(|name| &**name)
        .collect();
    graph
        .output
        .iter()
        .map(|o| &*o.name)
        .find(|name| !produced.contains(name))
}
