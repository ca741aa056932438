//! ONNX models run in-process with tract (pure Rust): what a model file holds ([`inspect`]), and
//! a loaded model that predicts ([`OnnxModel`]).
//!
//! Supported: one input `[rows, features]` of floats or doubles; regressors (one value per row)
//! and classifiers (a probabilities tensor `[rows, classes]`, read before a ZipMap when the model
//! ends in one). Model files are untrusted: no input makes this module panic, and tract is run
//! under `catch_unwind` because some malformed graphs make it panic.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{self, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::internal::*;

use crate::domain::signature::{
    Dim, MAX_FIELD_NAME_CHARS, MAX_RANK, MAX_SIGNATURE_FIELDS, SignatureField,
};

use super::ops;
use super::{Features, PredictError, Predictions, Predictor, Task};

/// Rows per run of the model: bounds the memory of a model's intermediate tensors on large
/// tables without costing speed.
const ROWS_PER_RUN: usize = 10_000;

/// Error messages from tract can quote whole tensors; they are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 600;

/// An operator by type and domain, e.g. `SVMClassifier` of `ai.onnx.ml`.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Operator {
    pub op_type: String,
    pub domain: String,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.domain.as_str() {
            "" | "ai.onnx" => f.write_str(&self.op_type),
            domain => write!(f, "{} ({domain})", self.op_type),
        }
    }
}

/// What an ONNX file holds, as far as predicting with it is concerned.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelInfo {
    /// The graph inputs the caller feeds (stored weights excluded).
    pub inputs: Vec<String>,
    /// The number of features of the single input `[rows, features]`, if the file declares it.
    pub n_features: Option<usize>,
    /// Every output of the graph.
    pub outputs: Vec<String>,
    /// The tensor predictions are read from: a regressor's output or a classifier's
    /// probabilities (the input of its ZipMap, if it has one). `None` if no output holds floats.
    pub prediction_output: Option<String>,
    /// Regression or classification, guessed from the operators and outputs.
    pub task: Option<Task>,
    /// A classifier's labels, in the order of its probability columns, if the file names them.
    pub class_labels: Vec<String>,
    /// Operators needed for the predictions that cannot be run here, sorted, each named once.
    pub unsupported_operators: Vec<Operator>,
    /// The graph's inputs (stored weights excluded) and outputs: name, element type, shape.
    #[serde(default)]
    pub input_specs: Vec<SignatureField>,
    #[serde(default)]
    pub output_specs: Vec<SignatureField>,
}

/// Reads what a model file holds without running it. An upload can report unsupported
/// operators from this and still accept the file; only bytes that are not an ONNX model at all
/// are an error.
pub fn inspect(bytes: &[u8]) -> Result<ModelInfo, PredictError> {
    let proto = decode(bytes)?;
    Ok(analyse(&proto)?.info)
}

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
    /// the rows predicted. The process's memory limit ([`super::runner`]) catches what this
    /// cannot see.
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

/// The first node that would build a constant tensor larger than `budget` bytes, described
/// for the person who uploaded the model: `ConstantOfShape` and `Expand` whose shape is a
/// stored constant (an initializer or a `Constant` node).
fn oversized_constant(proto: &ModelProto, budget: u64) -> Option<String> {
    let graph = proto.graph.as_ref()?;
    let mut shapes: HashMap<&str, &pb::TensorProto> =
        graph.initializer.iter().map(|t| (&*t.name, t)).collect();
    for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
        let value = node.attribute.iter().find(|a| a.name == "value");
        if let (Some(output), Some(tensor)) =
            (node.output.first(), value.and_then(|a| a.t.as_ref()))
        {
            shapes.insert(output, tensor);
        }
    }
    for node in &graph.node {
        let (shape_input, element_bytes) = match node.op_type.as_str() {
            "ConstantOfShape" => {
                let value_type = node
                    .attribute
                    .iter()
                    .find(|a| a.name == "value")
                    .and_then(|a| a.t.as_ref())
                    .map_or(DataType::Float as i32, |t| t.data_type);
                (node.input.first(), element_size(value_type))
            }
            // The expanded input's type is not known here; one byte per value is the least.
            "Expand" => (node.input.get(1), 1),
            _ => continue,
        };
        let Some(dims) = shape_input
            .and_then(|name| shapes.get(&**name))
            .and_then(|t| int64_values(t))
        else {
            continue;
        };
        let values = dims
            .iter()
            .try_fold(1u64, |n, &d| n.checked_mul(u64::try_from(d).unwrap_or(0)));
        let bytes = values.and_then(|v| v.checked_mul(element_bytes));
        if bytes.is_none_or(|b| b > budget) {
            let shape = dims
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" × ");
            let name = if node.name.is_empty() {
                node.output.first().map_or("", |o| o.as_str())
            } else {
                node.name.as_str()
            };
            let size = bytes.map_or_else(|| "more than 2^64 bytes".to_owned(), human_bytes);
            return Some(format!(
                "node '{name}' ({}) builds a constant tensor of {shape} values ({size}), more \
                 than the {} a model may use here",
                node.op_type,
                human_bytes(budget)
            ));
        }
    }
    None
}

