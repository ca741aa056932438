//! Two versions of a model side by side: which fields, metrics, dependencies and files differ,
//! and how their feature impacts compare. Pure, so the comparison page and any future API answer
//! the same.

use super::feature_impact::FeatureImpactItem;
use super::requirements::Dependency;
use super::signature::{Signature, SignatureField};
use super::version::{Metric, Version};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        }
    }
}

/// A field whose value differs, shown as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: String,
    pub a: String,
    pub b: String,
}

/// A metric's value in each version (its last step) and how it moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricDelta {
    pub key: String,
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub delta: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyDiff {
    pub package: String,
    pub change: Change,
    pub a: Option<String>,
    pub b: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDiff {
    pub path: String,
    pub change: Change,
    pub a_size: Option<i64>,
    pub b_size: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionComparison {
    pub a: Version,
    pub b: Version,
    pub fields: Vec<FieldDiff>,
    pub metrics: Vec<MetricDelta>,
    pub dependencies: Vec<DependencyDiff>,
    pub files: Vec<FileDiff>,
    pub unchanged_files: usize,
    /// Inputs and outputs added, removed or changed (type or shape).
    #[serde(default)]
    pub signature: Vec<SignatureDiff>,
}

/// Whether a signature field is one of the model's inputs or outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureSide {
    Input,
    Output,
}

impl SignatureSide {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureSide::Input => "input",
            SignatureSide::Output => "output",
        }
    }
}

/// An input or output that differs between two versions; `a` and `b` are its type and shape
/// as text (`float32 [?, 4]`) where the version has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureDiff {
    pub side: SignatureSide,
    pub name: String,
    pub change: Change,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Fields by name (an unnamed one by its position, `#1`), with their type and shape as text.
fn keyed_fields(fields: &[SignatureField]) -> Vec<(String, String)> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let key = f.name.clone().unwrap_or_else(|| format!("#{}", i + 1));
            let text = if f.optional {
                format!("{} (optional)", f.describe())
            } else {
                f.describe()
            };
            (key, text)
        })
        .collect()
}

/// How B's inputs and outputs differ from A's: fields matched by name (unnamed ones by
/// position); a field whose type, shape or optionality differs is changed. A version without a
/// signature has no fields, so every field of the other is added or removed. Rows follow A's
/// order, then the fields only B has.
pub fn compare_signatures(a: Option<&Signature>, b: Option<&Signature>) -> Vec<SignatureDiff> {
    let mut diffs = Vec::new();
    for side in [SignatureSide::Input, SignatureSide::Output] {
        let fields = |s: Option<&Signature>| {
            s.map(|s| match side {
                SignatureSide::Input => keyed_fields(&s.inputs),
                SignatureSide::Output => keyed_fields(&s.outputs),
            })
            .unwrap_or_default()
        };
        let (fa, fb) = (fields(a), fields(b));
        let find = |fields: &[(String, String)], key: &str| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, t)| t.clone())
        };
        for (key, text) in &fa {
            let change = match find(&fb, key) {
                None => Change::Removed,
                Some(other) if &other != text => Change::Changed,
                Some(_) => continue,
            };
            diffs.push(SignatureDiff {
                side,
                name: key.clone(),
                change,
                a: Some(text.clone()),
                b: find(&fb, key),
            });
        }
        for (key, text) in &fb {
            if find(&fa, key).is_none() {
                diffs.push(SignatureDiff {
                    side,
                    name: key.clone(),
                    change: Change::Added,
                    a: None,
                    b: Some(text.clone()),
                });
            }
        }
    }
    diffs
}

fn last_values(metrics: &[Metric]) -> BTreeMap<String, f64> {
    let mut out: BTreeMap<String, (i64, f64)> = BTreeMap::new();
    for m in metrics {
        let step = m.step.unwrap_or(0);
        match out.get(&m.key) {
            Some((s, _)) if *s > step => {}
            _ => {
                out.insert(m.key.clone(), (step, m.value));
            }
        }
    }
    out.into_iter().map(|(k, (_, v))| (k, v)).collect()
}

/// How a dependency is pinned, as text: `==1.2 (python_version < "3.9")`.
fn describe(d: &Dependency) -> String {
    let mut s = String::new();
    if !d.extras.is_empty() {
        s.push_str(&format!("[{}]", d.extras.join(",")));
    }
    let constraints: Vec<String> = d
        .constraints
        .iter()
        .map(|c| format!("{}{}", c.constraint_type, c.version))
        .collect();
    if constraints.is_empty() {
        s.push_str("any version");
    } else {
        s.push_str(&constraints.join(","));
    }
    if let Some(m) = &d.marker {
        s.push_str(&format!(" ; {m}"));
    }
    s
}

