//! Validates gateway WebSocket frames against upstream's protocol JSON Schema.
//!
//! The schema is `protocol.schema.json` from the pinned `@openclaw/gateway-protocol` npm
//! package, installed by `scripts/conformance-deps.sh` and named by `OPENCLAW_PROTOCOL_SCHEMA`.
//! It is draft-07 and shaped like this:
//!
//! - the root is a `oneOf` of `RequestFrame`, `ResponseFrame` and `EventFrame` (with an OpenAPI
//!   style `discriminator` on `type`, which JSON Schema validators ignore); each frame has
//!   `additionalProperties: false` and an untyped `params`/`payload`;
//! - `definitions` holds about 880 named schemas: the frames, `ConnectParams`, `HelloOk`,
//!   `ErrorShape`, and per-method `<Method>Params`/`<Method>Result` and per-event `<Event>Event`
//!   payloads named by upper-camel-casing the wire name (`chat.send` → `ChatSendParams`,
//!   `chat` → `ChatEvent`);
//! - `methods` lists every method with only its `scope` and `since` version: nothing maps a
//!   method to its schemas except that naming convention.
//!
//! So [`ProtocolSchema::validate_frame`] checks the frame against the root and then the payload
//! it can identify from the frame alone: a request's params by its method, an event's payload by
//! its event name, a `hello-ok` response by its `type`. A response does not name its method;
//! [`ProtocolSchema::validate_response`] checks its payload when the test knows which request it
//! answers. A method or event without a definition is checked at the frame level only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use jsonschema::{Draft, Resource, Validator};
use serde_json::{Value, json};

/// Environment variable naming upstream's `protocol.schema.json`.
pub const ENV_PROTOCOL_SCHEMA: &str = "OPENCLAW_PROTOCOL_SCHEMA";

/// The URI the schema's `$id` declares when it has none, so definitions can be referenced.
const DEFAULT_ID: &str = "https://openclaw.ai/protocol.schema.json";

/// Errors loading the schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// `OPENCLAW_PROTOCOL_SCHEMA` is not set.
    #[error(
        "{ENV_PROTOCOL_SCHEMA} is not set: the official-client conformance harness is not \
         installed. Run `scripts/conformance-deps.sh` and export its env file, as \
         scripts/test.sh does"
    )]
    MissingEnv,
    /// The file could not be read.
    #[error("could not read the protocol schema {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("the protocol schema {} is not JSON", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The schema (or one of its definitions) does not compile.
    #[error("the protocol schema does not compile at {pointer}: {message}")]
    Compile {
        /// The JSON pointer of the schema that failed (`#` for the root).
        pointer: String,
        /// The validator's message.
        message: String,
    },
}

/// Upstream's protocol schema, compiled: the frame schema eagerly, definitions on first use.
#[derive(Debug)]
pub struct ProtocolSchema {
    root: Value,
    id: String,
    frame: Validator,
    definitions: Mutex<HashMap<String, Arc<Validator>>>,
}

impl ProtocolSchema {
    /// Loads the schema named by `OPENCLAW_PROTOCOL_SCHEMA`.
    pub fn from_env() -> Result<Self, SchemaError> {
        let path = std::env::var_os(ENV_PROTOCOL_SCHEMA)
            .filter(|value| !value.is_empty())
            .ok_or(SchemaError::MissingEnv)?;
        Self::load(Path::new(&path))
    }

