//! Reading what a graph holds without running it: its inputs, the output predictions are read
//! from, the operators that output needs, and whether it is a regressor or a classifier (with its
//! class labels).

use std::collections::{BTreeSet, HashMap, HashSet};

use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{GraphProto, ModelProto, NodeProto, ValueInfoProto};

use super::signature::{declared_width, field_spec, tensor_type};
use super::{ModelInfo, Operator, ops};
use crate::domain::signature::{MAX_SIGNATURE_FIELDS, SignatureField};
use crate::server::predict::{PredictError, Task};

pub(super) struct Analysis {
    pub(super) info: ModelInfo,
    pub(super) input_type: Option<DataType>,
}

pub(super) fn analyse(proto: &ModelProto) -> Result<Analysis, PredictError> {
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
