//! Checks on a response's JSON body, so that a fast error page never counts as a success.
//!
//! A check names a JSON Pointer (RFC 6901) and either the length the array there must have or
//! the value it must equal. The body is walked once without building a tree: only the members
//! on the way to a checked pointer are looked at, everything else is skipped, which keeps the
//! load generator cheap next to the server it measures.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pointer: String,
    #[serde(default)]
    len: Option<usize>,
    /// Present (even as `null`) or absent: `Option<Value>` alone would read `null` as absent.
    #[serde(default, deserialize_with = "present")]
    equals: Option<Value>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// Every check of one request, arranged as a tree of pointer segments.
pub struct Expectations {
    root: Node,
}

#[derive(Default)]
struct Node {
    pointer: String,
    leaves: Vec<Leaf>,
    children: Vec<(String, Node)>,
}

enum Leaf {
    Len(usize),
    Equals(Value),
}

impl Expectations {
    pub fn new(checks: &[CheckSpec]) -> Result<Self, String> {
        let mut root = Node::default();
        for check in checks {
            let leaf = match (check.len, &check.equals) {
                (Some(n), None) => Leaf::Len(n),
                (None, Some(v)) => Leaf::Equals(v.clone()),
                _ => {
                    return Err(format!(
                        "check on {:?} needs exactly one of `len` and `equals`",
                        check.pointer
                    ));
                }
            };
            let mut node = &mut root;
            for segment in pointer_segments(&check.pointer)? {
                let at = match node.children.iter().position(|(s, _)| *s == segment) {
                    Some(at) => at,
                    None => {
                        let pointer = format!("{}/{}", node.pointer, check_escape(&segment));
                        node.children.push((
                            segment,
                            Node {
                                pointer,
                                ..Node::default()
                            },
                        ));
                        node.children.len() - 1
                    }
                };
                node = &mut node.children[at].1;
            }
            node.leaves.push(leaf);
        }
        Ok(Self { root })
    }

    /// `Ok` when the body is JSON and every check holds; otherwise what failed.
    pub fn verify(&self, body: &[u8]) -> Result<(), String> {
        if self.root.leaves.is_empty() && self.root.children.is_empty() {
            return Ok(());
        }
        let mut failures = Vec::new();
        let mut de = serde_json::Deserializer::from_slice(body);
        NodeSeed {
            node: &self.root,
            failures: &mut failures,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| format!("body is not valid JSON: {e}"))?;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }
}

fn pointer_segments(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!(
            "pointer {pointer:?} must be empty or start with '/'"
        ));
    };
    Ok(rest
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn check_escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn shown(pointer: &str) -> &str {
    if pointer.is_empty() {
        "the body"
    } else {
        pointer
    }
}

impl Node {
    fn has_equals(&self) -> bool {
        self.leaves.iter().any(|l| matches!(l, Leaf::Equals(_)))
    }

    /// Checks this subtree against an already built value (used where `equals` needs one).
    fn check_value(&self, value: &Value, failures: &mut Vec<String>) {
        for leaf in &self.leaves {
            match leaf {
                Leaf::Len(n) => match value.as_array() {
                    Some(a) if a.len() == *n => {}
                    Some(a) => failures.push(format!(
                        "{} has {} items, expected {n}",
                        shown(&self.pointer),
                        a.len()
                    )),
                    None => failures.push(format!("{} is not an array", shown(&self.pointer))),
                },
                Leaf::Equals(expected) => {
                    if value != expected {
                        let mut got = value.to_string();
                        got.truncate(200);
                        failures.push(format!(
                            "{} is {got}, expected {expected}",
                            shown(&self.pointer)
                        ));
                    }
                }
            }
        }
        for (segment, child) in &self.children {
            let found = match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            match found {
                Some(v) => child.check_value(v, failures),
                None => failures.push(format!("{} is missing", child.pointer)),
            }
        }
    }

    fn fail_not_array(&self, failures: &mut Vec<String>, kind: &str) {
        if self.leaves.iter().any(|l| matches!(l, Leaf::Len(_))) {
            failures.push(format!("{} is {kind}, not an array", shown(&self.pointer)));
        }
    }

    fn fail_missing(&self, seen: &[bool], failures: &mut Vec<String>) {
        for ((_, child), seen) in self.children.iter().zip(seen) {
            if !seen {
                failures.push(format!("{} is missing", child.pointer));
            }
        }
    }
}

struct NodeSeed<'a> {
    node: &'a Node,
    failures: &'a mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.node.has_equals() {
            let value = Value::deserialize(deserializer)?;
            self.node.check_value(&value, self.failures);
            Ok(())
        } else {
            deserializer.deserialize_any(NodeVisitor {
                node: self.node,
                failures: self.failures,
            })
        }
    }
}

struct NodeVisitor<'a> {
    node: &'a Node,
    failures: &'a mut Vec<String>,
}

