//! Whole numbers in JSON request bodies. JSON Schema's `integer`, and so the OpenAPI document,
//! counts `1326.0` as the integer 1326; the bodies accept it too, and refuse a fraction or a
//! number out of range as a wrong value.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

/// A JSON number with no fractional part, as written or as an integral float.
struct WholeNumber(i128);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeVisitor)
    }
}

struct WholeVisitor;

impl Visitor<'_> for WholeVisitor {
    type Value = WholeNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(i128::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(i128::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<WholeNumber, E> {
        // Beyond ±2^64 no target type can hold it anyway; this bound keeps the cast exact.
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1.8e19 {
            Ok(WholeNumber(v as i128))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

fn convert<T: TryFrom<i128>, E: de::Error>(value: Option<WholeNumber>) -> Result<Option<T>, E> {
    value
        .map(|WholeNumber(n)| {
            T::try_from(n).map_err(|_| {
                E::invalid_value(
                    de::Unexpected::Other(&n.to_string()),
                    &"a whole number in range",
                )
            })
        })
        .transpose()
}

/// For `#[serde(default, deserialize_with = "whole_number::optional_u64")]`.
pub fn optional_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    convert(Option::<WholeNumber>::deserialize(deserializer)?)
}

/// For `#[serde(default, deserialize_with = "whole_number::optional_i64")]`.
pub fn optional_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    convert(Option::<WholeNumber>::deserialize(deserializer)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "optional_u64")]
        rows: Option<u64>,
        #[serde(default, deserialize_with = "optional_i64")]
        days: Option<i64>,
    }

    fn parse(json: &str) -> Result<Body, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn integral_floats_are_whole_numbers() {
        let body = parse(r#"{"rows": 1326.0, "days": -2.0}"#).unwrap();
        assert_eq!((body.rows, body.days), (Some(1326), Some(-2)));
        let body = parse(r#"{"rows": 1326, "days": null}"#).unwrap();
        assert_eq!((body.rows, body.days), (Some(1326), None));
        let body = parse("{}").unwrap();
        assert_eq!((body.rows, body.days), (None, None));
    }

    #[test]
    fn fractions_strings_and_out_of_range_numbers_are_refused() {
        for json in [
            r#"{"rows": 1326.5}"#,
            r#"{"rows": "12"}"#,
            r#"{"rows": -1}"#,
            r#"{"rows": 1e30}"#,
            r#"{"days": 9223372036854775808}"#,
        ] {
            assert!(parse(json).is_err(), "{json}");
        }
    }
}