fn field_text(v: &Version) -> Vec<(&'static str, String)> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        ("description", v.description.clone()),
        ("state", v.state.as_str().to_owned()),
        ("active", v.active.to_string()),
        ("tags", v.tags.join(", ")),
        (
            "metadata",
            serde_json::to_string(&v.metadata).unwrap_or_default(),
        ),
        ("framework.library_name", opt(&v.framework.library_name)),
        ("framework.pipeline_tag", opt(&v.framework.pipeline_tag)),
        ("framework.base_model", opt(&v.framework.base_model)),
        (
            "environment.python_version",
            opt(&v.environment.python_version),
        ),
        ("source_uri", v.source_uri.clone()),
        ("run_id", v.run_id.clone()),
        ("git.commit_url", opt(&v.git.commit_url)),
        (
            "git.main_branch_commit_sha",
            opt(&v.git.main_branch_commit_sha),
        ),
        (
            "git.pull_request_commit_sha",
            opt(&v.git.pull_request_commit_sha),
        ),
        ("git.ref_name", opt(&v.git.ref_name)),
    ]
}

pub fn compare_versions(a: Version, b: Version) -> VersionComparison {
    let fields = field_text(&a)
        .into_iter()
        .zip(field_text(&b))
        .filter(|((_, x), (_, y))| x != y)
        .map(|((field, x), (_, y))| FieldDiff {
            field: field.to_owned(),
            a: x,
            b: y,
        })
        .collect();

    let (ma, mb) = (last_values(&a.metrics), last_values(&b.metrics));
    let keys: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
    let metrics = keys
        .into_iter()
        .map(|k| {
            let (x, y) = (ma.get(k).copied(), mb.get(k).copied());
            MetricDelta {
                key: k.clone(),
                a: x,
                b: y,
                delta: x.zip(y).map(|(x, y)| y - x),
            }
        })
        .collect();

    let deps = |v: &Version| -> BTreeMap<String, String> {
        v.dependencies
            .iter()
            .map(|d| (d.normalized_name.clone(), describe(d)))
            .collect()
    };
    let (da, db) = (deps(&a), deps(&b));
    let names: BTreeSet<&String> = da.keys().chain(db.keys()).collect();
    let dependencies = names
        .into_iter()
        .filter_map(|n| {
            let (x, y) = (da.get(n), db.get(n));
            let change = match (x, y) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(x), Some(y)) if x != y => Change::Changed,
                _ => return None,
            };
            Some(DependencyDiff {
                package: n.clone(),
                change,
                a: x.cloned(),
                b: y.cloned(),
            })
        })
        .collect();

    let files_of = |v: &Version| -> BTreeMap<String, (String, i64)> {
        v.files
            .iter()
            .map(|f| (f.path.clone(), (f.sha256.clone(), f.size)))
            .collect()
    };
    let (fa, fb) = (files_of(&a), files_of(&b));
    let paths: BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    let mut unchanged_files = 0;
    let mut files = Vec::new();
    for p in paths {
        let (x, y) = (fa.get(p), fb.get(p));
        let change = match (x, y) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(x), Some(y)) if x.0 != y.0 => Change::Changed,
            _ => {
                unchanged_files += 1;
                continue;
            }
        };
        files.push(FileDiff {
            path: p.clone(),
            change,
            a_size: x.map(|x| x.1),
            b_size: y.map(|y| y.1),
        });
    }

    let signature = compare_signatures(a.signature.as_ref(), b.signature.as_ref());
    VersionComparison {
        a,
        b,
        signature,
        fields,
        metrics,
        dependencies,
        files,
        unchanged_files,
    }
}

/// How many of each version's most important features the "top features changed" summary covers.
pub const TOP_RANKED: usize = 10;

/// One feature's impact in each of two versions; `None` where a version does not have it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureImpactPair {
    pub feature_name: String,
    pub a: Option<FeatureImpactItem>,
    pub b: Option<FeatureImpactItem>,
}

/// Where a feature's rank went from version A to version B (ranks start at 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankChange {
    pub feature_name: String,
    pub a_rank: Option<usize>,
    pub b_rank: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankMovement {
    /// More important in B, by this many places.
    Up(usize),
    /// Less important in B, by this many places.
    Down(usize),
    Same,
    /// Only B has the feature.
    New,
    /// Only A has the feature.
    Gone,
}

