//! A graph's inputs and outputs as signature fields (name, element type, shape), bounded the
//! way every signature is.

use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{self, ValueInfoProto};

use crate::domain::signature::{Dim, MAX_FIELD_NAME_CHARS, MAX_RANK, SignatureField};

/// A value's tensor type, if it declares one.
pub(super) fn tensor_type(value: &ValueInfoProto) -> Option<&pb::type_proto::Tensor> {
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
pub(super) fn field_spec(value: &ValueInfoProto) -> SignatureField {
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
pub(super) fn declared_width(input: &ValueInfoProto) -> Option<usize> {
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
