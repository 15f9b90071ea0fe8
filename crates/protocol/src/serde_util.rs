//! Serde helpers for matching JavaScript's JSON.
//!
//! OpenClaw is JavaScript: its numbers have no integer/float distinction and `JSON.stringify(0)` is
//! `0`, never `0.0`. Fields that hold fractional values (costs) are `f64` here, and written through
//! [`js_number`] so whole values come out as integers again; otherwise an imported
//! `"estimatedCostUsd": 0` would be re-exported as `0.0`, a different JSON value to strict
//! comparers. Opaque payloads that may legitimately be `null` use [`present`] so an explicit `null`
//! survives a round trip instead of collapsing into "absent".

use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// Largest magnitude below which every integer is exactly representable in an `f64` (2^53).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Serializes an `f64` as JavaScript would: whole numbers without a fractional part.
pub(crate) fn js_number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    let value = *value;
    if value.is_finite() && value.fract() == 0.0 && value.abs() < MAX_SAFE_INTEGER {
        // Exact: the value is whole and within the range where i64 holds it without loss.
        serializer.serialize_i64(value as i64)
    } else {
        serializer.serialize_f64(value)
    }
}

/// [`js_number`] for optional fields (used with `skip_serializing_if = "Option::is_none"`).
pub(crate) fn js_number_opt<S: Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => js_number(value, serializer),
        None => serializer.serialize_none(),
    }
}

/// Deserializes a present field as `Some`, even when its value is `null`.
///
/// Use with `#[serde(default, deserialize_with = "present")]`: a missing key stays `None`.
pub(crate) fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}
