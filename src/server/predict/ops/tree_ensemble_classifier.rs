//! ai.onnx.ml `TreeEnsembleClassifier`, replacing tract 0.23.9's own: `[rows, features]` →
//! labels `[rows]` and probabilities `[rows, n_classes]`.
//!
//! tract's version rejects scikit-learn's binary gradient boosting export (one base value for two
//! classes), returns the wrong label in the binary layout, and reads `BRANCH_GTE` nodes as leaves.
//!
//! The binary layout: two classes, and every leaf votes for the same class id. The ensemble then
//! yields one score `s` that stands for the second (positive) class; the probabilities are
//! `[1 - p, p]` with `p = s + base` (or its sigmoid with `post_transform = LOGISTIC`). Labels are
//! the class with the highest final probability (the first on a tie), as scikit-learn predicts.
//! The sigmoid and softmax are computed in f64 from the f64 scores, so probabilities near 0 or 1
//! keep their precision (log loss depends on them).

use std::sync::Arc;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::floats;
use super::tree_ensemble::{Aggregate, TreeEnsemble, batch_of, with_f32_rows};

#[derive(Debug)]
enum ClassLabels {
    Ints(Vec<i64>),
    Strings(Vec<String>),
}

impl ClassLabels {
    fn len(&self) -> usize {
        match self {
            ClassLabels::Ints(labels) => labels.len(),
            ClassLabels::Strings(labels) => labels.len(),
        }
    }

    fn datum_type(&self) -> DatumType {
        match self {
            ClassLabels::Ints(_) => DatumType::I64,
            ClassLabels::Strings(_) => DatumType::String,
        }
    }

