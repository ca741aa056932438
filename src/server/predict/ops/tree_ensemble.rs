//! The trees of ai.onnx.ml's `TreeEnsembleRegressor` and `TreeEnsembleClassifier`: read from a
//! node's attributes, checked, and evaluated.
//!
//! Model files are untrusted input, so everything is checked once, when the model is loaded:
//! every child and every leaf vote must name a node of the same tree, every vote an existing
//! output, and every tree must really be a tree (no node reachable twice from its root). After
//! that, evaluating a row can neither index out of bounds nor loop forever.
//!
//! tract has its own evaluator (`tract_onnx_opl::ml::tree`), but it reaches a leaf's votes by
//! walking every earlier leaf, which makes a forest quadratic in its size; this one keeps the
//! nodes in a flat `Vec` and a leaf's votes as a range into another.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use tract_onnx::model::ParsingContext;
use tract_onnx::pb::NodeProto;
use tract_onnx::tract_hir::internal::*;

use super::floats;

/// Bytes of features evaluated together, tree after tree (see [`TreeEnsemble::eval_rows`]).
/// The more rows walk a tree while it is in cache the better: a tree of depth 10 has about
/// 2000 nodes, and a few hundred rows would touch most of its deep nodes only once. A block
/// of about 1 MiB still streams from the cache (each tree reads it in row order), and is about
/// 17,000 rows of 15 features.
const BLOCK_BYTES: usize = 1 << 20;

/// Rows walking one tree side by side (see [`TreeEnsemble::leaves`]).
const LANES: usize = 8;

/// A forest: for each row, every tree routes the row to one leaf, and the leaves' votes are
/// aggregated per output (a regression target or a class).
#[derive(Debug)]
pub struct TreeEnsemble {
    /// Index into `nodes` of each tree's root.
    roots: Vec<u32>,
    nodes: Vec<Node>,
    votes: Vec<Vote>,
    n_outputs: usize,
    /// One more than the highest feature index any branch reads.
    n_features: usize,
    aggregate: Aggregate,
    /// The comparison every branch makes, when they all make the same one (scikit-learn's
    /// exports use `BRANCH_LEQ` throughout): a walk specialized for it is about 3× faster than
    /// one deciding any rule (100 trees of depth 10, 10,000 rows).
    common_rule: Option<Rule>,
}

#[derive(Clone, Copy, Debug)]
enum Node {
    Branch(Branch),
    /// The votes of a leaf are `votes[first_vote..end_vote]`.
    Leaf {
        first_vote: u32,
        end_vote: u32,
    },
}

#[derive(Clone, Copy, Debug)]
struct Branch {
    feature: u32,
    threshold: f32,
    /// The rule as the outcomes of comparing `x` with the threshold that make it true (see
    /// [`Rule::outcomes`]), so that a node is decided without branching on its rule.
    outcomes: u8,
    /// The rule is true when none of `outcomes` happens (`BRANCH_NEQ`).
    negate: bool,
    /// Where a missing value (NaN) goes when the rule's comparison alone would send it false.
    missing_goes_true: bool,
    if_true: u32,
    if_false: u32,
}

/// The comparison of a branch node, `BRANCH_*` in the spec; "true" means `x <rule> threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Rule {
    Leq,
    Lt,
    Gte,
    Gt,
    Eq,
    Neq,
}

#[derive(Clone, Copy, Debug)]
struct Vote {
    output: u32,
    weight: f32,
}

/// How the votes of all trees for one output are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
}

impl Aggregate {
    pub fn parse(name: &str) -> TractResult<Aggregate> {
        Ok(match name {
            "SUM" => Aggregate::Sum,
            "AVERAGE" => Aggregate::Average,
            "MIN" => Aggregate::Min,
            "MAX" => Aggregate::Max,
            other => bail!("aggregate_function {other:?} is not supported"),
        })
    }
}

impl Rule {
    fn parse(mode: &str) -> TractResult<Option<Rule>> {
        Ok(Some(match mode {
            "BRANCH_LEQ" => Rule::Leq,
            "BRANCH_LT" => Rule::Lt,
            "BRANCH_GTE" => Rule::Gte,
            "BRANCH_GT" => Rule::Gt,
            "BRANCH_EQ" => Rule::Eq,
            "BRANCH_NEQ" => Rule::Neq,
            "LEAF" => return Ok(None),
            other => bail!("node mode {other:?} is not supported"),
        }))
    }
}