/// The values of an int64 tensor stored in the file (as a list or as raw little-endian bytes).
fn int64_values(tensor: &pb::TensorProto) -> Option<Vec<i64>> {
    if tensor.data_type != DataType::Int64 as i32 {
        return None;
    }
    if !tensor.int64_data.is_empty() {
        return Some(tensor.int64_data.clone());
    }
    Some(
        tensor
            .raw_data
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
            .collect(),
    )
}

fn element_size(data_type: i32) -> u64 {
    match DataType::try_from(data_type) {
        Ok(DataType::Double | DataType::Int64 | DataType::Uint64 | DataType::Complex64) => 8,
        Ok(DataType::Int16 | DataType::Uint16 | DataType::Float16 | DataType::Bfloat16) => 2,
        Ok(DataType::Int8 | DataType::Uint8 | DataType::Bool) => 1,
        Ok(DataType::Complex128) => 16,
        _ => 4,
    }
}

/// `2.5 GB`, `256 MiB`: bytes as a person reads them (powers of two when exact).
pub fn human_bytes(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        return if bytes.is_multiple_of(1024 * MIB) {
            format!("{} GiB", bytes / (1024 * MIB))
        } else {
            format!("{} MiB", bytes / MIB)
        };
    }
    match bytes {
        b if b >= 1_000_000_000 => format!("{:.1} GB", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b => format!("{b} bytes"),
    }
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

fn decode(bytes: &[u8]) -> Result<ModelProto, PredictError> {
    guarded(|| ops::runtime().proto_model_for_read(&mut &bytes[..]))
        .map_err(PredictError::InvalidModel)
}

struct Analysis {
    info: ModelInfo,
    input_type: Option<DataType>,
}

fn analyse(proto: &ModelProto) -> Result<Analysis, PredictError> {
    let graph = proto
        .graph
        .as_ref()
        .ok_or_else(|| PredictError::InvalidModel("the file holds no graph".to_owned()))?;
    if graph.node.is_empty() && graph.output.is_empty() {
        return Err(PredictError::InvalidModel("the graph is empty".to_owned()));
    }
    let initialized: HashSet<&str> = graph.initializer.iter().map(|t| &*t.name).collect();
    let inputs: Vec<&ValueInfoProto> = graph
        .input
        .iter()
        .filter(|i| !initialized.contains(&*i.name))
        .collect();
    let input_specs: Vec<SignatureField> = inputs
        .iter()
        .take(MAX_SIGNATURE_FIELDS)
        .map(|i| field_spec(i))
        .collect();
    let producers: HashMap<&str, usize> = graph
        .node
        .iter()
        .enumerate()
        .flat_map(|(ix, node)| node.output.iter().map(move |o| (&**o, ix)))
        .filter(|(name, _)| !name.is_empty())
        .collect();
    let prediction = prediction_output(graph, &producers);

    let needed = match prediction {
        Some(p) => needed_nodes(graph, &producers, p.name),
        None => vec![true; graph.node.len()],
    };
    let mut unsupported = BTreeSet::new();
    for (node, _) in graph.node.iter().zip(&needed).filter(|(_, n)| **n) {
        collect_unsupported(node, &mut unsupported, 0);
    }

    let (task, class_labels) = match prediction {
        Some(p) => guess_task(graph, &producers, p),
        None => (None, Vec::new()),
    };
    let (input_type, n_features) = match inputs[..] {
        [input] => (
            tensor_type(input).and_then(|t| DataType::try_from(t.elem_type).ok()),
            declared_width(input),
        ),
        _ => (None, None),
    };
    let info = ModelInfo {
        inputs: inputs.iter().map(|i| i.name.clone()).collect(),
        n_features,
        outputs: graph.output.iter().map(|o| o.name.clone()).collect(),
        prediction_output: prediction.map(|p| p.name.to_owned()),
        task,
        class_labels,
        unsupported_operators: unsupported.into_iter().collect(),
        input_specs,
        output_specs: graph
            .output
            .iter()
            .take(MAX_SIGNATURE_FIELDS)
            .map(field_spec)
            .collect(),
    };
    Ok(Analysis { info, input_type })
}

#[derive(Clone, Copy)]
struct PredictionOutput<'a> {
    name: &'a str,
    /// The ZipMap whose input this is, if any.
    zipmap: Option<&'a NodeProto>,
}

