//! The one handler behind every path: it finds the token and the method (or the file) in the
//! path, records the call, applies a scripted fault if one matches, and dispatches.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::faults::Fault;
use super::params::{self, Encoding};
use super::record::RecordedCall;
use super::state::Shared;
use super::{methods, polling};

/// A Bot API error answer.
pub(crate) struct ApiError {
    pub code: u16,
    pub description: String,
    pub parameters: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            parameters: None,
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(400, description)
    }

    pub fn other_poller() -> Self {
        Self::new(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot \
             instance is running",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(parameters) = self.parameters {
            body["parameters"] = parameters;
        }
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(body)).into_response()
    }
}

pub(crate) type Answer = Result<Value, ApiError>;

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// Routes `/bot<token>/<method>` and `/file/bot<token>/<path>`.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return download(&shared, rest).await;
    }
    let Some((token, method)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return ApiError::new(404, "Not Found").into_response();
    };
    let authorized = token == shared.token;
    let method = method.to_owned();
    let parsed = params::parse(request).await;
    let (encoding, call_params, files, parse_error) = match parsed {
        Ok(parsed) => (parsed.encoding, parsed.params, parsed.files, None),
        Err(description) => (
            Encoding::None,
            Default::default(),
            Vec::new(),
            Some(description),
        ),
    };
    let mut call = RecordedCall {
        index: 0,
        method,
        authorized,
        encoding,
        params: call_params,
        files,
        fault: None,
    };
    let fault = {
        let mut inner = shared.inner();
        call.index = inner.calls.len();
        let fault = if authorized {
            inner.take_fault(&call)
        } else {
            None
        };
        call.fault = fault.clone();
        inner.calls.push(call.clone());
        fault
    };
    tracing::debug!(index = call.index, method = %call.method, "fake Telegram recorded a call");
    shared.calls_changed.notify_waiters();
    if !authorized {
        return ApiError::new(401, "Unauthorized").into_response();
    }
    if let Some(description) = parse_error {
        return ApiError::bad_request(description).into_response();
    }
    if let Some(fault) = fault
        && let Some(response) = apply_fault(&shared, fault).await
    {
        return response;
    }
    match dispatch(&shared, &call).await {
        Ok(result) => ok(result),
        Err(error) => error.into_response(),
    }
}

/// The response for `fault`, or `None` to answer normally (after a delay).
async fn apply_fault(shared: &Shared, fault: Fault) -> Option<Response> {
    let error = match fault {
        Fault::RateLimited { retry_after } => ApiError {
            parameters: Some(json!({"retry_after": retry_after})),
            ..ApiError::new(429, format!("Too Many Requests: retry after {retry_after}"))
        },
        Fault::Conflict => ApiError::other_poller(),
        Fault::CantParseEntities => ApiError::bad_request(
            "Bad Request: can't parse entities: Unsupported start tag \"fake\" at byte offset 0",
        ),
        Fault::Unauthorized => ApiError::new(401, "Unauthorized"),
        Fault::BlockedByUser => ApiError::new(403, "Forbidden: bot was blocked by the user"),
        Fault::BadRequest(description) => ApiError::bad_request(description),
        Fault::ServerError { status } => ApiError::new(status, "Internal Server Error"),
        Fault::Raw { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            return Some((status, body).into_response());
        }
        Fault::Hang => {
            let mut shutdown = shared.shutdown.subscribe();
            let _ = shutdown.wait_for(|stopped| *stopped).await;
            return Some(
                ApiError::new(502, "Bad Gateway: the fake is shutting down").into_response(),
            );
        }
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            return None;
        }
        // Only file downloads are answered differently; a call is answered normally.
        Fault::Unsized => return None,
    };
    Some(error.into_response())
}

async fn dispatch(shared: &Shared, call: &RecordedCall) -> Answer {
    match call.method.to_ascii_lowercase().as_str() {
        "getme" => Ok(shared.bot.to_json()),
        "getupdates" => polling::get_updates(shared, call).await,
        "setwebhook" => polling::set_webhook(shared, call),
        "deletewebhook" => polling::delete_webhook(shared, call),
        "getwebhookinfo" => polling::get_webhook_info(shared),
        "sendmessage" => methods::send_message(shared, call),
        "editmessagetext" => methods::edit_message_text(shared, call),
        "deletemessage" => methods::delete_message(shared, call),
        "sendchataction" => methods::send_chat_action(shared, call),
        "setmessagereaction" => methods::set_message_reaction(shared, call),
        "answercallbackquery" => methods::answer_callback_query(shared, call),
        "getfile" => methods::get_file(shared, call),
        "sendphoto" => methods::send_media(shared, call, "photo"),
        "senddocument" => methods::send_media(shared, call, "document"),
        _ => Err(ApiError::new(404, "Not Found")),
    }
}

/// `/file/bot<token>/<path>`, recorded as a call of the method `file` with the parameter
/// `file_path`, so faults can be scripted for downloads too.
async fn download(shared: &Shared, rest: &str) -> Response {
    let (token, file_path) = rest.split_once('/').unwrap_or((rest, ""));
    let authorized = token == shared.token;
    let mut call = RecordedCall {
        index: 0,
        method: "file".to_owned(),
        authorized,
        encoding: Encoding::None,
        params: serde_json::Map::from_iter([("file_path".to_owned(), json!(file_path))]),
        files: Vec::new(),
        fault: None,
    };
    let (fault, file) = {
        let mut inner = shared.inner();
        call.index = inner.calls.len();
        let fault = if authorized {
            inner.take_fault(&call)
        } else {
            None
        };
        call.fault = fault.clone();
        inner.calls.push(call);
        let file = inner
            .file_ids_by_path
            .get(file_path)
            .and_then(|file_id| inner.files.get(file_id))
            .map(|file| file.bytes.clone());
        (fault, file)
    };
    shared.calls_changed.notify_waiters();
    if !authorized {
        return ApiError::new(401, "Unauthorized").into_response();
    }
    let unsized_body = fault == Some(Fault::Unsized);
    if let Some(fault) = fault
        && let Some(response) = apply_fault(shared, fault).await
    {
        return response;
    }
    let Some(bytes) = file else {
        return ApiError::new(404, "Not Found").into_response();
    };
    let builder = Response::builder().header(header::CONTENT_TYPE, "application/octet-stream");
    let response = if unsized_body {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = bytes
            .chunks(4096)
            .map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk)))
            .collect();
        builder.body(Body::from_stream(futures_util::stream::iter(chunks)))
    } else {
        builder
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::from(bytes))
    };
    response.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
