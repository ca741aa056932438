//! ai.onnx.ml `TreeEnsembleRegressor` (random forests, gradient boosting), which tract 0.23.9
//! does not have: `[rows, features]` → `[rows, n_targets]`, the aggregated leaf values plus
//! `base_values`.

use std::sync::Arc;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::floats;
use super::tree_ensemble::{Aggregate, TreeEnsemble, batch_of, with_f32_rows};

#[derive(Debug)]
struct Regressor {
    trees: TreeEnsemble,
    /// Empty, or one per target.
    base_values: Vec<f32>,
}

/// Builds the operator from its ONNX node.
pub fn build(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let n_targets: usize = node.get_attr_opt("n_targets")?.unwrap_or(1);
    ensure!(n_targets > 0, "n_targets must be at least 1");
    let post_transform: &str = node.get_attr_opt("post_transform")?.unwrap_or("NONE");
    // Regressors exported from scikit-learn, LightGBM and XGBoost use NONE.
    ensure!(
        post_transform == "NONE",
        "post_transform {post_transform:?} is not supported for TreeEnsembleRegressor"
    );
    let aggregate = Aggregate::parse(node.get_attr_opt("aggregate_function")?.unwrap_or("SUM"))?;
    let trees = TreeEnsemble::from_node(ctx, node, "target", n_targets, aggregate)?;
    let base_values = floats(ctx, node, "base_values")?.unwrap_or_default();
    ensure!(
        base_values.is_empty() || base_values.len() == n_targets,
        "{} base values for {n_targets} targets",
        base_values.len()
    );
    let regressor = Arc::new(Regressor { trees, base_values });
    Ok((expand(TreeEnsembleRegressor(regressor)), vec![]))
}

/// The operator while the graph's shapes and types are inferred.
#[derive(Debug, Clone)]
struct TreeEnsembleRegressor(Arc<Regressor>);

impl Expansion for TreeEnsembleRegressor {
    fn name(&self) -> StaticName {
        "TreeEnsembleRegressor".into()
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 1)?;
        s.equals(&inputs[0].rank, 2)?;
        s.equals(&outputs[0].datum_type, DatumType::F32)?;
        s.equals(&outputs[0].rank, 2)?;
        s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
        s.equals(&outputs[0].shape[1], self.0.trees.n_outputs().to_dim())?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, EvalTreeRegressor(self.0.clone()), inputs)
    }
}

/// The operator in the runnable model.
#[derive(Debug, Clone)]
struct EvalTreeRegressor(Arc<Regressor>);

// tract compares operators to merge duplicates; two nodes are the same only if they share trees.
impl PartialEq for EvalTreeRegressor {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for EvalTreeRegressor {}

impl Op for EvalTreeRegressor {
    fn name(&self) -> StaticName {
        "TreeEnsembleRegressor".into()
    }

    op_as_typed_op!();
}

impl EvalOp for EvalTreeRegressor {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let regressor = &self.0;
        let n_targets = regressor.trees.n_outputs();
        with_f32_rows(&input, |x, n_rows, n_columns| {
            let mut y = vec![0f32; n_rows * n_targets];
            regressor
                .trees
                .eval_rows(x, n_rows, n_columns, |row, scores| {
                    let out = &mut y[row * n_targets..(row + 1) * n_targets];
                    for (target, (o, score)) in out.iter_mut().zip(scores.iter()).enumerate() {
                        let base = regressor.base_values.get(target).copied().unwrap_or(0.0);
                        *o = (score + f64::from(base)) as f32;
                    }
                })?;
            Ok(tvec!(
                Tensor::from_shape(&[n_rows, n_targets], &y)?.into_tvalue()
            ))
        })
    }
}

impl TypedOp for EvalTreeRegressor {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let batch = batch_of(inputs, &self.0.trees)?;
        Ok(tvec!(f32::fact(&[
            batch,
            self.0.trees.n_outputs().to_dim()
        ])))
    }

    as_op!();
}