/// Where predictions come from: the input of a ZipMap (it turns the probabilities into a
/// sequence of maps, a type tract does not have), else the output holding floats, preferring
/// one named like probabilities when a classifier also outputs labels.
fn prediction_output<'a>(
    graph: &'a GraphProto,
    producers: &HashMap<&str, usize>,
) -> Option<PredictionOutput<'a>> {
    for output in &graph.output {
        let producer = producers.get(&*output.name).map(|&ix| &graph.node[ix]);
        if let Some(zipmap) = producer.filter(|node| node.op_type == "ZipMap") {
            return zipmap.input.first().map(|name| PredictionOutput {
                name,
                zipmap: Some(zipmap),
            });
        }
    }
    let floats: Vec<&ValueInfoProto> = graph
        .output
        .iter()
        .filter(|o| {
            tensor_type(o).is_some_and(|t| {
                [DataType::Float, DataType::Double, DataType::Float16]
                    .map(|d| d as i32)
                    .contains(&t.elem_type)
            })
        })
        .collect();
    let chosen = floats
        .iter()
        .find(|o| o.name.to_lowercase().contains("prob"))
        .or(floats.first())
        .map(|o| &*o.name)
        .or(match &graph.output[..] {
            // An output without a declared type: the only one there is.
            [only] if only.r#type.is_none() => Some(&*only.name),
            _ => None,
        })?;
    Some(PredictionOutput {
        name: chosen,
        zipmap: None,
    })
}

/// Which nodes (by index) the tensor `output` depends on.
fn needed_nodes(graph: &GraphProto, producers: &HashMap<&str, usize>, output: &str) -> Vec<bool> {
    let mut needed = vec![false; graph.node.len()];
    let mut pending: Vec<&str> = vec![output];
    while let Some(name) = pending.pop() {
        let Some(&ix) = producers.get(name) else {
            continue;
        };
        if std::mem::replace(&mut needed[ix], true) {
            continue;
        }
        let node = &graph.node[ix];
        pending.extend(node.input.iter().map(|i| &**i));
        // A subgraph (If, Loop, Scan) may read tensors of this graph by name.
        for subgraph in subgraphs(node) {
            pending.extend(
                subgraph
                    .node
                    .iter()
                    .flat_map(|n| n.input.iter().map(|i| &**i)),
            );
        }
    }
    needed
}

fn subgraphs(node: &NodeProto) -> impl Iterator<Item = &GraphProto> {
    node.attribute
        .iter()
        .flat_map(|a| a.g.iter().chain(a.graphs.iter()))
}

/// Subgraphs nest; a file nesting them deeper than this is not a model we run anyway.
const MAX_SUBGRAPH_DEPTH: usize = 32;

fn collect_unsupported(node: &NodeProto, unsupported: &mut BTreeSet<Operator>, depth: usize) {
    if !ops::supports(&node.op_type) {
        unsupported.insert(Operator {
            op_type: node.op_type.clone(),
            domain: node.domain.clone(),
        });
    }
    if depth < MAX_SUBGRAPH_DEPTH {
        for subgraph in subgraphs(node) {
            for inner in &subgraph.node {
                collect_unsupported(inner, unsupported, depth + 1);
            }
        }
    }
}