impl RankChange {
    pub fn movement(&self) -> RankMovement {
        match (self.a_rank, self.b_rank) {
            (None, _) => RankMovement::New,
            (_, None) => RankMovement::Gone,
            (Some(a), Some(b)) if b < a => RankMovement::Up(a - b),
            (Some(a), Some(b)) if b > a => RankMovement::Down(b - a),
            _ => RankMovement::Same,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureImpactComparison {
    /// Every feature of either version: A's in A's order (most important first), then those only
    /// B has, in B's order.
    pub rows: Vec<FeatureImpactPair>,
    /// The features in either version's top [`TOP_RANKED`]: B's top in B's order, then those that
    /// left it, in A's order.
    pub top_changes: Vec<RankChange>,
}

/// Lines up two versions' feature impacts, each given most important first.
pub fn compare_feature_impacts(
    a: &[FeatureImpactItem],
    b: &[FeatureImpactItem],
) -> FeatureImpactComparison {
    let rank = |items: &[FeatureImpactItem]| -> BTreeMap<String, usize> {
        let mut ranks = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            ranks.entry(item.feature_name.clone()).or_insert(i + 1);
        }
        ranks
    };
    let (a_ranks, b_ranks) = (rank(a), rank(b));
    // A name listed twice counts once, at its first (most important) entry.
    let first = |ranks: &BTreeMap<String, usize>, item: &FeatureImpactItem, i: usize| {
        ranks.get(&item.feature_name) == Some(&(i + 1))
    };
    let mut rows = Vec::with_capacity(a.len().max(b.len()));
    for (i, item) in a.iter().enumerate() {
        if first(&a_ranks, item, i) {
            rows.push(FeatureImpactPair {
                feature_name: item.feature_name.clone(),
                a: Some(item.clone()),
                b: b_ranks
                    .get(&item.feature_name)
                    .and_then(|r| b.get(r - 1))
                    .cloned(),
            });
        }
    }
    for (i, item) in b.iter().enumerate() {
        if first(&b_ranks, item, i) && !a_ranks.contains_key(&item.feature_name) {
            rows.push(FeatureImpactPair {
                feature_name: item.feature_name.clone(),
                a: None,
                b: Some(item.clone()),
            });
        }
    }

    let change = |name: &str| RankChange {
        feature_name: name.to_owned(),
        a_rank: a_ranks.get(name).copied(),
        b_rank: b_ranks.get(name).copied(),
    };
    let mut top_changes: Vec<RankChange> = b
        .iter()
        .take(TOP_RANKED)
        .map(|item| change(&item.feature_name))
        .collect();
    top_changes.extend(
        a.iter()
            .take(TOP_RANKED)
            .filter(|item| {
                b_ranks
                    .get(&item.feature_name)
                    .is_none_or(|r| *r > TOP_RANKED)
            })
            .map(|item| change(&item.feature_name)),
    );
    FeatureImpactComparison { rows, top_changes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::requirements::{DependencySource, parse_pip_packages};
    use crate::domain::signature::{Dim, SignatureKind, SignatureSource};
    use crate::domain::version::{
        Environment, Framework, GitInfo, Registration, UsageSnippet, VersionFile, VersionState,
    };

    fn version(number: &str) -> Version {
        Version {
            id: number.into(),
            model_id: "m".into(),
            model_name: "m".into(),
            version: number.into(),
            fqn: format!("m:{number}"),
            state: VersionState::Published,
            registration: Registration::Ready,
            active: true,
            is_primary: false,
            aliases: vec![],
            description: String::new(),
            metadata: Default::default(),
            tags: vec![],
            metrics: vec![],
            framework: Framework::default(),
            environment: Environment::default(),
            git: GitInfo::default(),
            source_uri: String::new(),
            run_id: String::new(),
            base_version: None,
            training_dataset: None,
            holdout_dataset: None,
            files: vec![],
            file_count: 0,
            total_size: 0,
            dependencies: vec![],
            unparsed_dependencies: vec![],
            usage_snippet: UsageSnippet {
                curl: String::new(),
                python: String::new(),
            },
            created_by: "u".into(),
            created_at: Default::default(),
            updated_at: Default::default(),
            published_at: None,
            signature: None,
            signature_note: None,
            download_count: 0,
            last_download_at: None,
        }
    }

    fn file(path: &str, sha: &str, size: i64) -> VersionFile {
        VersionFile {
            path: path.into(),
            size,
            sha256: sha.into(),
            content_type: "application/octet-stream".into(),
            model_check: None,
        }
    }

    fn metric(key: &str, value: f64, step: Option<i64>) -> Metric {
        Metric {
            key: key.into(),
            value,
            step,
            timestamp: None,
        }
    }

    fn impacts(names: &[&str]) -> Vec<FeatureImpactItem> {
        let n = names.len() as f64;
        names
            .iter()
            .enumerate()
            .map(|(i, name)| FeatureImpactItem {
                feature_name: (*name).to_owned(),
                impact_normalized: (n - i as f64) / n,
                impact_unnormalized: (n - i as f64) / 10.0,
                redundant_with: None,
                parent_feature_name: None,
            })
            .collect()
    }

    #[test]
    fn feature_rows_follow_a_then_the_features_only_b_has() {
        let a = impacts(&["bmi", "age", "bp", "s1"]);
        let b = impacts(&["age", "s5", "bmi", "sex"]);
        let c = compare_feature_impacts(&a, &b);
        let names: Vec<&str> = c.rows.iter().map(|r| r.feature_name.as_str()).collect();
        assert_eq!(names, ["bmi", "age", "bp", "s1", "s5", "sex"]);
        let bmi = &c.rows[0];
        assert_eq!(bmi.a.as_ref().map(|i| i.impact_normalized), Some(1.0));
        assert_eq!(bmi.b.as_ref().map(|i| i.impact_normalized), Some(0.5));
        assert!(c.rows[2].b.is_none(), "bp is only in A");
        assert!(c.rows[4].a.is_none(), "s5 is only in B");
    }

    #[test]
    fn rank_changes_cover_both_top_lists() {
        let a = impacts(&["bmi", "age", "bp", "s1"]);
        let b = impacts(&["age", "s5", "bmi", "sex"]);
        let c = compare_feature_impacts(&a, &b);
        let moves: Vec<(&str, RankMovement)> = c
            .top_changes
            .iter()
            .map(|r| (r.feature_name.as_str(), r.movement()))
            .collect();
        assert_eq!(
            moves,
            [
                ("age", RankMovement::Up(1)),
                ("s5", RankMovement::New),
                ("bmi", RankMovement::Down(2)),
                ("sex", RankMovement::New),
                ("bp", RankMovement::Gone),
                ("s1", RankMovement::Gone),
            ]
        );
        let same = compare_feature_impacts(&a, &a);
        assert!(
            same.top_changes
                .iter()
                .all(|r| r.movement() == RankMovement::Same)
        );
    }

    #[test]
    fn only_the_top_ten_are_summarized_and_one_side_may_be_empty() {
        let names: Vec<String> = (0..15).map(|i| format!("f{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let a = impacts(&refs);
        let mut reversed = refs.clone();
        reversed.reverse();
        let b = impacts(&reversed);
        let c = compare_feature_impacts(&a, &b);
        assert_eq!(c.rows.len(), 15);
        // B's top ten (f14..f05) plus A's top ten that left it (f00..f04).
        assert_eq!(c.top_changes.len(), 15);
        assert_eq!(c.top_changes[0].feature_name, "f14");
        assert_eq!(c.top_changes[0].movement(), RankMovement::Up(14));
        assert_eq!(c.top_changes[10].feature_name, "f00");
        assert_eq!(c.top_changes[10].b_rank, Some(15));

        let only_b = compare_feature_impacts(&[], &impacts(&["x", "y"]));
        assert_eq!(only_b.rows.len(), 2);
        assert!(only_b.rows.iter().all(|r| r.a.is_none()));
        assert!(compare_feature_impacts(&[], &[]).rows.is_empty());
    }

    #[test]
    fn finds_every_kind_of_difference() {
        let mut a = version("0.1.0");
        let mut b = version("0.2.0");
        a.description = "first".into();
        b.description = "second".into();
        a.metrics = vec![
            metric("auc", 0.5, Some(1)),
            metric("auc", 0.8, Some(2)),
            metric("old", 1.0, None),
        ];
        b.metrics = vec![metric("auc", 0.9, None), metric("new", 2.0, None)];
        a.dependencies = parse_pip_packages(&["numpy==1.0".into(), "pandas".into()]).dependencies;
        b.dependencies = parse_pip_packages(&["numpy==2.0".into(), "scipy>=1".into()]).dependencies;
        a.files = vec![
            file("same.txt", "s", 1),
            file("gone.bin", "g", 2),
            file("w.bin", "x", 3),
        ];
        b.files = vec![
            file("same.txt", "s", 1),
            file("new.bin", "n", 4),
            file("w.bin", "y", 5),
        ];

        let c = compare_versions(a, b);
        assert!(
            c.fields
                .iter()
                .any(|f| f.field == "description" && f.a == "first" && f.b == "second")
        );
        let auc = c.metrics.iter().find(|m| m.key == "auc").expect("auc");
        assert_eq!((auc.a, auc.b), (Some(0.8), Some(0.9)));
        assert!((auc.delta.expect("delta") - 0.1).abs() < 1e-9);
        assert_eq!(
            c.metrics.iter().find(|m| m.key == "old").expect("old").b,
            None
        );

        let change = |p: &str| {
            c.dependencies
                .iter()
                .find(|d| d.package == p)
                .map(|d| d.change)
        };
        assert_eq!(change("numpy"), Some(Change::Changed));
        assert_eq!(change("pandas"), Some(Change::Removed));
        assert_eq!(change("scipy"), Some(Change::Added));

        let fchange = |p: &str| c.files.iter().find(|f| f.path == p).map(|f| f.change);
        assert_eq!(fchange("gone.bin"), Some(Change::Removed));
        assert_eq!(fchange("new.bin"), Some(Change::Added));
        assert_eq!(fchange("w.bin"), Some(Change::Changed));
        assert_eq!(fchange("same.txt"), None);
        assert_eq!(c.unchanged_files, 1);
        let _ = DependencySource::PipPackages;
    }

    fn field(name: Option<&str>, r#type: &str, shape: Option<Vec<Dim>>) -> SignatureField {
        SignatureField {
            name: name.map(str::to_owned),
            r#type: r#type.to_owned(),
            shape,
            optional: false,
        }
    }

    fn sig(inputs: Vec<SignatureField>, outputs: Vec<SignatureField>) -> Signature {
        Signature {
            inputs,
            outputs,
            source: SignatureSource::Mlmodel,
            kind: SignatureKind::Columns,
        }
    }

    #[test]
    fn signature_inputs_added_removed_and_changed() {
        let a = sig(
            vec![
                field(Some("age"), "double", None),
                field(Some("bmi"), "double", None),
                field(Some("sex"), "string", None),
            ],
            vec![field(None, "float32", Some(vec![Dim::Unknown]))],
        );
        let mut optional_sex = field(Some("sex"), "string", None);
        optional_sex.optional = true;
        let b = sig(
            vec![
                field(Some("bmi"), "float", None),
                field(Some("age"), "double", None),
                optional_sex,
                field(Some("bp"), "double", None),
            ],
            vec![field(None, "float32", Some(vec![Dim::Unknown]))],
        );
        let diffs = compare_signatures(Some(&a), Some(&b));
        type Row<'a> = (
            SignatureSide,
            &'a str,
            Change,
            Option<&'a str>,
            Option<&'a str>,
        );
        let rows: Vec<Row<'_>> = diffs
            .iter()
            .map(|d| {
                (
                    d.side,
                    d.name.as_str(),
                    d.change,
                    d.a.as_deref(),
                    d.b.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    SignatureSide::Input,
                    "bmi",
                    Change::Changed,
                    Some("double"),
                    Some("float")
                ),
                (
                    SignatureSide::Input,
                    "sex",
                    Change::Changed,
                    Some("string"),
                    Some("string (optional)")
                ),
                (
                    SignatureSide::Input,
                    "bp",
                    Change::Added,
                    None,
                    Some("double")
                ),
            ]
        );
        assert!(compare_signatures(Some(&a), Some(&a)).is_empty());
    }

    #[test]
    fn unnamed_tensors_match_by_position_and_a_missing_signature_has_no_fields() {
        let a = sig(
            vec![field(
                None,
                "float32",
                Some(vec![Dim::Unknown, Dim::Fixed(4)]),
            )],
            vec![],
        );
        let b = sig(
            vec![field(
                None,
                "float32",
                Some(vec![Dim::Unknown, Dim::Fixed(5)]),
            )],
            vec![field(Some("label"), "int64", Some(vec![Dim::Unknown]))],
        );
        let diffs = compare_signatures(Some(&a), Some(&b));
        assert_eq!(diffs.len(), 2);
        assert_eq!(diffs[0].name, "#1");
        assert_eq!(diffs[0].change, Change::Changed);
        assert_eq!(diffs[0].a.as_deref(), Some("float32 [?, 4]"));
        assert_eq!(diffs[0].b.as_deref(), Some("float32 [?, 5]"));
        assert_eq!(
            (diffs[1].side, diffs[1].change),
            (SignatureSide::Output, Change::Added)
        );

        let gone = compare_signatures(Some(&a), None);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].change, Change::Removed);
        assert!(compare_signatures(None, None).is_empty());

        let mut va = version("0.1.0");
        let vb = version("0.2.0");
        va.signature = Some(a);
        assert_eq!(compare_versions(va, vb).signature.len(), 1);
    }
}