impl Rule {
    /// Bits of the comparisons that make the rule true — 1: `x < t`, 2: `x == t`, 4: `x > t` —
    /// and whether the rule is their negation. A NaN is none of the three, so only
    /// `BRANCH_NEQ` (the negation of "equal") is true for it.
    const fn outcomes(self) -> (u8, bool) {
        match self {
            Rule::Leq => (0b011, false),
            Rule::Lt => (0b001, false),
            Rule::Gte => (0b110, false),
            Rule::Gt => (0b100, false),
            Rule::Eq => (0b010, false),
            Rule::Neq => (0b010, true),
        }
    }
}

impl Branch {
    /// As onnxruntime decides: the comparison, or true for a missing value when the node says
    /// missing values go that way. (A NaN compares false, except for `BRANCH_NEQ`.)
    #[inline]
    fn goes_true(&self, x: f32) -> bool {
        let t = self.threshold;
        let outcome = u8::from(x < t) | (u8::from(x == t) << 1) | (u8::from(x > t) << 2);
        let by_rule = ((outcome & self.outcomes) != 0) ^ self.negate;
        by_rule | (self.missing_goes_true & x.is_nan())
    }
}

impl TreeEnsemble {
    /// Reads the `nodes_*` attributes and the leaf votes, `{votes}_treeids`, `{votes}_nodeids`,
    /// `{votes}_ids` and `{votes}_weights` (`votes` is `target` for regressors, `class` for
    /// classifiers), for `n_outputs` outputs.
    pub fn from_node(
        ctx: &ParsingContext,
        node: &NodeProto,
        votes: &str,
        n_outputs: usize,
        aggregate: Aggregate,
    ) -> TractResult<TreeEnsemble> {
        let tree_ids = node.get_attr_slice::<i64>("nodes_treeids")?;
        let n_nodes = tree_ids.len();
        ensure!(n_nodes > 0, "the ensemble has no nodes");
        ensure!(
            n_nodes < u32::MAX as usize,
            "the ensemble has too many nodes"
        );
        let node_ids = ints_of_len(node, "nodes_nodeids", n_nodes)?;
        let feature_ids = ints_of_len(node, "nodes_featureids", n_nodes)?;
        let true_ids = ints_of_len(node, "nodes_truenodeids", n_nodes)?;
        let false_ids = ints_of_len(node, "nodes_falsenodeids", n_nodes)?;
        let thresholds = floats(ctx, node, "nodes_values")?
            .with_context(|| "attribute 'nodes_values' is missing")?;
        check_len("nodes_values", thresholds.len(), n_nodes)?;
        let missing_true = node
            .get_attr_opt_slice::<i64>("nodes_missing_value_tracks_true")?
            .unwrap_or(&[]);
        if !missing_true.is_empty() {
            check_len(
                "nodes_missing_value_tracks_true",
                missing_true.len(),
                n_nodes,
            )?;
        }
        let modes = node.get_attr_vec::<&str>("nodes_modes")?;
        check_len("nodes_modes", modes.len(), n_nodes)?;

        // Nodes are named by (tree id, node id); children and votes refer to them that way.
        let mut index: HashMap<(i64, i64), u32> = HashMap::with_capacity(n_nodes);
        let mut roots = Vec::new();
        let mut trees_seen = std::collections::HashSet::new();
        for (i, (&tree, &id)) in tree_ids.iter().zip(node_ids).enumerate() {
            match index.entry((tree, id)) {
                Entry::Occupied(_) => bail!("tree {tree} has two nodes with id {id}"),
                Entry::Vacant(slot) => slot.insert(i as u32),
            };
            // As in onnxruntime, a tree's root is its first node in attribute order.
            if trees_seen.insert(tree) {
                roots.push(i as u32);
            }
        }
        let resolve = |tree: i64, from: i64, to: i64, which: &str| -> TractResult<u32> {
            index.get(&(tree, to)).copied().with_context(|| {
                format!("tree {tree}, node {from}: its {which} branch goes to node {to}, which does not exist")
            })
        };

        let mut nodes = Vec::with_capacity(n_nodes);
        let mut n_features = 0usize;
        let mut rules = std::collections::HashSet::new();
        for i in 0..n_nodes {
            let (tree, id) = (tree_ids[i], node_ids[i]);
            let parsed = match Rule::parse(modes[i])? {
                None => Node::Leaf {
                    first_vote: 0,
                    end_vote: 0,
                },
                Some(rule) => {
                    rules.insert(rule);
                    let feature = u32::try_from(feature_ids[i]).ok().with_context(|| {
                        format!(
                            "tree {tree}, node {id}: feature index {} is out of range",
                            feature_ids[i]
                        )
                    })?;
                    n_features = n_features.max(feature as usize + 1);
                    let (outcomes, negate) = rule.outcomes();
                    Node::Branch(Branch {
                        feature,
                        threshold: thresholds[i],
                        outcomes,
                        negate,
                        missing_goes_true: missing_true.get(i).is_some_and(|&m| m != 0),
                        if_true: resolve(tree, id, true_ids[i], "true")?,
                        if_false: resolve(tree, id, false_ids[i], "false")?,
                    })
                }
            };
            nodes.push(parsed);
        }

        let vote_trees = node.get_attr_slice::<i64>(&format!("{votes}_treeids"))?;
        let n_votes = vote_trees.len();
        let vote_nodes = ints_of_len(node, &format!("{votes}_nodeids"), n_votes)?;
        let vote_outputs = ints_of_len(node, &format!("{votes}_ids"), n_votes)?;
        let weights_name = format!("{votes}_weights");
        let weights = floats(ctx, node, &weights_name)?
            .with_context(|| format!("attribute '{weights_name}' is missing"))?;
        check_len(&weights_name, weights.len(), n_votes)?;
        let mut by_leaf: Vec<(u32, Vote)> = Vec::with_capacity(n_votes);
        for k in 0..n_votes {
            let (tree, id) = (vote_trees[k], vote_nodes[k]);
            let leaf = index.get(&(tree, id)).copied().with_context(|| {
                format!("a vote names node {id} of tree {tree}, which does not exist")
            })?;
            ensure!(
                matches!(nodes[leaf as usize], Node::Leaf { .. }),
                "a vote names node {id} of tree {tree}, which is not a leaf"
            );
            let output = usize::try_from(vote_outputs[k])
                .ok()
                .filter(|&o| o < n_outputs)
                .with_context(|| {
                    format!(
                        "a vote of tree {tree}, node {id} is for output {}, but there are {n_outputs}",
                        vote_outputs[k]
                    )
                })?;
            by_leaf.push((
                leaf,
                Vote {
                    output: output as u32,
                    weight: weights[k],
                },
            ));
        }
        // Stable: a leaf's votes keep their order in the file.
        by_leaf.sort_by_key(|(leaf, _)| *leaf);
        let mut all_votes = Vec::with_capacity(n_votes);
        for group in by_leaf.chunk_by(|a, b| a.0 == b.0) {
            let first_vote = all_votes.len() as u32;
            all_votes.extend(group.iter().map(|(_, vote)| *vote));
            nodes[group[0].0 as usize] = Node::Leaf {
                first_vote,
                end_vote: all_votes.len() as u32,
            };
        }

        let ensemble = TreeEnsemble {
            roots,
            nodes,
            votes: all_votes,
            n_outputs,
            n_features,
            aggregate,
            common_rule: match rules.len() {
                1 => rules.into_iter().next(),
                _ => None,
            },
        };
        ensemble.check_trees(tree_ids, node_ids)?;
        Ok(ensemble)
    }