/// Regression or classification, and a classifier's labels: a ZipMap or a `…Classifier`
/// operator behind the prediction output, or a second output of labels (integers or strings),
/// means classification.
fn guess_task(
    graph: &GraphProto,
    producers: &HashMap<&str, usize>,
    prediction: PredictionOutput<'_>,
) -> (Option<Task>, Vec<String>) {
    // Follow the prediction back through operators that only pass it on.
    let mut name = prediction.name;
    let mut classifier = None;
    for _ in 0..graph.node.len() {
        let Some(node) = producers.get(name).map(|&ix| &graph.node[ix]) else {
            break;
        };
        if node.op_type.ends_with("Classifier") {
            classifier = Some(node);
            break;
        }
        match (node.op_type.as_str(), node.input.first()) {
            ("Identity" | "Cast", Some(input)) => name = input,
            _ => break,
        }
    }
    let labels = [classifier, prediction.zipmap]
        .into_iter()
        .flatten()
        .map(class_labels)
        .find(|labels| !labels.is_empty())
        .unwrap_or_default();
    let outputs_labels = graph.output.iter().any(|o| {
        o.name != prediction.name
            && tensor_type(o).is_some_and(|t| {
                [DataType::Int64, DataType::Int32, DataType::String]
                    .map(|d| d as i32)
                    .contains(&t.elem_type)
            })
    });
    let task = if classifier.is_some() || prediction.zipmap.is_some() || outputs_labels {
        Task::Classification
    } else {
        Task::Regression
    };
    (Some(task), labels)
}

fn class_labels(node: &NodeProto) -> Vec<String> {
    for attribute in &node.attribute {
        match attribute.name.as_str() {
            "classlabels_int64s" | "classlabels_ints" if !attribute.ints.is_empty() => {
                return attribute.ints.iter().map(i64::to_string).collect();
            }
            "classlabels_strings" if !attribute.strings.is_empty() => {
                return attribute
                    .strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect();
            }
            _ => {}
        }
    }
    Vec::new()
}

fn tensor_type(value: &ValueInfoProto) -> Option<&pb::type_proto::Tensor> {
    let pb::type_proto::Value::TensorType(tensor) = value.r#type.as_ref()?.value.as_ref()?;
    Some(tensor)
}

/// An element type as people write it: `float32`, `int64`, `string`.
fn element_type_name(elem_type: i32) -> String {
    match DataType::try_from(elem_type) {
        Ok(DataType::Float) => "float32".to_owned(),
        Ok(DataType::Double) => "float64".to_owned(),
        Ok(DataType::Float16) => "float16".to_owned(),
        Ok(DataType::Undefined) => "undefined".to_owned(),
        Ok(other) => other.as_str_name().to_ascii_lowercase(),
        Err(_) => format!("type {elem_type}"),
    }
}

fn bounded_name(name: &str) -> String {
    match name.char_indices().nth(MAX_FIELD_NAME_CHARS) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    }
}

/// A graph input or output as a signature field: a fixed dimension, a named (symbolic) one, or
/// one the file leaves open.
fn field_spec(value: &ValueInfoProto) -> SignatureField {
    use pb::tensor_shape_proto::dimension::Value;
    let name = (!value.name.is_empty()).then(|| bounded_name(&value.name));
    let (r#type, shape) = match (tensor_type(value), &value.r#type) {
        (Some(tensor), _) => {
            let shape = tensor.shape.as_ref().and_then(|shape| {
                (shape.dim.len() <= MAX_RANK).then(|| {
                    shape
                        .dim
                        .iter()
                        .map(|d| match &d.value {
                            Some(Value::DimValue(n)) if *n >= 0 => Dim::Fixed(*n),
                            Some(Value::DimParam(p)) if !p.is_empty() => {
                                Dim::Named(bounded_name(p))
                            }
                            _ => Dim::Unknown,
                        })
                        .collect()
                })
            });
            (element_type_name(tensor.elem_type), shape)
        }
        // Sequences and maps (a ZipMap's output) are types this decoder skips.
        (None, Some(_)) => ("not a tensor".to_owned(), None),
        (None, None) => ("undeclared".to_owned(), None),
    };
    SignatureField {
        name,
        r#type,
        shape,
        optional: false,
    }
}