    /// The labels of the given class indices, as a `[rows]` tensor.
    fn tensor(&self, classes: &[usize]) -> TractResult<Tensor> {
        Ok(match self {
            ClassLabels::Ints(labels) => {
                let picked: Vec<i64> = classes.iter().map(|&c| labels[c]).collect();
                Tensor::from_shape(&[classes.len()], &picked)?
            }
            ClassLabels::Strings(labels) => {
                let picked: Vec<String> = classes.iter().map(|&c| labels[c].clone()).collect();
                Tensor::from(tract_ndarray::Array1::from(picked))
            }
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PostTransform {
    None,
    Logistic,
    Softmax,
    /// Softmax over the non-zero scores; zeros stay zero.
    SoftmaxZero,
}

#[derive(Debug)]
struct Classifier {
    trees: TreeEnsemble,
    labels: ClassLabels,
    /// Empty or one per class; in the binary layout, one or two.
    base_values: Vec<f32>,
    post_transform: PostTransform,
    /// `Some(class id every leaf votes for)` in the binary layout.
    binary_vote: Option<usize>,
}

/// Builds the operator from its ONNX node.
pub fn build(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    let ints = node.get_attr_opt_slice::<i64>("classlabels_int64s")?;
    let strings = node.get_attr_opt_vec::<String>("classlabels_strings")?;
    let labels = match (ints, strings) {
        (Some(ints), None) => ClassLabels::Ints(ints.to_vec()),
        (None, Some(strings)) => ClassLabels::Strings(strings),
        _ => bail!("exactly one of classlabels_int64s and classlabels_strings must be given"),
    };
    let n_classes = labels.len();
    ensure!(n_classes > 0, "the classifier has no class labels");
    let trees = TreeEnsemble::from_node(ctx, node, "class", n_classes, Aggregate::Sum)?;
    let binary_vote = match trees.outputs_voted_for()[..] {
        [only] if n_classes == 2 => Some(only),
        _ => None,
    };
    let base_values = floats(ctx, node, "base_values")?.unwrap_or_default();
    ensure!(
        base_values.is_empty()
            || base_values.len() == n_classes
            || (binary_vote.is_some() && base_values.len() == 1),
        "{} base values for {n_classes} classes",
        base_values.len()
    );
    let post_transform = match node.get_attr_opt("post_transform")?.unwrap_or("NONE") {
        "NONE" => PostTransform::None,
        "LOGISTIC" => PostTransform::Logistic,
        "SOFTMAX" if binary_vote.is_none() => PostTransform::Softmax,
        "SOFTMAX_ZERO" if binary_vote.is_none() => PostTransform::SoftmaxZero,
        other => bail!("post_transform {other:?} is not supported for this classifier"),
    };
    let classifier = Arc::new(Classifier {
        trees,
        labels,
        base_values,
        post_transform,
        binary_vote,
    });
    Ok((expand(TreeEnsembleClassifier(classifier)), vec![]))
}

impl Classifier {
    /// Turns one row's scores into probabilities (written to `probabilities`) and returns the
    /// index of the predicted class.
    fn finish_row(&self, scores: &[f64], probabilities: &mut [f64]) -> usize {
        if let Some(voted) = self.binary_vote {
            // The single score is the positive class's; so is the last base value.
            let base = self.base_values.last().copied().map_or(0.0, f64::from);
            let s = scores[voted] + base;
            let p = match self.post_transform {
                PostTransform::Logistic => sigmoid(s),
                _ => s,
            };
            probabilities[0] = 1.0 - p;
            probabilities[1] = p;
        } else {
            for (c, (p, s)) in probabilities.iter_mut().zip(scores).enumerate() {
                *p = s + self.base_values.get(c).copied().map_or(0.0, f64::from);
            }
            match self.post_transform {
                PostTransform::None => {}
                PostTransform::Logistic => probabilities.iter_mut().for_each(|p| *p = sigmoid(*p)),
                PostTransform::Softmax => softmax(probabilities, false),
                PostTransform::SoftmaxZero => softmax(probabilities, true),
            }
        }
        argmax(probabilities)
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softmax(values: &mut [f64], keep_zeros: bool) {
    let counts = |v: &f64| !keep_zeros || *v != 0.0;
    let max = values
        .iter()
        .filter(|v| counts(v))
        .fold(f64::NEG_INFINITY, |m, v| m.max(*v));
    let mut sum = 0.0;
    for v in values.iter_mut().filter(|v| counts(v)) {
        *v = (*v - max).exp();
        sum += *v;
    }
    if sum > 0.0 {
        values.iter_mut().for_each(|v| *v /= sum);
    }
}

/// The first index of the largest value (NaN never wins).
fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best
}

/// The operator while the graph's shapes and types are inferred.
#[derive(Debug, Clone)]
struct TreeEnsembleClassifier(Arc<Classifier>);

impl Expansion for TreeEnsembleClassifier {
    fn name(&self) -> StaticName {
        "TreeEnsembleClassifier".into()
    }

    fn nboutputs(&self) -> TractResult<usize> {
        Ok(2)
    }

    fn rules<'r, 'p: 'r, 's: 'r>(
        &'s self,
        s: &mut Solver<'r>,
        inputs: &'p [TensorProxy],
        outputs: &'p [TensorProxy],
    ) -> InferenceResult {
        check_input_arity(inputs, 1)?;
        check_output_arity(outputs, 2)?;
        s.equals(&inputs[0].rank, 2)?;
        s.equals(&outputs[0].datum_type, self.0.labels.datum_type())?;
        s.equals(&outputs[0].rank, 1)?;
        s.equals(&outputs[0].shape[0], &inputs[0].shape[0])?;
        s.equals(&outputs[1].datum_type, DatumType::F32)?;
        s.equals(&outputs[1].rank, 2)?;
        s.equals(&outputs[1].shape[0], &inputs[0].shape[0])?;
        s.equals(&outputs[1].shape[1], self.0.labels.len().to_dim())?;
        Ok(())
    }

    fn wire(
        &self,
        prefix: &str,
        model: &mut TypedModel,
        inputs: &[OutletId],
    ) -> TractResult<TVec<OutletId>> {
        model.wire_node(prefix, EvalTreeClassifier(self.0.clone()), inputs)
    }
}

/// The operator in the runnable model.
#[derive(Debug, Clone)]
struct EvalTreeClassifier(Arc<Classifier>);

// tract compares operators to merge duplicates; two nodes are the same only if they share trees.
impl PartialEq for EvalTreeClassifier {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for EvalTreeClassifier {}

impl Op for EvalTreeClassifier {
    fn name(&self) -> StaticName {
        "TreeEnsembleClassifier".into()
    }

    op_as_typed_op!();
}

impl EvalOp for EvalTreeClassifier {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let input = args_1!(inputs);
        let classifier = &self.0;
        let n_classes = classifier.labels.len();
        with_f32_rows(&input, |x, n_rows, n_columns| {
            let mut classes = vec![0usize; n_rows];
            let mut probabilities = vec![0f32; n_rows * n_classes];
            let mut row_probabilities = vec![0f64; n_classes];
            classifier
                .trees
                .eval_rows(x, n_rows, n_columns, |row, scores| {
                    classes[row] = classifier.finish_row(scores, &mut row_probabilities);
                    let out = &mut probabilities[row * n_classes..(row + 1) * n_classes];
                    for (o, p) in out.iter_mut().zip(&row_probabilities) {
                        *o = *p as f32;
                    }
                })?;
            Ok(tvec!(
                classifier.labels.tensor(&classes)?.into_tvalue(),
                Tensor::from_shape(&[n_rows, n_classes], &probabilities)?.into_tvalue(),
            ))
        })
    }
}

impl TypedOp for EvalTreeClassifier {
    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let batch = batch_of(inputs, &self.0.trees)?;
        let n_classes = self.0.labels.len().to_dim();
        Ok(tvec!(
            self.0
                .labels
                .datum_type()
                .fact(std::slice::from_ref(&batch)),
            f32::fact(&[batch, n_classes]),
        ))
    }

    as_op!();
}
