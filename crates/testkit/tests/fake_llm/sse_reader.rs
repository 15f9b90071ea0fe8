//! A deliberately independent client side: a minimal SSE reader and an assembler of OpenAI
//! chat-completion chunks, written from the public format description rather than from the
//! server code, so the tests check the wire format and not the server against itself.

use serde_json::Value;

/// Everything a client saw of one streamed response.
#[derive(Debug, Default)]
pub struct Transcript {
    /// `data` of each complete event, in order (including `[DONE]`).
    pub events: Vec<String>,
    /// Number of comment lines (`: …`).
    pub comments: usize,
    /// Size of each body chunk as the HTTP client delivered it.
    pub chunk_sizes: Vec<usize>,
    /// Bytes after the last complete event (an event cut in the middle).
    pub trailing: String,
    /// The transport error that ended the body, if it did not end cleanly.
    pub error: Option<String>,
}

impl Transcript {
    pub fn saw_done(&self) -> bool {
        self.events.last().is_some_and(|data| data == "[DONE]")
    }

    /// The parsed JSON chunks, without `[DONE]`.
    pub fn chunks(&self) -> Vec<Value> {
        self.events
            .iter()
            .filter(|data| *data != "[DONE]")
            .map(|data| serde_json::from_str(data).expect("every SSE data line is JSON"))
            .collect()
    }

    pub fn total_bytes(&self) -> usize {
        self.chunk_sizes.iter().sum()
    }
}

/// Reads a whole SSE body chunk by chunk, parsing events whatever the chunk boundaries.
pub async fn read_sse(mut response: reqwest::Response) -> Transcript {
    let mut transcript = Transcript::default();
    let mut buffer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                transcript.chunk_sizes.push(chunk.len());
                buffer.extend_from_slice(&chunk);
                parse_complete_events(&mut buffer, &mut transcript);
            }
            Ok(None) => break,
            Err(error) => {
                transcript.error = Some(error.to_string());
                break;
            }
        }
    }
    transcript.trailing = String::from_utf8(buffer).expect("trailing bytes are UTF-8");
    transcript
}

/// Consumes every complete event (terminated by a blank line) from the front of `buffer`.
fn parse_complete_events(buffer: &mut Vec<u8>, transcript: &mut Transcript) {
    while let Some(end) = buffer.windows(2).position(|pair| pair == b"\n\n") {
        let block: Vec<u8> = buffer.drain(..end + 2).collect();
        let block = String::from_utf8(block).expect("a complete event is UTF-8");
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines().map(|line| line.trim_end_matches('\r')) {
            if line.starts_with(':') {
                transcript.comments += 1;
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        if !data.is_empty() {
            transcript.events.push(data.join("\n"));
        }
    }
}

/// One tool call rebuilt from its deltas.
#[derive(Debug, Default, PartialEq)]
pub struct AssembledCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// The assistant message rebuilt from `chat.completion.chunk`s, as a client would.
#[derive(Debug, Default, PartialEq)]
pub struct Assembled {
    pub role: Option<String>,
    pub content: Option<String>,
    pub tool_calls: Vec<AssembledCall>,
    pub finish_reason: Option<String>,
    pub usage: Option<Value>,
}

pub fn assemble(chunks: &[Value]) -> Assembled {
    let mut message = Assembled::default();
    for chunk in chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if let Some(usage) = chunk.get("usage").filter(|usage| !usage.is_null()) {
            message.usage = Some(usage.clone());
        }
        let Some(choice) = chunk["choices"].get(0) else {
            continue;
        };
        let delta = &choice["delta"];
        if let Some(role) = delta["role"].as_str() {
            message.role = Some(role.to_owned());
        }
        if let Some(content) = delta["content"].as_str() {
            message.content.get_or_insert_default().push_str(content);
        }
        for call in delta["tool_calls"].as_array().into_iter().flatten() {
            let index = call["index"]
                .as_u64()
                .expect("tool call deltas carry an index") as usize;
            if message.tool_calls.len() <= index {
                message
                    .tool_calls
                    .resize_with(index + 1, AssembledCall::default);
            }
            let slot = &mut message.tool_calls[index];
            if let Some(id) = call["id"].as_str() {
                slot.id = id.to_owned();
            }
            if let Some(name) = call["function"]["name"].as_str() {
                slot.name = name.to_owned();
            }
            if let Some(arguments) = call["function"]["arguments"].as_str() {
                slot.arguments.push_str(arguments);
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            message.finish_reason = Some(reason.to_owned());
        }
    }
    message
}
