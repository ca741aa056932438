//! A version's signature: the inputs its model takes and the outputs it gives (names, element
//! types, shapes), read from an ONNX graph or an MLflow `MLmodel` file. Also the two rules that
//! depend on it: which dataset columns a model needs, and reading MLflow's schema JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most inputs (or outputs) a signature keeps; a schema with more is not read.
pub const MAX_SIGNATURE_FIELDS: usize = 1000;
/// Longest field name kept, in characters.
pub const MAX_FIELD_NAME_CHARS: usize = 256;
/// Longest type text kept, in characters.
pub const MAX_TYPE_CHARS: usize = 64;
/// Most dimensions a shape may have.
pub const MAX_RANK: usize = 32;

/// Where a signature was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignatureSource {
    Onnx,
    Mlmodel,
}

impl SignatureSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureSource::Onnx => "onnx",
            SignatureSource::Mlmodel => "mlmodel",
        }
    }
}

/// Whether the inputs are named columns of a table (MLflow's column-based schema) or tensors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SignatureKind {
    Columns,
    #[default]
    Tensors,
}

/// One dimension of a shape: a fixed size, a named symbolic size (`batch`), or unknown (`null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Dim {
    Fixed(i64),
    Named(String),
    Unknown,
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Named(name) => f.write_str(name),
            Dim::Unknown => f.write_str("?"),
        }
    }
}

/// One input or output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SignatureField {
    /// `None` for an unnamed tensor or column.
    pub name: Option<String>,
    /// The element type: `float32`, `int64`, `string`, … for tensors; MLflow's column types
    /// (`double`, `long`, `string`, `array<string>`, …) for columns.
    #[serde(rename = "type")]
    pub r#type: String,
    /// The shape of a tensor; `None` for a column (one value per row) or an undeclared shape.
    pub shape: Option<Vec<Dim>>,
    /// A column the model can do without (MLflow's `"required": false`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
}

impl SignatureField {
    /// The shape as text, `[?, 4]`, or empty when there is none.
    pub fn shape_text(&self) -> String {
        match &self.shape {
            Some(dims) => format!(
                "[{}]",
                dims.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        }
    }

    /// Type and shape as text: `float32 [?, 4]`, or `double` for a column.
    pub fn describe(&self) -> String {
        match &self.shape {
            Some(_) => format!("{} {}", self.r#type, self.shape_text()),
            None => self.r#type.clone(),
        }
    }

    /// One value per row: a 1-D tensor or `[rows, 1]`.
    fn is_one_column(&self) -> bool {
        matches!(self.shape.as_deref(), Some([_] | [_, Dim::Fixed(1)]))
    }
}

/// A version's inputs and outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Signature {
    pub inputs: Vec<SignatureField>,
    pub outputs: Vec<SignatureField>,
    pub source: SignatureSource,
    #[serde(default)]
    pub kind: SignatureKind,
}

impl Signature {
    /// The dataset columns this model needs, when its input names are column names: a
    /// column-based schema whose columns are all named, or several named tensors each holding
    /// one value per row (1-D or `[rows, 1]`, as converters write one input per column). A
    /// single tensor `[rows, features]` takes the columns by position, so its name says nothing
    /// about the dataset. Optional columns are left out.
    pub fn required_columns(&self) -> Option<Vec<&str>> {
        let named = self.inputs.iter().all(|i| i.name.is_some());
        let meaningful = named
            && match self.kind {
                SignatureKind::Columns => !self.inputs.is_empty(),
                SignatureKind::Tensors => {
                    self.inputs.len() >= 2 && self.inputs.iter().all(SignatureField::is_one_column)
                }
            };
        meaningful.then(|| {
            self.inputs
                .iter()
                .filter(|i| !i.optional)
                .filter_map(|i| i.name.as_deref())
                .collect()
        })
    }

    /// The columns of [`Signature::required_columns`] that `columns` lacks, in signature order.
    pub fn missing_columns<'a>(&'a self, columns: &[&str]) -> Vec<&'a str> {
        self.required_columns()
            .unwrap_or_default()
            .into_iter()
            .filter(|name| !columns.contains(name))
            .collect()
    }
}

fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The type of an MLflow column spec: its `type`, with `array` items and `map` values spelled
/// out (`array<string>`), nested at most a few levels.
fn mlflow_column_type(spec: &Value, depth: usize) -> Result<String, String> {
    let kind = spec
        .get("type")
        .and_then(Value::as_str)
        .ok_or("a field has no \"type\"")?;
    let inner = match kind {
        "array" => spec.get("items"),
        "map" => spec.get("values"),
        _ => None,
    };
    Ok(match inner {
        Some(inner) if depth < 4 => format!("{kind}<{}>", mlflow_column_type(inner, depth + 1)?),
        _ => kind.to_owned(),
    })
}

fn mlflow_shape(shape: &Value) -> Result<Vec<Dim>, String> {
    let dims = shape
        .as_array()
        .ok_or("a tensor's \"shape\" is not a list")?;
    if dims.len() > MAX_RANK {
        return Err(format!("a tensor has more than {MAX_RANK} dimensions"));
    }
    dims.iter()
        .map(|d| match d.as_i64() {
            Some(n) if n >= 0 => Ok(Dim::Fixed(n)),
            // MLflow writes -1 for a variable size.
            Some(_) => Ok(Dim::Unknown),
            None => Err(format!("a tensor's shape holds {d}, not a whole number")),
        })
        .collect()
}