    /// Loads and compiles the schema at `path`.
    pub fn load(path: &Path) -> Result<Self, SchemaError> {
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_owned(),
            source,
        })?;
        let root: Value = serde_json::from_str(&text).map_err(|source| SchemaError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let id = root
            .get("$id")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_ID)
            .to_owned();
        let frame = jsonschema::options()
            .with_draft(Draft::Draft7)
            .build(&root)
            .map_err(|error| SchemaError::Compile {
                pointer: "#".to_owned(),
                message: error.to_string(),
            })?;
        Ok(Self {
            root,
            id,
            frame,
            definitions: Mutex::new(HashMap::new()),
        })
    }

    /// The method names the schema lists, with their required scope.
    pub fn methods(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.root
            .get("methods")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, entry)| (name.as_str(), entry.get("scope").and_then(Value::as_str)))
    }

    /// Whether the schema has a definition called `name`.
    pub fn has_definition(&self, name: &str) -> bool {
        self.root
            .get("definitions")
            .and_then(|definitions| definitions.get(name))
            .is_some()
    }

    /// Validates one frame: against the frame schema, then its payload against the definition
    /// the frame identifies (see the module docs). Each error names the JSON path of the
    /// offending value, prefixed by the definition checked when it is not the frame itself.
    pub fn validate_frame(&self, frame: &Value) -> Result<(), Vec<String>> {
        // The root's `oneOf` would report a bad frame as "not valid under any of the schemas"
        // with the whole frame quoted; checking the variant its `type` selects (what the
        // schema's discriminator says) names the offending path instead.
        let variant = match frame.get("type").and_then(Value::as_str) {
            Some("req") => Some("RequestFrame"),
            Some("res") => Some("ResponseFrame"),
            Some("event") => Some("EventFrame"),
            _ => None,
        };
        let mut errors: Vec<String> = match variant {
            Some(variant) if self.has_definition(variant) => self.errors_at(variant, frame, ""),
            _ => self
                .frame
                .iter_errors(frame)
                .map(|error| {
                    format!(
                        "{}: {error}",
                        path_or_root(&error.instance_path.to_string())
                    )
                })
                .collect(),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let (payload_key, definition) = match frame.get("type").and_then(Value::as_str) {
            Some("req") => (
                "params",
                frame
                    .get("method")
                    .and_then(Value::as_str)
                    .map(|method| format!("{}Params", upper_camel(method))),
            ),
            Some("event") => (
                "payload",
                frame
                    .get("event")
                    .and_then(Value::as_str)
                    .map(|event| format!("{}Event", upper_camel(event))),
            ),
            Some("res") => (
                "payload",
                frame
                    .pointer("/payload/type")
                    .and_then(Value::as_str)
                    .filter(|kind| *kind == "hello-ok")
                    .map(|_| "HelloOk".to_owned()),
            ),
            _ => ("payload", None),
        };
        if let (Some(definition), Some(payload)) = (definition, frame.get(payload_key))
            && self.has_definition(&definition)
        {
            errors.extend(self.errors_at(&definition, payload, payload_key));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates a `res` frame answering a request for `method`: the frame itself, then a
    /// successful payload against `<Method>Result` when the schema defines it.
    pub fn validate_response(&self, method: &str, frame: &Value) -> Result<(), Vec<String>> {
        self.validate_frame(frame)?;
        let definition = format!("{}Result", upper_camel(method));
        let ok = frame.get("ok").and_then(Value::as_bool) == Some(true);
        let errors = match frame.get("payload") {
            Some(payload) if ok && self.has_definition(&definition) => {
                self.errors_at(&definition, payload, "payload")
            }
            _ => Vec::new(),
        };
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates `value` against the definition called `name` (e.g. `HelloOk`).
    pub fn validate_definition(&self, name: &str, value: &Value) -> Result<(), Vec<String>> {
        let errors = self.errors_at(name, value, "");
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The errors of `value` against definition `name`, paths prefixed with `prefix`.
    fn errors_at(&self, name: &str, value: &Value, prefix: &str) -> Vec<String> {
        let validator = match self.definition(name) {
            Ok(validator) => validator,
            Err(error) => return vec![error.to_string()],
        };
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("/{prefix}")
        };
        validator
            .iter_errors(value)
            .map(|error| {
                let path = format!("{prefix}{}", error.instance_path);
                format!("{} ({name}): {error}", path_or_root(&path))
            })
            .collect()
    }

    /// The compiled validator of definition `name`, compiled on first use. Definitions refer to
    /// each other through the root document, so each is compiled as a `$ref` into it.
    fn definition(&self, name: &str) -> Result<Arc<Validator>, SchemaError> {
        let mut cache = self
            .definitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(validator) = cache.get(name) {
            return Ok(Arc::clone(validator));
        }
        let compile_error = |message: String| SchemaError::Compile {
            pointer: format!("#/definitions/{name}"),
            message,
        };
        let resource = Resource::from_contents(self.root.clone())
            .map_err(|error| compile_error(error.to_string()))?;
        let wrapper = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$ref": format!("{}#/definitions/{name}", self.id),
        });
        let validator = jsonschema::options()
            .with_draft(Draft::Draft7)
            .with_resource(self.id.clone(), resource)
            .build(&wrapper)
            .map_err(|error| compile_error(error.to_string()))?;
        let validator = Arc::new(validator);
        cache.insert(name.to_owned(), Arc::clone(&validator));
        Ok(validator)
    }
}

/// `chat.send` → `ChatSend`, `system-presence` → `SystemPresence`, `sessions.list` →
/// `SessionsList`: the convention by which the schema names a method's or event's payload.
pub fn upper_camel(wire_name: &str) -> String {
    wire_name
        .split(['.', '-', '_', ':'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

/// An empty JSON pointer (the value itself) shown as `/`, so every message starts with a path.
fn path_or_root(path: &str) -> &str {
    if path.is_empty() { "/" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_map_to_definition_stems() {
        assert_eq!(upper_camel("chat.send"), "ChatSend");
        assert_eq!(upper_camel("system-presence"), "SystemPresence");
        assert_eq!(
            upper_camel("exec.approval.waitDecision"),
            "ExecApprovalWaitDecision"
        );
        assert_eq!(upper_camel("tick"), "Tick");
    }
}
