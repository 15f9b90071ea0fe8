//! Reading a Bot API call's parameters the ways the real API accepts them: query string,
//! JSON body, URL-encoded form, multipart form (with file parts).

use axum::extract::{FromRequest as _, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde_json::{Map, Value};

/// The largest body the fake reads (Telegram accepts uploads of up to 50 MB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How a call's parameters were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// No body: parameters, if any, in the query string.
    None,
    /// `application/json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `multipart/form-data`.
    Multipart,
}

/// A file part of a multipart call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form field, e.g. `photo` or `document`.
    pub field: String,
    /// The part's file name.
    pub file_name: Option<String>,
    /// The part's content type.
    pub content_type: Option<String>,
    /// The content.
    pub bytes: Bytes,
}

pub(crate) struct Parsed {
    pub encoding: Encoding,
    pub params: Map<String, Value>,
    pub files: Vec<UploadedFile>,
}

/// Reads the parameters, or says (as Telegram's 400 description would) why it cannot.
pub(crate) async fn parse(request: Request) -> Result<Parsed, String> {
    let mut params = Map::new();
    if let Some(query) = request.uri().query() {
        for (name, value) in form_pairs(query.as_bytes())? {
            params.insert(name, Value::String(value));
        }
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut files = Vec::new();
    let encoding = if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|error| format!("Bad Request: invalid multipart body: {error}"))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|error| format!("Bad Request: invalid multipart body: {error}"))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let part_type = field.content_type().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|error| format!("Bad Request: invalid multipart body: {error}"))?;
            if file_name.is_some() {
                files.push(UploadedFile {
                    field: name,
                    file_name,
                    content_type: part_type,
                    bytes,
                });
            } else {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                params.insert(name, Value::String(text));
            }
        }
        Encoding::Multipart
    } else {
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|error| format!("Bad Request: could not read the body: {error}"))?;
        if body.is_empty() {
            Encoding::None
        } else if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(fields)) => params.extend(fields),
                Ok(_) | Err(_) => return Err("Bad Request: can't parse JSON object".to_owned()),
            }
            Encoding::Json
        } else {
            for (name, value) in form_pairs(&body)? {
                params.insert(name, Value::String(value));
            }
            Encoding::Form
        }
    };
    Ok(Parsed {
        encoding,
        params,
        files,
    })
}

fn form_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
        &format!("/?{}", String::from_utf8_lossy(bytes))
            .parse()
            .map_err(|_| "Bad Request: invalid form parameters".to_owned())?,
    )
    .map(|query| query.0)
    .map_err(|error| format!("Bad Request: invalid form parameters: {error}"))
}

/// The parameter as an integer, whether sent as a JSON number or a form string.
pub(crate) fn int(params: &Map<String, Value>, name: &str) -> Option<i64> {
    int_value(params.get(name)?)
}

/// A JSON number or a numeric string as an integer.
pub(crate) fn int_value(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The parameter as a string (a number is rendered as text, as a form would carry it).
pub(crate) fn string(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The parameter as a boolean (`true`, `"true"`, `"1"`).
pub(crate) fn flag(params: &Map<String, Value>, name: &str) -> bool {
    match params.get(name) {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => text == "true" || text == "1",
        Some(Value::Number(number)) => number.as_i64() == Some(1),
        _ => false,
    }
}

/// The parameter as JSON: an object or array as sent in a JSON body, or JSON-encoded in a
/// form string (how the Bot API reads `reply_parameters` in a form).
pub(crate) fn json(params: &Map<String, Value>, name: &str) -> Option<Value> {
    match params.get(name)? {
        Value::String(text) => serde_json::from_str(text).ok(),
        other => Some(other.clone()),
    }
}
