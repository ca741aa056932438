//! The ONNX parser we run models with: tract's, plus the ai.onnx.ml operators it lacks or gets
//! wrong, and without access to files outside the model.

mod scaler;
mod tree_ensemble;
mod tree_ensemble_classifier;
mod tree_ensemble_regressor;

use std::path::Path;
use std::sync::{Arc, LazyLock};

use tract_onnx::Onnx;
use tract_onnx::data_resolver::ModelDataResolver;
use tract_onnx::model::ParsingContext;
use tract_onnx::pb::{NodeProto, TensorProto};
use tract_onnx::tract_hir::internal::*;

/// tract's ONNX parser with our operators registered (by op type: tract ignores the domain).
pub fn runtime() -> &'static Onnx {
    static RUNTIME: LazyLock<Onnx> = LazyLock::new(|| {
        let mut onnx = tract_onnx::onnx();
        onnx.provider = Arc::new(NoExternalData);
        onnx.op_register.insert("Scaler", scaler::build);
        onnx.op_register
            .insert("TreeEnsembleRegressor", tree_ensemble_regressor::build);
        // Replaces tract's own (see the module for why).
        onnx.op_register
            .insert("TreeEnsembleClassifier", tree_ensemble_classifier::build);
        onnx
    });
    &RUNTIME
}

/// Whether the runtime has an operator of this type.
pub fn supports(op_type: &str) -> bool {
    runtime().op_register.0.contains_key(op_type)
}

/// Uploaded models are single files: a tensor stored "externally" would be read from a path
/// on the server, so it is refused.
struct NoExternalData;

impl ModelDataResolver for NoExternalData {
    fn read_bytes_from_path(
        &self,
        _buf: &mut Vec<u8>,
        _path: &Path,
        _offset: usize,
        _length: Option<usize>,
    ) -> TractResult<()> {
        bail!("tensors stored outside the model file (external data) are not supported")
    }
}

/// A list of floats given either as `name` (floats) or, since ai.onnx.ml opset 3, as
/// `name_as_tensor` (a tensor, often of doubles).
fn floats(ctx: &ParsingContext, node: &NodeProto, name: &str) -> TractResult<Option<Vec<f32>>> {
    if let Some(values) = node.get_attr_opt_slice::<f32>(name)? {
        return Ok(Some(values.to_vec()));
    }
    let tensor_name = format!("{name}_as_tensor");
    let Some(proto) = node.get_attr_opt::<&TensorProto>(&tensor_name)? else {
        return Ok(None);
    };
    let tensor = ctx
        .load_tensor(proto)
        .with_context(|| format!("reading attribute '{tensor_name}'"))?;
    let tensor = tensor.cast_to::<f32>()?;
    Ok(Some(
        tensor
            .to_plain_array_view::<f32>()?
            .iter()
            .copied()
            .collect(),
    ))
}
