//! Argument helpers shared by the tools.
//!
//! Models send numbers as JSON numbers most of the time and as numeric strings now and then
//! (`"yieldMs": "5000"`); upstream accepts both, so the numeric fields here do too.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

struct LenientNumber;

impl<'de> Visitor<'de> for LenientNumber {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if v.is_finite() {
            Ok(Some(v))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(LenientNumber)
    }
}

/// An optional number that may also arrive as a numeric string; `null` is absent.
pub(crate) fn opt_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(LenientNumber)
}

struct LenientId;

impl<'de> Visitor<'de> for LenientId {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer id")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(LenientId)
    }
}

/// An optional id that models send as a string or as a number (Telegram's chat and message
/// ids are integers); `null` is absent. Upstream reads these with `readStringOrNumberParam`.
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_option(LenientId)
}

/// A non-negative whole count from an optional lenient number (fractions are truncated).
pub(crate) fn count(value: Option<f64>) -> Option<u64> {
    // `as` saturates for floats: negative values become 0, huge ones u64::MAX.
    value.map(|v| v.max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Args {
        #[serde(default, deserialize_with = "super::opt_number")]
        n: Option<f64>,
    }

    fn parse(json: &str) -> Result<Option<f64>, String> {
        serde_json::from_str::<Args>(json)
            .map(|a| a.n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_numbers_numeric_strings_and_null() {
        assert_eq!(parse(r#"{"n": 5}"#), Ok(Some(5.0)));
        assert_eq!(parse(r#"{"n": 2.5}"#), Ok(Some(2.5)));
        assert_eq!(parse(r#"{"n": " 5000 "}"#), Ok(Some(5000.0)));
        assert_eq!(parse(r#"{"n": null}"#), Ok(None));
        assert_eq!(parse(r#"{}"#), Ok(None));
        assert!(parse(r#"{"n": "soon"}"#).unwrap_err().contains("a number"));
        assert!(parse(r#"{"n": true}"#).is_err());
    }

    #[test]
    fn ids_may_be_strings_or_integers() {
        #[derive(Debug, Deserialize)]
        struct Ids {
            #[serde(default, deserialize_with = "super::opt_id")]
            id: Option<String>,
        }
        let parse = |json: &str| {
            serde_json::from_str::<Ids>(json)
                .map(|a| a.id)
                .map_err(|e| e.to_string())
        };
        assert_eq!(parse(r#"{"id": "abc"}"#), Ok(Some("abc".into())));
        assert_eq!(parse(r#"{"id": -100123}"#), Ok(Some("-100123".into())));
        assert_eq!(parse(r#"{"id": 42}"#), Ok(Some("42".into())));
        assert_eq!(parse(r#"{"id": null}"#), Ok(None));
        assert_eq!(parse(r#"{}"#), Ok(None));
        assert!(parse(r#"{"id": 1.5}"#).unwrap_err().contains("integer id"));
        assert!(parse(r#"{"id": true}"#).is_err());
    }

    #[test]
    fn counts_saturate() {
        assert_eq!(super::count(Some(-3.0)), Some(0));
        assert_eq!(super::count(Some(7.9)), Some(7));
        assert_eq!(super::count(None), None);
    }
}