    /// Every tree must be a tree: walking from its root, no node is reached twice. That rules out
    /// cycles, so every walk ends at a leaf after at most as many steps as there are nodes.
    fn check_trees(&self, tree_ids: &[i64], node_ids: &[i64]) -> TractResult<()> {
        let mut reached = vec![false; self.nodes.len()];
        let mut pending = Vec::new();
        for &root in &self.roots {
            pending.push(root);
            while let Some(i) = pending.pop() {
                let i = i as usize;
                if std::mem::replace(&mut reached[i], true) {
                    bail!(
                        "tree {} is not a tree: node {} can be reached twice",
                        tree_ids[i],
                        node_ids[i]
                    );
                }
                if let Node::Branch(b) = self.nodes[i] {
                    pending.push(b.if_true);
                    pending.push(b.if_false);
                }
            }
        }
        Ok(())
    }

    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The outputs that at least one leaf votes for, in order.
    pub fn outputs_voted_for(&self) -> Vec<usize> {
        let mut voted = vec![false; self.n_outputs];
        for vote in &self.votes {
            voted[vote.output as usize] = true;
        }
        (0..self.n_outputs).filter(|&o| voted[o]).collect()
    }

    /// Runs each of the `n_rows` rows of `x` (row-major, `n_columns` per row) through the forest
    /// and hands the row's aggregated scores (one per output) to `finish`, with the row's index.
    ///
    /// Rows go through in blocks of [`BLOCK_BYTES`], tree after tree: one tree's nodes stay in
    /// the CPU cache while a block of rows walks it, where walking each row through every tree
    /// would fetch a large forest from memory again for every row (about 3× slower for 100
    /// trees of depth 10); and [`LANES`] rows walk a tree side by side. Each row still meets
    /// the trees in file order, so its sums are the same to the last bit.
    pub fn eval_rows(
        &self,
        x: &[f32],
        n_rows: usize,
        n_columns: usize,
        finish: impl FnMut(usize, &mut [f64]),
    ) -> TractResult<()> {
        ensure!(
            n_rows.checked_mul(n_columns) == Some(x.len()),
            "{} values do not make {n_rows} rows of {n_columns}",
            x.len()
        );
        ensure!(
            n_columns >= self.n_features,
            "the trees read feature {}, but rows have {n_columns} features",
            self.n_features.saturating_sub(1)
        );
        // Each arm decides exactly as `Branch::goes_true` does for that rule.
        let missing = |b: &Branch, x: f32| b.missing_goes_true & x.is_nan();
        match self.common_rule {
            Some(Rule::Leq) => self.eval_blocks(x, n_rows, n_columns, finish, |b, x| {
                x <= b.threshold || missing(b, x)
            }),
            Some(Rule::Lt) => self.eval_blocks(x, n_rows, n_columns, finish, |b, x| {
                x < b.threshold || missing(b, x)
            }),
            Some(Rule::Gte) => self.eval_blocks(x, n_rows, n_columns, finish, |b, x| {
                x >= b.threshold || missing(b, x)
            }),
            Some(Rule::Gt) => self.eval_blocks(x, n_rows, n_columns, finish, |b, x| {
                x > b.threshold || missing(b, x)
            }),
            _ => self.eval_blocks(x, n_rows, n_columns, finish, Branch::goes_true),
        }
        Ok(())
    }

