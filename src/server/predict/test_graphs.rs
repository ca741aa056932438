//! Small ONNX graphs written out in tests: a model file is a protobuf `ModelProto`, built here
//! from tract's generated protobuf types.

use prost::Message;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{Dimension, dimension};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto, type_proto,
};

pub const ML: &str = "ai.onnx.ml";

pub fn ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Ints as i32,
        ints: values.to_vec(),
        ..Default::default()
    }
}

pub fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Int as i32,
        i: value,
        ..Default::default()
    }
}

pub fn floats(name: &str, values: &[f32]) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Floats as i32,
        floats: values.to_vec(),
        ..Default::default()
    }
}

/// A list of doubles given as a tensor attribute (`nodes_values_as_tensor`, …).
pub fn doubles_tensor(name: &str, values: &[f64]) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Tensor as i32,
        t: Some(TensorProto {
            dims: vec![values.len() as i64],
            data_type: DataType::Double as i32,
            double_data: values.to_vec(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn string(name: &str, value: &str) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::String as i32,
        s: value.as_bytes().to_vec(),
        ..Default::default()
    }
}

pub fn strings(name: &str, values: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.to_owned(),
        r#type: AttributeType::Strings as i32,
        strings: values.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..Default::default()
    }
}

pub fn node(
    op_type: &str,
    domain: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op_type.to_owned(),
        domain: domain.to_owned(),
        name: format!("{op_type}_{}", outputs.first().copied().unwrap_or("")),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute,
        ..Default::default()
    }
}

/// A tensor value: `dims` of `None` are symbolic (any number of rows).
pub fn tensor(name: &str, elem_type: DataType, dims: &[Option<i64>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n),
                None => dimension::Value::DimParam("N".to_owned()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.to_owned(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem_type as i32,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A value of a type tract's protobuf types cannot express (e.g. ZipMap's sequence of maps).
pub fn untyped(name: &str) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_owned(),
        ..Default::default()
    }
}

/// A model with one float input `X` of shape `[N, n_features]`.
pub fn model(n_features: i64, nodes: Vec<NodeProto>, outputs: Vec<ValueInfoProto>) -> Vec<u8> {
    let input = tensor("X", DataType::Float, &[None, Some(n_features)]);
    model_with_input(input, nodes, outputs)
}

pub fn model_with_input(
    input: ValueInfoProto,
    nodes: Vec<NodeProto>,
    outputs: Vec<ValueInfoProto>,
) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: 17,
            },
            OperatorSetIdProto {
                domain: ML.to_owned(),
                version: 1,
            },
        ],
        graph: Some(GraphProto {
            name: "test".to_owned(),
            node: nodes,
            input: vec![input],
            output: outputs,
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A `TreeEnsembleRegressor` node over `X`, output `Y`; `nodes` are
/// `(tree, node, mode, feature, threshold, true node, false node)` and `leaves`
/// `(tree, node, weight)`.
pub fn tree_regressor(
    nodes: &[(i64, i64, &str, i64, f32, i64, i64)],
    leaves: &[(i64, i64, f32)],
    extra: Vec<AttributeProto>,
) -> NodeProto {
    let mut attributes = vec![
        int("n_targets", 1),
        ints(
            "nodes_treeids",
            &nodes.iter().map(|n| n.0).collect::<Vec<_>>(),
        ),
        ints(
            "nodes_nodeids",
            &nodes.iter().map(|n| n.1).collect::<Vec<_>>(),
        ),
        strings(
            "nodes_modes",
            &nodes.iter().map(|n| n.2).collect::<Vec<_>>(),
        ),
        ints(
            "nodes_featureids",
            &nodes.iter().map(|n| n.3).collect::<Vec<_>>(),
        ),
        floats(
            "nodes_values",
            &nodes.iter().map(|n| n.4).collect::<Vec<_>>(),
        ),
        ints(
            "nodes_truenodeids",
            &nodes.iter().map(|n| n.5).collect::<Vec<_>>(),
        ),
        ints(
            "nodes_falsenodeids",
            &nodes.iter().map(|n| n.6).collect::<Vec<_>>(),
        ),
        ints(
            "target_treeids",
            &leaves.iter().map(|l| l.0).collect::<Vec<_>>(),
        ),
        ints(
            "target_nodeids",
            &leaves.iter().map(|l| l.1).collect::<Vec<_>>(),
        ),
        ints("target_ids", &vec![0; leaves.len()]),
        floats(
            "target_weights",
            &leaves.iter().map(|l| l.2).collect::<Vec<_>>(),
        ),
    ];
    attributes.extend(extra);
    node("TreeEnsembleRegressor", ML, &["X"], &["Y"], attributes)
}

/// A one-tree regressor model: `X[feature] <mode> threshold` → `if_true`, else `if_false`.
pub fn stump_model(mode: &str, threshold: f32, if_true: f32, if_false: f32) -> Vec<u8> {
    let tree = tree_regressor(
        &[
            (0, 0, mode, 0, threshold, 1, 2),
            (0, 1, "LEAF", 0, 0.0, 0, 0),
            (0, 2, "LEAF", 0, 0.0, 0, 0),
        ],
        &[(0, 1, if_true), (0, 2, if_false)],
        vec![ints("nodes_missing_value_tracks_true", &[1, 0, 0])],
    );
    model(
        1,
        vec![tree],
        vec![tensor("Y", DataType::Float, &[None, Some(1)])],
    )
}
