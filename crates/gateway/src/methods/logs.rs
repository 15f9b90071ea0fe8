//! `logs.tail`: pages through the gateway's log file.

use serde_json::Value;

use super::{Call, Reply, unhandled};

/// Methods of this module and the scope each needs.
pub(super) const METHODS: &[(&str, &str)] = &[];

pub(super) async fn call(_call: &Call<'_>, method: &str, _params: &Value) -> Reply {
    unhandled(method)
}