    /// [`Self::eval_rows`] once checked, with the branch decision given (so that it is compiled
    /// into the walk).
    fn eval_blocks(
        &self,
        x: &[f32],
        n_rows: usize,
        n_columns: usize,
        mut finish: impl FnMut(usize, &mut [f64]),
        goes_true: impl Fn(&Branch, f32) -> bool + Copy,
    ) {
        let n_outputs = self.n_outputs;
        let (start, extremum) = match self.aggregate {
            Aggregate::Sum | Aggregate::Average => (0.0, false),
            // NaN marks "no vote yet"; outputs nobody votes for end at 0, as in onnxruntime.
            Aggregate::Min | Aggregate::Max => (f64::NAN, true),
        };
        let block_rows = (BLOCK_BYTES / (4 * n_columns.max(1))).clamp(LANES, 1 << 16);
        let mut scores = vec![start; block_rows.min(n_rows.max(1)) * n_outputs];
        for first_row in (0..n_rows).step_by(block_rows) {
            let rows = block_rows.min(n_rows - first_row);
            let block = &x[first_row * n_columns..(first_row + rows) * n_columns];
            let scores = &mut scores[..rows * n_outputs];
            scores.fill(start);
            for &root in &self.roots {
                let mut r = 0;
                while r < rows {
                    let lanes = LANES.min(rows - r);
                    let leaves = self.leaves(root, block, n_columns, r, lanes, goes_true);
                    for (lane, &leaf) in leaves[..lanes].iter().enumerate() {
                        let Node::Leaf {
                            first_vote,
                            end_vote,
                        } = self.nodes[leaf]
                        else {
                            continue;
                        };
                        let at = (r + lane) * n_outputs;
                        let row_scores = &mut scores[at..at + n_outputs];
                        for vote in &self.votes[first_vote as usize..end_vote as usize] {
                            let score = &mut row_scores[vote.output as usize];
                            let weight = f64::from(vote.weight);
                            *score = match self.aggregate {
                                Aggregate::Sum | Aggregate::Average => *score + weight,
                                Aggregate::Min if score.is_nan() || weight < *score => weight,
                                Aggregate::Max if score.is_nan() || weight > *score => weight,
                                Aggregate::Min | Aggregate::Max => *score,
                            };
                        }
                    }
                    r += lanes;
                }
            }
            for i in 0..rows {
                let row_scores = &mut scores[i * n_outputs..(i + 1) * n_outputs];
                if self.aggregate == Aggregate::Average {
                    let n_trees = self.roots.len() as f64;
                    row_scores.iter_mut().for_each(|s| *s /= n_trees);
                }
                if extremum {
                    row_scores
                        .iter_mut()
                        .filter(|s| s.is_nan())
                        .for_each(|s| *s = 0.0);
                }
                finish(first_row + i, row_scores);
            }
        }
    }