impl NodeVisitor<'_> {
    fn scalar<E>(self, kind: &str) -> Result<(), E> {
        self.node.fail_not_array(self.failures, kind);
        self.node
            .fail_missing(&vec![false; self.node.children.len()], self.failures);
        Ok(())
    }
}

impl<'de> Visitor<'de> for NodeVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = vec![false; self.node.children.len()];
        while let Some(found) = map.next_key_seed(KeySeed(&self.node.children))? {
            match found {
                Some(at) => {
                    seen[at] = true;
                    map.next_value_seed(NodeSeed {
                        node: &self.node.children[at].1,
                        failures: self.failures,
                    })?;
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.node.fail_not_array(self.failures, "an object");
        self.node.fail_missing(&seen, self.failures);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut seen = vec![false; self.node.children.len()];
        let mut count = 0usize;
        loop {
            let wanted = self
                .node
                .children
                .iter()
                .position(|(s, _)| s.parse::<usize>().ok() == Some(count));
            let more = match wanted {
                Some(at) => {
                    let seed = NodeSeed {
                        node: &self.node.children[at].1,
                        failures: self.failures,
                    };
                    let more = seq.next_element_seed(seed)?.is_some();
                    seen[at] |= more;
                    more
                }
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                break;
            }
            count += 1;
        }
        for leaf in &self.node.leaves {
            if let Leaf::Len(n) = leaf
                && *n != count
            {
                self.failures.push(format!(
                    "{} has {count} items, expected {n}",
                    shown(&self.node.pointer)
                ));
            }
        }
        self.node.fail_missing(&seen, self.failures);
        Ok(())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.scalar("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.scalar("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.scalar("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.scalar("a number")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.scalar("a string")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar("null")
    }
}

/// Answers which child (if any) an object key leads to, without allocating the key.
struct KeySeed<'a>(&'a [(String, Node)]);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.iter().position(|(s, _)| s == key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(checks: &str) -> Expectations {
        let specs: Vec<CheckSpec> = serde_json::from_str(checks).unwrap();
        Expectations::new(&specs).unwrap()
    }

    const LIST: &[u8] =
        br#"{"count": 3, "total_count": 1000, "data": [{"name": "a"}, {"name": "b/c"}, {"x": [1, 2]}], "next": null}"#;

    #[test]
    fn lengths_and_values_hold() {
        let e = expect(
            r#"[{"pointer": "/data", "len": 3}, {"pointer": "/total_count", "equals": 1000},
                {"pointer": "/data/1/name", "equals": "b/c"}, {"pointer": "/data/2/x", "len": 2},
                {"pointer": "/next", "equals": null}]"#,
        );
        assert_eq!(e.verify(LIST), Ok(()));
    }

    #[test]
    fn a_wrong_length_a_wrong_value_and_a_missing_member_fail() {
        let e = expect(
            r#"[{"pointer": "/data", "len": 100}, {"pointer": "/total_count", "equals": 10},
                {"pointer": "/nope", "len": 1}, {"pointer": "/data/7/name", "equals": "z"}]"#,
        );
        let err = e.verify(LIST).unwrap_err();
        assert!(err.contains("/data has 3 items, expected 100"), "{err}");
        assert!(err.contains("/total_count is 1000, expected 10"), "{err}");
        assert!(err.contains("/nope is missing"), "{err}");
        assert!(err.contains("/data/7 is missing"), "{err}");
    }

    #[test]
    fn an_error_body_fails_and_so_does_text() {
        let e = expect(r#"[{"pointer": "/data", "len": 3}]"#);
        let err = e
            .verify(br#"{"error_code": "MODEL_NOT_FOUND", "error_msg": "x"}"#)
            .unwrap_err();
        assert!(err.contains("/data is missing"), "{err}");
        assert!(e.verify(b"Internal Server Error").is_err());
        assert!(
            e.verify(br#"{"data": {"a": 1}}"#)
                .unwrap_err()
                .contains("not an array")
        );
        assert!(e.verify(br#"{"data": []} trailing"#).is_err());
    }

    #[test]
    fn escaped_segments_and_the_root() {
        let e = expect(r#"[{"pointer": "/a~1b", "equals": 1}]"#);
        assert_eq!(e.verify(br#"{"a/b": 1}"#), Ok(()));
        let e = expect(r#"[{"pointer": "", "len": 2}]"#);
        assert_eq!(e.verify(b"[1, 2]"), Ok(()));
        assert!(e.verify(b"[1]").is_err());
        assert!(
            Expectations::new(
                &serde_json::from_str::<Vec<CheckSpec>>(r#"[{"pointer": "x", "len": 1}]"#).unwrap()
            )
            .is_err()
        );
        assert!(
            Expectations::new(
                &serde_json::from_str::<Vec<CheckSpec>>(
                    r#"[{"pointer": "/x", "len": 1, "equals": 1}]"#
                )
                .unwrap()
            )
            .is_err()
        );
    }

    #[test]
    fn no_checks_accept_anything() {
        assert_eq!(expect("[]").verify(b"ok"), Ok(()));
    }
}