/// Reads one side (`inputs` or `outputs`) of an MLflow signature: the JSON text MLflow stores
/// in `MLmodel`, either columns `[{"name": "x", "type": "double"}]` or tensors
/// `[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]`. The error
/// says, for people, what is wrong with it.
pub fn parse_mlflow_schema(json: &str) -> Result<(Vec<SignatureField>, SignatureKind), String> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| format!("it is not valid JSON ({e})"))?;
    let specs = value.as_array().ok_or("it is not a JSON list of fields")?;
    if specs.len() > MAX_SIGNATURE_FIELDS {
        return Err(format!(
            "it has {} fields; at most {MAX_SIGNATURE_FIELDS} are read",
            specs.len()
        ));
    }
    let mut kind = SignatureKind::Columns;
    let mut fields = Vec::with_capacity(specs.len());
    for spec in specs {
        if !spec.is_object() {
            return Err("a field is not a JSON object".to_owned());
        }
        let name = match spec.get("name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(bounded(name, MAX_FIELD_NAME_CHARS)),
            Some(other) => return Err(format!("a field's name is {other}, not text")),
        };
        let optional = spec.get("required").and_then(Value::as_bool) == Some(false);
        let field = if spec.get("type").and_then(Value::as_str) == Some("tensor") {
            kind = SignatureKind::Tensors;
            let tensor = spec
                .get("tensor-spec")
                .ok_or("a tensor field has no \"tensor-spec\"")?;
            let dtype = tensor
                .get("dtype")
                .and_then(Value::as_str)
                .ok_or("a tensor-spec has no \"dtype\"")?;
            let shape = match tensor.get("shape") {
                None | Some(Value::Null) => None,
                Some(shape) => Some(mlflow_shape(shape)?),
            };
            SignatureField {
                name,
                r#type: bounded(dtype, MAX_TYPE_CHARS),
                shape,
                optional,
            }
        } else {
            SignatureField {
                name,
                r#type: bounded(&mlflow_column_type(spec, 0)?, MAX_TYPE_CHARS),
                shape: None,
                optional,
            }
        };
        fields.push(field);
    }
    Ok((fields, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(name: &str, dims: &[Option<i64>]) -> SignatureField {
        SignatureField {
            name: Some(name.to_owned()),
            r#type: "float32".to_owned(),
            shape: Some(
                dims.iter()
                    .map(|d| d.map_or(Dim::Unknown, Dim::Fixed))
                    .collect(),
            ),
            optional: false,
        }
    }

    fn signature(kind: SignatureKind, inputs: Vec<SignatureField>) -> Signature {
        Signature {
            inputs,
            outputs: vec![],
            source: SignatureSource::Onnx,
            kind,
        }
    }

    #[test]
    fn column_schemas_are_read_with_their_types() {
        let (fields, kind) = parse_mlflow_schema(
            r#"[{"type": "double", "name": "sepal length (cm)", "required": true},
                {"type": "long", "name": "count", "required": false},
                {"type": "array", "items": {"type": "string"}, "name": "tags"}]"#,
        )
        .unwrap_or_default();
        assert_eq!(kind, SignatureKind::Columns);
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[0].name.as_deref(), Some("sepal length (cm)"));
        assert_eq!(fields[0].r#type, "double");
        assert_eq!(fields[0].shape, None);
        assert!(!fields[0].optional);
        assert!(fields[1].optional);
        assert_eq!(fields[2].r#type, "array<string>");
    }

    #[test]
    fn tensor_schemas_keep_variable_dimensions_as_unknown() {
        let (fields, kind) = parse_mlflow_schema(
            r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "x"},
                {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]"#,
        )
        .unwrap_or_default();
        assert_eq!(kind, SignatureKind::Tensors);
        assert_eq!(fields[0].name.as_deref(), Some("x"));
        assert_eq!(fields[0].shape, Some(vec![Dim::Unknown, Dim::Fixed(4)]));
        assert_eq!(fields[0].describe(), "float32 [?, 4]");
        assert_eq!(fields[1].name, None);
        assert_eq!(fields[1].describe(), "int64 [?]");
    }

    #[test]
    fn malformed_schemas_are_explained() {
        let error = |json: &str| parse_mlflow_schema(json).err().unwrap_or_default();
        assert!(error("[{\"type\": ").contains("not valid JSON"));
        assert!(error("{\"type\": \"double\"}").contains("not a JSON list"));
        assert!(error("[{\"name\": \"x\"}]").contains("no \"type\""));
        assert!(error("[{\"type\": \"tensor\"}]").contains("tensor-spec"));
        assert!(
            error(r#"[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": "4"}}]"#)
                .contains("not a list")
        );
        assert!(error("[3]").contains("not a JSON object"));
        let many = format!("[{}]", vec!["{\"type\": \"double\"}"; 1001].join(","));
        assert!(error(&many).contains("at most 1000"));
    }

    #[test]
    fn signatures_round_trip_as_json_with_null_dimensions() {
        let sig = signature(SignatureKind::Tensors, vec![tensor("x", &[None, Some(4)])]);
        let json = serde_json::to_value(&sig).unwrap_or_default();
        assert_eq!(json["inputs"][0]["shape"], serde_json::json!([null, 4]));
        assert_eq!(json["inputs"][0]["type"], "float32");
        assert_eq!(json["source"], "onnx");
        let back: Option<Signature> = serde_json::from_value(json).ok();
        assert_eq!(back, Some(sig));
        let named: Option<Dim> = serde_json::from_str("\"batch\"").ok();
        assert_eq!(named, Some(Dim::Named("batch".to_owned())));
    }

    #[test]
    fn column_names_count_only_where_they_name_dataset_columns() {
        let columns = |mut fields: Vec<SignatureField>| {
            for f in &mut fields {
                f.shape = None;
            }
            signature(SignatureKind::Columns, fields)
        };
        let mut optional = tensor("c", &[]);
        optional.optional = true;
        let table = columns(vec![tensor("a", &[]), tensor("b", &[]), optional]);
        assert_eq!(table.required_columns(), Some(vec!["a", "b"]));
        assert_eq!(table.missing_columns(&["b", "z"]), vec!["a"]);

        // One [rows, features] tensor takes columns by position.
        let matrix = signature(
            SignatureKind::Tensors,
            vec![tensor("float_input", &[None, Some(10)])],
        );
        assert_eq!(matrix.required_columns(), None);
        assert!(matrix.missing_columns(&[]).is_empty());

        // One input per column, as 1-D or [rows, 1] tensors.
        let per_column = signature(
            SignatureKind::Tensors,
            vec![tensor("age", &[None]), tensor("bmi", &[None, Some(1)])],
        );
        assert_eq!(per_column.required_columns(), Some(vec!["age", "bmi"]));
        let wide = signature(
            SignatureKind::Tensors,
            vec![tensor("age", &[None]), tensor("img", &[None, Some(3)])],
        );
        assert_eq!(wide.required_columns(), None);

        let mut unnamed = tensor("x", &[]);
        unnamed.name = None;
        assert_eq!(
            columns(vec![tensor("a", &[]), unnamed]).required_columns(),
            None
        );
    }
}