    /// The leaves (indices into `nodes`) that rows `first..first + lanes` of `block` reach from
    /// `root`. The rows walk the tree side by side, one level per pass: a walk is a chain of
    /// dependent memory reads, and interleaving independent chains lets the CPU overlap them.
    /// `n_columns >= n_features` is checked by the caller; node indices were checked when the
    /// ensemble was built (every walk ends at a leaf).
    #[inline]
    fn leaves(
        &self,
        root: u32,
        block: &[f32],
        n_columns: usize,
        first: usize,
        lanes: usize,
        goes_true: impl Fn(&Branch, f32) -> bool,
    ) -> [usize; LANES] {
        let mut at = [root as usize; LANES];
        loop {
            let mut moved = false;
            for (lane, node) in at[..lanes].iter_mut().enumerate() {
                if let Node::Branch(b) = self.nodes[*node] {
                    let x = block[(first + lane) * n_columns + b.feature as usize];
                    *node = if goes_true(&b, x) {
                        b.if_true
                    } else {
                        b.if_false
                    } as usize;
                    moved = true;
                }
            }
            if !moved {
                return at;
            }
        }
    }
}

fn check_len(name: &str, len: usize, expected: usize) -> TractResult<()> {
    ensure!(
        len == expected,
        "attribute '{name}' has {len} entries where {expected} are expected"
    );
    Ok(())
}

fn ints_of_len<'a>(node: &'a NodeProto, name: &str, expected: usize) -> TractResult<&'a [i64]> {
    let ints = node.get_attr_slice::<i64>(name)?;
    check_len(name, ints.len(), expected)?;
    Ok(ints)
}

/// Hands `input` (any numeric type, `[rows, columns]`) to `f` as f32 rows.
pub fn with_f32_rows<R>(
    input: &Tensor,
    f: impl FnOnce(&[f32], usize, usize) -> TractResult<R>,
) -> TractResult<R> {
    ensure!(
        input.rank() == 2,
        "expected rows of features ([rows, features]), got shape {:?}",
        input.shape()
    );
    let (n_rows, n_columns) = (input.shape()[0], input.shape()[1]);
    let input = input.cast_to::<f32>()?;
    let view = input.to_plain_array_view::<f32>()?;
    let x = view
        .as_slice()
        .context("the input tensor is not laid out row by row")?;
    f(x, n_rows, n_columns)
}

/// The batch dimension of the one input fact, `[rows, features]`, after checking that it has at
/// least the features the trees read (when its width is known).
pub fn batch_of(inputs: &[&TypedFact], trees: &TreeEnsemble) -> TractResult<TDim> {
    let [input] = inputs else {
        bail!("expected one input, got {}", inputs.len())
    };
    ensure!(
        input.rank() == 2,
        "expected rows of features ([rows, features]), got {input:?}"
    );
    if let Ok(width) = input.shape[1].to_usize() {
        ensure!(
            width >= trees.n_features(),
            "the trees read feature {}, but the input has {width} features",
            trees.n_features() - 1
        );
    }
    Ok(input.shape[0].clone())
}

#[cfg(test)]
mod tests {
    use crate::server::predict::test_graphs::{
        self, ML, floats, ints, node, string, stump_model, tensor, tree_regressor,
    };
    use crate::server::predict::{Features, OnnxModel, PredictError, Predictions, Predictor};
    use tract_onnx::pb::tensor_proto::DataType;