/// The fixed `features` of a declared `[rows, features]` shape.
fn declared_width(input: &ValueInfoProto) -> Option<usize> {
    use pb::tensor_shape_proto::dimension::Value;
    let dims = &tensor_type(input)?.shape.as_ref()?.dim;
    match dims[..] {
        [_, ref features] => match features.value {
            Some(Value::DimValue(n)) if n > 0 => usize::try_from(n).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Runs tract, turning its errors and panics into a readable message.
fn guarded<T>(f: impl FnOnce() -> TractResult<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(shorten(format!("{e:#}"))),
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no details".to_owned());
            Err(shorten(format!(
                "the ONNX runtime could not handle this model ({reason})"
            )))
        }
    }
}

fn shorten(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::predict::test_graphs::{self, ML, node, tensor, untyped};
    use serde_json::Value;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/feature_impact");

    fn expected() -> Value {
        let text = std::fs::read_to_string(format!("{FIXTURES}/expected.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// The feature columns of a fixture CSV (every column but the last, `target`).
    fn dataset(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{csv}")).unwrap();
        let mut lines = text.lines();
        let mut names: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        names.pop();
        let mut columns = vec![Vec::new(); names.len()];
        for line in lines {
            for (column, cell) in columns.iter_mut().zip(line.split(',')) {
                column.push(cell.parse::<f64>().unwrap());
            }
        }
        (names, columns)
    }

    fn fixture_model(name: &str) -> Value {
        expected()["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    }

    fn numbers(value: &Value) -> Vec<f64> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    }

    /// Loads a fixture model, checks what `inspect` says about it, and compares its predictions
    /// on the first rows with onnxruntime's.
    fn check_fixture(name: &str) {
        let expected = expected();
        let m = fixture_model(name);
        let bytes = std::fs::read(format!("{FIXTURES}/{}", m["onnx"].as_str().unwrap())).unwrap();
        let csv = expected["datasets"][m["dataset"].as_str().unwrap()]["csv"]
            .as_str()
            .unwrap();
        let (names, columns) = dataset(csv);
        assert_eq!(names, m["features"].as_array().unwrap().clone(), "{name}");

        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![], "{name}");
        assert_eq!(info.inputs, vec!["input".to_owned()], "{name}");
        assert_eq!(info.n_features, Some(names.len()), "{name}");
        assert_eq!(
            info.prediction_output.as_deref(),
            m["prediction_output"].as_str(),
            "{name}"
        );
        let classification = m["task"] == "classification";
        let task = if classification {
            Task::Classification
        } else {
            Task::Regression
        };
        assert_eq!(info.task, Some(task), "{name}");
        if classification {
            assert_eq!(info.class_labels, vec!["0", "1"], "{name}");
        }

        let model = OnnxModel::load(&bytes).unwrap();
        assert_eq!(model.task(), task);
        let n_rows = m["prediction_rows"].as_u64().unwrap() as usize;
        let first_rows: Vec<&[f64]> = columns.iter().map(|c| &c[..n_rows]).collect();
        let features = Features::new(&names, first_rows).unwrap();
        let (got, want, tolerance) = match model.predict(&features).unwrap() {
            Predictions::Values(got) => (got, numbers(&m["predictions_onnxruntime"]), 1e-4),
            Predictions::PositiveProbability(got) => {
                (got, numbers(&m["probabilities_onnxruntime"]), 1e-5)
            }
            other => panic!("{name}: unexpected {other:?}"),
        };
        assert_eq!(got.len(), n_rows, "{name}");
        for (row, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= tolerance,
                "{name}, row {row}: got {g}, onnxruntime {w}"
            );
        }

        // The whole data set in one call.
        let all: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let features = Features::new(&names, all).unwrap();
        assert_eq!(model.predict(&features).unwrap().n_rows(), columns[0].len());
    }

    #[test]
    fn diabetes_linear_matches_onnxruntime() {
        check_fixture("diabetes_linear");
    }

    #[test]
    fn diabetes_scaled_linear_matches_onnxruntime() {
        check_fixture("diabetes_scaled_linear");
    }

    #[test]
    fn diabetes_random_forest_matches_onnxruntime() {
        check_fixture("diabetes_random_forest");
    }

    #[test]
    fn diabetes_gradient_boosting_matches_onnxruntime() {
        check_fixture("diabetes_gradient_boosting");
    }

    #[test]
    fn breast_cancer_logistic_matches_onnxruntime() {
        check_fixture("breast_cancer_logistic");
    }

    #[test]
    fn breast_cancer_scaled_logistic_matches_onnxruntime() {
        check_fixture("breast_cancer_scaled_logistic");
    }

    #[test]
    fn breast_cancer_random_forest_matches_onnxruntime() {
        check_fixture("breast_cancer_random_forest");
    }

    #[test]
    fn breast_cancer_gradient_boosting_matches_onnxruntime() {
        check_fixture("breast_cancer_gradient_boosting");
    }

    /// The labels output is not what feature impact reads, but a wrong label is a wrong model.
    #[test]
    fn tree_classifier_labels_match_sklearn() {
        for name in [
            "breast_cancer_random_forest",
            "breast_cancer_gradient_boosting",
        ] {
            let m = fixture_model(name);
            let path = format!("{FIXTURES}/{}", m["onnx"].as_str().unwrap());
            let (_, columns) = dataset("breast_cancer.csv");
            let n_rows = m["prediction_rows"].as_u64().unwrap() as usize;
            let rows: Vec<f32> = (0..n_rows)
                .flat_map(|r| columns.iter().map(move |c| c[r] as f32))
                .collect();
            let n_features = columns.len();
            let model = ops::runtime().model_for_path(&path).unwrap();
            let rows_sym = model.symbols.sym("rows");
            let plan = model
                .with_input_fact(
                    0,
                    InferenceFact::dt_shape(
                        f32::datum_type(),
                        tvec![rows_sym.to_dim(), n_features.to_dim()],
                    ),
                )
                .unwrap()
                .into_optimized()
                .unwrap()
                .into_runnable()
                .unwrap();
            let input = Tensor::from_shape(&[n_rows, n_features], &rows).unwrap();
            let outputs = plan.run(tvec!(input.into_tvalue())).unwrap();
            let labels: Vec<i64> = outputs[0]
                .to_plain_array_view::<i64>()
                .unwrap()
                .iter()
                .copied()
                .collect();
            let want: Vec<i64> = m["labels_sklearn"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(labels, want, "{name}");
        }
    }

    /// skl2onnx's default export: labels through a Cast, probabilities through a ZipMap (a
    /// sequence of maps tract has no type for). Predictions are read at the ZipMap's input.
    #[test]
    fn classifier_ending_in_zipmap_is_read_before_the_zipmap() {
        let bytes = test_graphs::model(
            2,
            vec![
                node(
                    "LinearClassifier",
                    ML,
                    &["X"],
                    &["label", "probabilities"],
                    vec![
                        test_graphs::ints("classlabels_ints", &[0, 1]),
                        test_graphs::floats("coefficients", &[-1.0, -2.0, 1.0, 2.0]),
                        test_graphs::floats("intercepts", &[-0.5, 0.5]),
                        test_graphs::string("post_transform", "LOGISTIC"),
                    ],
                ),
                node(
                    "Cast",
                    "",
                    &["label"],
                    &["output_label"],
                    vec![test_graphs::int("to", DataType::Int64 as i64)],
                ),
                node(
                    "ZipMap",
                    ML,
                    &["probabilities"],
                    &["output_probability"],
                    vec![test_graphs::ints("classlabels_int64s", &[0, 1])],
                ),
            ],
            vec![
                tensor("output_label", DataType::Int64, &[None]),
                untyped("output_probability"),
            ],
        );
        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![]);
        assert_eq!(info.prediction_output.as_deref(), Some("probabilities"));
        assert_eq!(info.task, Some(Task::Classification));
        assert_eq!(info.class_labels, vec!["0", "1"]);

        let model = OnnxModel::load(&bytes).unwrap();
        let names = ["a".to_owned(), "b".to_owned()];
        let (a, b) = ([0.0, 1.0, -1.0], [0.0, 0.5, 2.0]);
        let features = Features::new(&names, vec![&a, &b]).unwrap();
        let Predictions::PositiveProbability(p) = model.predict(&features).unwrap() else {
            panic!("expected probabilities of the positive class");
        };
        // Class 1's score: a + 2b + 0.5; LinearClassifier's LOGISTIC normalizes nothing.
        for (row, p) in p.iter().enumerate() {
            let score = a[row] + 2.0 * b[row] + 0.5;
            let want = 1.0 / (1.0 + (-score).exp());
            assert!((p - want).abs() < 1e-5, "row {row}: {p} vs {want}");
        }
    }

    #[test]
    fn unsupported_operators_are_reported_by_name() {
        let bytes = test_graphs::model(
            3,
            vec![
                node(
                    "SVMClassifier",
                    ML,
                    &["X"],
                    &["label", "probabilities"],
                    vec![test_graphs::ints("classlabels_ints", &[0, 1])],
                ),
                node(
                    "Gelu2000",
                    "com.example",
                    &["probabilities"],
                    &["p"],
                    vec![],
                ),
                node(
                    "ZipMap",
                    ML,
                    &["p"],
                    &["output_probability"],
                    vec![test_graphs::ints("classlabels_int64s", &[0, 1])],
                ),
            ],
            vec![
                tensor("label", DataType::Int64, &[None]),
                untyped("output_probability"),
            ],
        );
        let info = inspect(&bytes).unwrap();
        let names: Vec<String> = info
            .unsupported_operators
            .iter()
            .map(|op| op.to_string())
            .collect();
        assert_eq!(
            names,
            vec!["Gelu2000 (com.example)", "SVMClassifier (ai.onnx.ml)"]
        );
        assert_eq!(info.task, Some(Task::Classification));
        assert_eq!(info.n_features, Some(3));

        let error = OnnxModel::load(&bytes).unwrap_err();
        assert!(matches!(error, PredictError::UnsupportedOperators(_)));
        assert_eq!(
            error.to_string(),
            "The model uses operators that cannot be run here: Gelu2000 (com.example), \
             SVMClassifier (ai.onnx.ml)"
        );
        let api = crate::domain::error::ApiError::from(error);
        assert_eq!(
            (api.status, api.error_code.as_str()),
            (422, "UNSUPPORTED_OPERATORS")
        );
    }

    /// Only what the prediction needs counts: an unsupported operator on the labels' path of a
    /// classifier does not stop feature impact, which reads probabilities.
    #[test]
    fn operators_the_prediction_does_not_need_are_not_reported() {
        let bytes = test_graphs::model(
            2,
            vec![
                node(
                    "LinearClassifier",
                    ML,
                    &["X"],
                    &["label", "probabilities"],
                    vec![
                        test_graphs::ints("classlabels_ints", &[0, 1]),
                        test_graphs::floats("coefficients", &[-1.0, -2.0, 1.0, 2.0]),
                        test_graphs::floats("intercepts", &[-0.5, 0.5]),
                    ],
                ),
                node("LabelEncoder", ML, &["label"], &["named_label"], vec![]),
            ],
            vec![
                tensor("named_label", DataType::String, &[None]),
                tensor("probabilities", DataType::Float, &[None, Some(2)]),
            ],
        );
        let info = inspect(&bytes).unwrap();
        assert_eq!(info.unsupported_operators, vec![]);
        assert_eq!(info.prediction_output.as_deref(), Some("probabilities"));
        assert!(OnnxModel::load(&bytes).is_ok());
    }

    #[test]
    fn corrupted_files_are_errors_not_panics() {
        let bytes =
            std::fs::read(format!("{FIXTURES}/breast_cancer_gradient_boosting.onnx")).unwrap();
        // Not a model at all.
        for garbage in [&b""[..], b"not an onnx model", &[0xff; 64]] {
            let error = OnnxModel::load(garbage).unwrap_err();
            assert!(
                matches!(error, PredictError::InvalidModel(_)),
                "{garbage:?}: {error}"
            );
            assert!(inspect(garbage).is_err());
        }
        // Cut short.
        for len in [10, bytes.len() / 2, bytes.len() - 1] {
            assert!(OnnxModel::load(&bytes[..len]).is_err(), "cut at {len}");
            assert!(inspect(&bytes[..len]).is_err(), "cut at {len}");
        }
        // Bytes overwritten here and there: an error or a model, never a panic.
        for position in (0..bytes.len()).step_by(bytes.len() / 97) {
            let mut damaged = bytes.clone();
            damaged[position] ^= 0x5a;
            let _ = inspect(&damaged);
            if let Ok(model) = OnnxModel::load(&damaged) {
                let names: Vec<String> = (0..model.n_features()).map(|i| i.to_string()).collect();
                let column = [0.5; 4];
                let columns = vec![&column[..]; names.len()];
                let _ = model.predict(&Features::new(&names, columns).unwrap());
            }
        }
    }

    /// tract panics on a graph output that nothing produces.
    #[test]
    fn an_output_nothing_produces_is_an_error_not_a_panic() {
        let bytes = test_graphs::model(
            1,
            vec![node("Identity", "", &["X"], &["Y"], vec![])],
            vec![tensor("Z", DataType::Float, &[None, Some(1)])],
        );
        let error = OnnxModel::load(&bytes).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The file is not a usable ONNX model: the graph's output 'Z' is not produced by any \
             node"
        );
    }

    #[test]
    fn features_must_fit_the_model() {
        let bytes = std::fs::read(format!("{FIXTURES}/diabetes_linear.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let names = ["a".to_owned(), "b".to_owned()];
        let column = [1.0, 2.0];
        let features = Features::new(&names, vec![&column, &column]).unwrap();
        let error = model.predict(&features).unwrap_err();
        assert_eq!(
            error.to_string(),
            "The features do not fit the model: the model takes 10 features, the table has 2 \
             columns"
        );
    }

    /// Tables are run in chunks of rows; the chunks must join up in order.
    #[test]
    fn tables_larger_than_one_run_are_predicted_in_order() {
        let bytes = std::fs::read(format!("{FIXTURES}/diabetes_random_forest.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let (names, columns) = dataset("diabetes.csv");
        let n = columns[0].len();
        let repeats = ROWS_PER_RUN * 2 / n + 1;
        let long: Vec<Vec<f64>> = columns.iter().map(|c| c.repeat(repeats)).collect();
        let short = model
            .predict(&Features::new(&names, columns.iter().map(Vec::as_slice).collect()).unwrap())
            .unwrap();
        let long = model
            .predict(&Features::new(&names, long.iter().map(Vec::as_slice).collect()).unwrap())
            .unwrap();
        let (Predictions::Values(short), Predictions::Values(long)) = (short, long) else {
            panic!("expected regression values");
        };
        assert!(long.len() > 2 * ROWS_PER_RUN);
        for (row, value) in long.iter().enumerate() {
            assert_eq!(*value, short[row % n], "row {row}");
        }
    }

    #[test]
    fn empty_table_gives_no_predictions() {
        let bytes = std::fs::read(format!("{FIXTURES}/breast_cancer_logistic.onnx")).unwrap();
        let model = OnnxModel::load(&bytes).unwrap();
        let names: Vec<String> = (0..30).map(|i| format!("f{i}")).collect();
        let features = Features::new(&names, vec![&[][..]; 30]).unwrap();
        assert_eq!(
            model.predict(&features).unwrap(),
            Predictions::PositiveProbability(vec![])
        );
    }

    #[test]
    fn replacing_a_column_keeps_the_others() {
        let names = ["a".to_owned(), "b".to_owned()];
        let (a, b, shuffled) = ([1.0, 2.0], [3.0, 4.0], [4.0, 3.0]);
        let features = Features::new(&names, vec![&a, &b]).unwrap();
        let swapped = features.with_column(1, &shuffled).unwrap();
        assert_eq!(swapped.columns(), &[&a[..], &shuffled[..]]);
        assert!(features.with_column(2, &shuffled).is_err());
        assert!(features.with_column(0, &[1.0]).is_err());
        assert!(Features::new(&names, vec![&a, &[1.0]]).is_err());
        assert!(Features::new(&names, vec![&a]).is_err());
    }

    /// `Y = X + sum(ConstantOfShape(shape))` with `shape` a stored constant.
    fn constant_of_shape(shape: &[i64]) -> Vec<u8> {
        use tract_onnx::pb::attribute_proto::AttributeType;
        let shape_tensor = pb::TensorProto {
            dims: vec![shape.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: shape.to_vec(),
            ..Default::default()
        };
        let value = pb::AttributeProto {
            name: "value".to_owned(),
            r#type: AttributeType::Tensor as i32,
            t: Some(shape_tensor),
            ..Default::default()
        };
        let nodes = vec![
            node("Constant", "", &[], &["shape"], vec![value]),
            node("ConstantOfShape", "", &["shape"], &["big"], Vec::new()),
            node(
                "ReduceSum",
                "",
                &["big"],
                &["total"],
                vec![test_graphs::int("keepdims", 0)],
            ),
            node("Add", "", &["X", "total"], &["Y"], Vec::new()),
        ];
        test_graphs::model(
            1,
            nodes,
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        )
    }

    #[test]
    fn huge_constants_are_refused_by_name_before_loading() {
        let budget = 256 * 1024 * 1024;
        let error =
            OnnxModel::load_within(&constant_of_shape(&[25_000, 25_000]), budget).unwrap_err();
        assert_eq!(error.error_code(), "MODEL_OVER_BUDGET");
        let message = error.to_string();
        for part in [
            "'ConstantOfShape_big'",
            "25000 × 25000",
            "2.5 GB",
            "256 MiB",
        ] {
            assert!(message.contains(part), "{message}");
        }
        // Past what 64 bits can count.
        let error =
            OnnxModel::load_within(&constant_of_shape(&[1 << 40, 1 << 40]), budget).unwrap_err();
        assert!(
            error.to_string().contains("more than 2^64 bytes"),
            "{error}"
        );
        // A small one loads and runs (the constant is zeros: no value is given).
        let model = OnnxModel::load_within(&constant_of_shape(&[10, 10]), budget).unwrap();
        let names = ["x".to_owned()];
        let features = Features::new(&names, vec![&[1.0, 2.0][..]]).unwrap();
        assert_eq!(
            model.predict(&features).unwrap(),
            Predictions::Values(vec![1.0, 2.0])
        );
    }
}
