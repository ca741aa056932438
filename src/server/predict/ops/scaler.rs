//! ai.onnx.ml `Scaler` (scikit-learn's StandardScaler in a pipeline), which tract 0.23.9 does not
//! have: `Y = (X - offset) * scale`, per feature or one value for all, as f32.
//!
//! Built from tract's own element-wise operators, so tract can optimize it like any other.

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;
use tract_onnx::tract_hir::tract_core;

use super::floats;

#[derive(Debug, Clone)]
struct Scaler {
    /// One value, or one per feature.
    offset: Vec<f32>,
    scale: Vec<f32>,
}

/// Builds the operator from its ONNX node.
pub fn build(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let offset = floats(ctx, node, "offset")?.unwrap_or_else(|| vec![0.0]);
    let scale = floats(ctx, node, "scale")?.unwrap_or_else(|| vec![1.0]);
    ensure!(
        !offset.is_empty() && !scale.is_empty(),
        "Scaler: 'offset' and 'scale' must not be empty"
    );
    Ok((expand(Scaler { offset, scale }), vec![]))
}

impl Expansion for Scaler {
    fn name(&self) -> StaticName {
        "Scaler".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].shape, &inputs[0].shape)?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        let &[mut x] = inputs else {
            bail!("Scaler takes one input, got {}", inputs.len())
        };
        let fact = model.outlet_fact(x)?.clone();
        ensure!(
            fact.rank() >= 1,
            "Scaler needs an input with a feature axis, got {fact:?}"
        );
        if let Ok(width) = fact.shape[fact.rank() - 1].to_usize() {
            for (name, values) in [("offset", &self.offset), ("scale", &self.scale)] {
                ensure!(
                    values.len() == 1 || values.len() == width,
                    "Scaler: '{name}' has {} values for {width} features",
                    values.len()
                );
            }
        }
        if fact.datum_type != f32::datum_type() {
            x = model.wire_node(
                format!("{prefix}.to_f32"),
                tract_core::ops::cast::cast(f32::datum_type()),
                &[x],
            )?[0];
        }
        let offset = model.add_const(
            format!("{prefix}.offset"),
            tensor1(&self.offset).broadcast_into_rank(fact.rank())?,
        )?;
        let scale = model.add_const(
            format!("{prefix}.scale"),
            tensor1(&self.scale).broadcast_into_rank(fact.rank())?,
        )?;
        let x = model.wire_node(
            format!("{prefix}.sub"),
            tract_core::ops::math::sub(),
            &[x, offset],
        )?[0];
        model.wire_node(
            format!("{prefix}.mul"),
            tract_core::ops::math::mul(),
            &[x, scale],
        )
    }
}