    fn predict(bytes: &[u8], column: &[f64]) -> Predictions {
        let model = OnnxModel::load(bytes).unwrap();
        let names = ["x".to_owned()];
        model
            .predict(&Features::new(&names, vec![column]).unwrap())
            .unwrap()
    }

    fn load_error(bytes: &[u8]) -> String {
        let error = OnnxModel::load(bytes).unwrap_err();
        assert!(matches!(error, PredictError::InvalidModel(_)), "{error}");
        error.to_string()
    }

    #[test]
    fn every_branch_mode_compares_as_the_spec_says() {
        let x = [0.2, 0.5, 0.7];
        for (mode, want) in [
            ("BRANCH_LEQ", [1.0, 1.0, 2.0]),
            ("BRANCH_LT", [1.0, 2.0, 2.0]),
            ("BRANCH_GTE", [2.0, 1.0, 1.0]),
            ("BRANCH_GT", [2.0, 2.0, 1.0]),
            ("BRANCH_EQ", [2.0, 1.0, 2.0]),
            ("BRANCH_NEQ", [1.0, 2.0, 1.0]),
        ] {
            let got = predict(&stump_model(mode, 0.5, 1.0, 2.0), &x);
            assert_eq!(got, Predictions::Values(want.to_vec()), "{mode}");
        }
    }

    #[test]
    fn missing_values_follow_the_node() {
        // The stump sends missing values to the true branch (nodes_missing_value_tracks_true).
        let got = predict(&stump_model("BRANCH_GT", 0.5, 1.0, 2.0), &[f64::NAN, 0.0]);
        assert_eq!(got, Predictions::Values(vec![1.0, 2.0]));
        // Without the flag, a comparison with NaN is false.
        let tree = tree_regressor(
            &[
                (0, 0, "BRANCH_GT", 0, 0.5, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0), (0, 2, 2.0)],
            vec![],
        );
        let bytes = test_graphs::model(
            1,
            vec![tree],
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        );
        assert_eq!(predict(&bytes, &[f64::NAN]), Predictions::Values(vec![2.0]));
    }

