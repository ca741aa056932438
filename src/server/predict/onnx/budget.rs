//! The memory a model file would claim before it predicts anything: a graph that builds a
//! constant tensor larger than the budget is refused by name, before anything is allocated.

use std::collections::HashMap;

use tract_onnx::pb::{self, ModelProto, tensor_proto::DataType};

/// The first node that would build a constant tensor larger than `budget` bytes, described
/// for the person who uploaded the model: `ConstantOfShape` and `Expand` whose shape is a
/// stored constant (an initializer or a `Constant` node).
pub(super) fn oversized_constant(proto: &ModelProto, budget: u64) -> Option<String> {
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