    #[test]
    fn average_of_trees_plus_base_value() {
        let tree = tree_regressor(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
                (7, 0, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0), (0, 2, 3.0), (7, 0, 5.0)],
            vec![
                string("aggregate_function", "AVERAGE"),
                floats("base_values", &[100.0]),
            ],
        );
        let bytes = test_graphs::model(
            1,
            vec![tree],
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        );
        assert_eq!(
            predict(&bytes, &[0.0, 1.0]),
            Predictions::Values(vec![103.0, 104.0])
        );
    }

    /// ai.onnx.ml opset 3 may give thresholds and weights as tensors of doubles, and a model
    /// may take doubles.
    #[test]
    fn double_inputs_and_tensor_attributes_are_read() {
        let mut tree = tree_regressor(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.0, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 0.0), (0, 2, 0.0)],
            vec![
                test_graphs::doubles_tensor("nodes_values_as_tensor", &[0.5, 0.0, 0.0]),
                test_graphs::doubles_tensor("target_weights_as_tensor", &[1.5, 2.5]),
            ],
        );
        tree.attribute
            .retain(|a| a.name != "nodes_values" && a.name != "target_weights");
        let bytes = test_graphs::model_with_input(
            tensor("X", DataType::Double, &[None, Some(1)]),
            vec![tree],
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        );
        assert_eq!(
            predict(&bytes, &[0.25, 0.75]),
            Predictions::Values(vec![1.5, 2.5])
        );
    }

    fn one_tree(
        nodes: &[(i64, i64, &str, i64, f32, i64, i64)],
        leaves: &[(i64, i64, f32)],
    ) -> Vec<u8> {
        test_graphs::model(
            1,
            vec![tree_regressor(nodes, leaves, vec![])],
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        )
    }

    #[test]
    fn a_child_outside_the_tree_is_an_error() {
        let bytes = one_tree(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 99),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0)],
        );
        let message = load_error(&bytes);
        assert!(
            message
                .contains("tree 0, node 0: its false branch goes to node 99, which does not exist"),
            "{message}"
        );
        // A node of another tree is outside too.
        let bytes = one_tree(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 1),
                (1, 1, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(1, 1, 1.0)],
        );
        assert!(load_error(&bytes).contains("does not exist"));
    }

    #[test]
    fn a_cycle_is_an_error_not_an_endless_loop() {
        let bytes = one_tree(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 2),
                (0, 1, "BRANCH_LEQ", 0, 0.5, 0, 2),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 2, 1.0)],
        );
        let message = load_error(&bytes);
        assert!(message.contains("tree 0 is not a tree"), "{message}");
    }

    #[test]
    fn bad_feature_and_vote_indices_are_errors() {
        let bytes = one_tree(
            &[
                (0, 0, "BRANCH_LEQ", -3, 0.5, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0)],
        );
        assert!(load_error(&bytes).contains("feature index -3 is out of range"));
        // Feature 5 of a model that takes one feature.
        let bytes = one_tree(
            &[
                (0, 0, "BRANCH_LEQ", 5, 0.5, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0)],
        );
        assert!(load_error(&bytes).contains("the trees read feature 5"));
        // A vote on a branch, a vote on a missing node.
        let nodes = [
            (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 2),
            (0, 1, "LEAF", 0, 0.0, 0, 0),
            (0, 2, "LEAF", 0, 0.0, 0, 0),
        ];
        assert!(load_error(&one_tree(&nodes, &[(0, 0, 1.0)])).contains("which is not a leaf"));
        assert!(load_error(&one_tree(&nodes, &[(0, 9, 1.0)])).contains("does not exist"));
    }

    #[test]
    fn attribute_lists_of_different_lengths_are_an_error() {
        let mut tree = tree_regressor(
            &[
                (0, 0, "BRANCH_LEQ", 0, 0.5, 1, 2),
                (0, 1, "LEAF", 0, 0.0, 0, 0),
                (0, 2, "LEAF", 0, 0.0, 0, 0),
            ],
            &[(0, 1, 1.0)],
            vec![],
        );
        let values = tree
            .attribute
            .iter_mut()
            .find(|a| a.name == "nodes_values")
            .unwrap();
        values.floats.pop();
        let bytes = test_graphs::model(
            1,
            vec![tree],
            vec![tensor("Y", DataType::Float, &[None, Some(1)])],
        );
        assert!(load_error(&bytes).contains("'nodes_values' has 2 entries where 3 are expected"));
    }

    /// Three classes, one tree voting for each, softmax: a row of probabilities, labels by name.
    #[test]
    fn multiclass_classifier_gives_a_row_of_probabilities() {
        let classifier = node(
            "TreeEnsembleClassifier",
            ML,
            &["X"],
            &["label", "probabilities"],
            vec![
                test_graphs::strings("classlabels_strings", &["cat", "dog", "eel"]),
                ints("nodes_treeids", &[0, 0, 0]),
                ints("nodes_nodeids", &[0, 1, 2]),
                test_graphs::strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF"]),
                ints("nodes_featureids", &[0, 0, 0]),
                floats("nodes_values", &[0.5, 0.0, 0.0]),
                ints("nodes_truenodeids", &[1, 0, 0]),
                ints("nodes_falsenodeids", &[2, 0, 0]),
                ints("class_treeids", &[0, 0, 0]),
                ints("class_nodeids", &[1, 2, 2]),
                ints("class_ids", &[0, 1, 2]),
                floats("class_weights", &[2.0, 1.0, 1.0]),
                string("post_transform", "SOFTMAX"),
            ],
        );
        let bytes = test_graphs::model(
            1,
            vec![classifier],
            vec![
                tensor("label", DataType::String, &[None]),
                tensor("probabilities", DataType::Float, &[None, Some(3)]),
            ],
        );
        let info = crate::server::predict::inspect(&bytes).unwrap();
        assert_eq!(info.class_labels, vec!["cat", "dog", "eel"]);
        let Predictions::ClassProbabilities {
            n_classes,
            probabilities,
        } = predict(&bytes, &[0.0, 1.0])
        else {
            panic!("expected class probabilities");
        };
        assert_eq!(n_classes, 3);
        let (e, e2) = (1f64.exp(), 2f64.exp());
        let want = [
            e2 / (e2 + 2.0),
            1.0 / (e2 + 2.0),
            1.0 / (e2 + 2.0),
            1.0 / (1.0 + 2.0 * e),
            e / (1.0 + 2.0 * e),
            e / (1.0 + 2.0 * e),
        ];
        for (got, want) in probabilities.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{probabilities:?}");
        }
    }
}
