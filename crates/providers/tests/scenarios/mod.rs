#![cfg(test)]
//! Scenarios every wire format must pass against the fake LLM server over loopback. The server
//! renders the same scripted turns in each format; what differs between them (base URL, how
//! the key travels, what a rate-limit body says, whether calls carry ids) is looked up per
//! format here, and the per-format modules add what only their format has.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pretty_assertions::assert_eq;
use rustyclaw_protocol::transcript::{
    AgentMessage, AssistantMessage, ContentBlock, MessageContent, StopReason, ToolResultMessage,
    UserMessage,
};
use rustyclaw_providers::{
    Client, ClientOptions, Collected, Credential, FailureClass, Modality, ModelRequest, ModelSpec,
    Pricing, ProviderError, StreamEvent, Target, ToolSpec, WireFormat, collect,
};
use rustyclaw_testkit::fake_llm::{FakeLlm, RecordedRequest, ToolCall, Turn, Usage};
use serde_json::{Value, json};

pub(crate) const PROVIDER: &str = "fake";
pub(crate) const MODEL: &str = "fake-model";
const KEY: &str = "fake-key";

/// A model of `api` served by `fake`, priced so usage has a visible cost.
pub(crate) fn target(fake: &FakeLlm, api: WireFormat) -> Target {
    let base_url = match api {
        WireFormat::GoogleGenerativeAi => format!("{}/v1beta", fake.origin()),
        WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => fake.base_url(),
        WireFormat::AnthropicMessages | WireFormat::Ollama => fake.origin(),
    };
    Target {
        model: ModelSpec {
            provider: PROVIDER.into(),
            id: MODEL.into(),
            name: "Fake model".into(),
            api,
            base_url,
            reasoning: false,
            input: vec![Modality::Text],
            context_window: 32_000,
            max_tokens: 1024,
            cost: Pricing {
                input: 1.0,
                output: 2.0,
                cache_read: 0.5,
                cache_write: 0.0,
            },
            headers: [("x-test-run".to_owned(), api.as_str().to_owned())].into(),
        },
        credential: Credential {
            profile_id: "fake:default".into(),
            key: Some(KEY.to_owned().into()),
            auth: api.default_auth(),
        },
    }
}

/// A client whose idle timeout would fail a hung test in seconds, not minutes.
pub(crate) fn client() -> Client {
    Client::new(ClientOptions {
        connect_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
    })
    .unwrap()
}

pub(crate) fn user(text: &str) -> AgentMessage {
    AgentMessage::User(UserMessage::new(MessageContent::Text(text.into()), 1))
}

/// An agent-shaped request: the system prompt, `messages` and one tool.
pub(crate) fn request(messages: Vec<AgentMessage>) -> ModelRequest {
    let mut request = ModelRequest::new("You are a test assistant.", messages);
    request.tools = vec![ToolSpec {
        name: "read".into(),
        description: "Read a file.".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    }];
    request
}

/// One call, collected; stream errors included.
pub(crate) async fn call(
    target: &Target,
    request: &ModelRequest,
) -> (AssistantMessage, Option<ProviderError>) {
    let stream = client().stream(target, request).await.unwrap();
    collect(stream, &target.model, 7).await
}

/// A result for every tool call of `reply`, saying `"<name> result"`.
pub(crate) fn results(reply: &AssistantMessage) -> Vec<AgentMessage> {
    reply
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolCall(call) => Some(AgentMessage::ToolResult(ToolResultMessage::new(
                call.id.clone(),
                call.name.clone(),
                vec![ContentBlock::text(format!("{} result", call.name))],
                false,
                8,
            ))),
            _ => None,
        })
        .collect()
}

/// The same target as a reasoning model.
pub(crate) fn reasoning(mut target: Target) -> Target {
    target.model.reasoning = true;
    target
}

/// Every event of one call, and the error that ended it if any.
async fn events(
    target: &Target,
    request: &ModelRequest,
) -> (Vec<StreamEvent>, Option<ProviderError>) {
    let mut stream = client().stream(target, request).await.unwrap();
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => return (events, Some(error)),
        }
    }
    (events, None)
}

/// The content as JSON without text signatures, which only the responses format sets.
fn content(message: &AssistantMessage) -> Value {
    let mut content = serde_json::to_value(&message.content).unwrap();
    for block in content.as_array_mut().unwrap() {
        block.as_object_mut().unwrap().remove("textSignature");
    }
    content
}

/// The header the key travels in, with its value.
fn auth_header(api: WireFormat) -> (&'static str, String) {
    match api {
        WireFormat::AnthropicMessages => ("x-api-key", KEY.to_owned()),
        WireFormat::GoogleGenerativeAi => ("x-goog-api-key", KEY.to_owned()),
        WireFormat::Ollama | WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => {
            ("authorization", format!("Bearer {KEY}"))
        }
    }
}

/// A text reply arrives whole, with usage, cost, response id and the request's credentials.
pub(crate) async fn plain_reply(api: WireFormat) -> RecordedRequest {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("Hello there!").with_usage(Usage::new(1_000, 30).with_cached_tokens(400)));
    let target = target(&fake, api);

    let (reply, error) = call(&target, &request(vec![user("hi")])).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        content(&reply),
        json!([{"type": "text", "text": "Hello there!"}])
    );
    assert_eq!(reply.stop_reason, StopReason::Stop);
    assert_eq!(reply.api, api.as_str());
    assert_eq!(
        (reply.provider.as_str(), reply.model.as_str()),
        (PROVIDER, MODEL)
    );
    let usage = (
        reply.usage.input,
        reply.usage.cache_read,
        reply.usage.output,
    );
    if api == WireFormat::Ollama {
        // Ollama reports no cache and no response id.
        assert_eq!(usage, (1_000, 0, 30));
        assert_eq!(reply.response_id, None);
    } else {
        assert_eq!(usage, (600, 400, 30));
        assert!(reply.response_id.is_some());
        // 600 × $1 + 400 × $0.5 + 30 × $2 per million tokens.
        assert!(
            (reply.usage.cost.total - 0.000_86).abs() < 1e-12,
            "{:?}",
            reply.usage.cost
        );
    }
    assert_eq!(reply.usage.total_tokens, 1_030);

    fake.assert_no_violations().unwrap();
    let recorded = fake.requests().remove(0);
    assert_eq!(recorded.method, "POST");
    let (name, value) = auth_header(api);
    assert_eq!(recorded.header(name), Some(value.as_str()));
    assert_eq!(recorded.header("x-test-run"), Some(api.as_str()));
    assert_eq!(recorded.tool_names(), ["read"]);
    if matches!(
        api,
        WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses
    ) {
        assert!(recorded.is_stream());
        assert_eq!(recorded.model(), Some(MODEL));
    }
    recorded
}

/// A reply in many deltas, split every few bytes and padded with keep-alives where the format
/// has them, decodes into the same deltas.
pub(crate) async fn many_small_pieces(api: WireFormat) {
    let fake = FakeLlm::start().await.unwrap();
    let deltas: Vec<String> = (0..40).map(|i| format!("w{i}é ")).collect();
    fake.push(
        Turn::text_deltas(deltas.clone())
            .split_every(3)
            .keep_alive(),
    );
    let target = target(&fake, api);

    let (events, error) = events(&target, &request(vec![user("count")])).await;
    assert!(error.is_none(), "{error:?}");
    let texts: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            StreamEvent::TextDelta(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, deltas);
    assert_eq!(events.last(), Some(&StreamEvent::Stop(StopReason::Stop)));
    fake.assert_no_violations().unwrap();
}

/// The model calls a tool, the result goes back, and the model answers; the fake server checks
/// the second request's bookkeeping. Returns both requests for format-specific checks.
pub(crate) async fn tool_round_trip(api: WireFormat) -> Vec<RecordedRequest> {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(
        Turn::tool_calls([ToolCall::new("call_1", "read", json!({"path": "a.txt"}))])
            .with_text("Reading it."),
    );
    fake.push(Turn::text("It says hi."));
    let target = target(&fake, api);

    let mut conversation = vec![user("What is in a.txt?")];
    let (reply, error) = call(&target, &request(conversation.clone())).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    assert_eq!(
        content(&reply)[0],
        json!({"type": "text", "text": "Reading it."})
    );
    let ContentBlock::ToolCall(tool_call) = &reply.content[1] else {
        panic!("no tool call: {:?}", reply.content)
    };
    // OpenAI and Anthropic echo the scripted id; Gemini and Ollama send none, so one is minted.
    let echoed = !matches!(api, WireFormat::GoogleGenerativeAi | WireFormat::Ollama);
    let prefix = if echoed { "call_1" } else { "call_" };
    assert!(tool_call.id.starts_with(prefix), "{}", tool_call.id);
    assert_eq!(tool_call.name, "read");
    assert_eq!(tool_call.arguments, json!({"path": "a.txt"}));

    let answers = results(&reply);
    conversation.push(AgentMessage::Assistant(reply));
    conversation.extend(answers);
    let (answer, error) = call(&target, &request(conversation)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        content(&answer),
        json!([{"type": "text", "text": "It says hi."}])
    );

    fake.assert_no_violations().unwrap();
    fake.assert_script_consumed().unwrap();
    fake.requests()
}

/// Several calls in one reply, split across reads, all come back complete, in order and with
/// distinct ids, and all results are accepted.
pub(crate) async fn parallel_tool_calls(api: WireFormat) {
    let fake = FakeLlm::start().await.unwrap();
    let long = "x".repeat(300);
    fake.push(
        Turn::tool_calls([
            ToolCall::new("call_a", "read", json!({"path": "a"})),
            ToolCall::new("call_b", "read", json!({"path": "b", "pad": long})),
            ToolCall::new("call_c", "exec", json!({"command": "ls -la ~"})),
        ])
        .split_every(7),
    );
    fake.push(Turn::text("All read."));
    let target = target(&fake, api);

    let mut conversation = vec![user("Read everything.")];
    let (reply, error) = call(&target, &request(conversation.clone())).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(reply.stop_reason, StopReason::ToolUse);
    let calls: Vec<(String, String, Value)> = reply
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::ToolCall(call) => {
                Some((call.id.clone(), call.name.clone(), call.arguments.clone()))
            }
            _ => None,
        })
        .collect();
    let named: Vec<(&str, &Value)> = calls
        .iter()
        .map(|(_, name, args)| (name.as_str(), args))
        .collect();
    assert_eq!(
        named,
        [
            ("read", &json!({"path": "a"})),
            ("read", &json!({"path": "b", "pad": long})),
            ("exec", &json!({"command": "ls -la ~"})),
        ]
    );
    let mut ids: Vec<&str> = calls.iter().map(|(id, _, _)| id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "ids are distinct: {ids:?}");

    let answers = results(&reply);
    conversation.push(AgentMessage::Assistant(reply));
    conversation.extend(answers);
    let (answer, error) = call(&target, &request(conversation)).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(answer.stop_reason, StopReason::Stop);
    fake.assert_no_violations().unwrap();
}

/// The connection drops inside event `cut_event` (the one carrying `" three"`): the deltas
/// before it arrive, then the stream fails as cut, and the collected message records the
/// error.
pub(crate) async fn cut_mid_event(api: WireFormat, cut_event: usize) {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::text("one two three four").cut_mid_event(cut_event));
    fake.push(Turn::text("one two three four").cut_mid_event(cut_event));
    let target = target(&fake, api);
    let request = request(vec![user("count")]);

    let (events, error) = events(&target, &request).await;
    let texts: Vec<&StreamEvent> = events
        .iter()
        .filter(|event| matches!(event, StreamEvent::TextDelta(_)))
        .collect();
    assert_eq!(
        texts,
        [
            &StreamEvent::TextDelta("one".into()),
            &StreamEvent::TextDelta(" two".into())
        ]
    );
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, StreamEvent::Stop(_)))
    );
    let error = error.expect("the stream fails");
    assert!(matches!(error, ProviderError::StreamEnded), "{error:?}");
    assert_eq!(error.class(), FailureClass::Network);

    let (reply, error) = call(&target, &request).await;
    assert!(error.is_some());
    assert_eq!(reply.stop_reason, StopReason::Error);
    assert_eq!(
        content(&reply),
        json!([{"type": "text", "text": "one two"}])
    );
    assert!(reply.error_message.is_some());
}

/// Dropping the stream of a slow response returns at once and leaves the client usable.
pub(crate) async fn abort_mid_stream(api: WireFormat) {
    let fake = FakeLlm::start().await.unwrap();
    let delay = Duration::from_millis(300);
    fake.push(Turn::text_deltas((0..20).map(|i| format!("{i} "))).chunk_delay(delay));
    fake.push(Turn::text("still fine"));
    let target = target(&fake, api);
    let client = client();
    let request = request(vec![user("count slowly")]);

    let started = Instant::now();
    let mut stream = client.stream(&target, &request).await.unwrap();
    let mut collected = Collected::new();
    // Read until the first text, then give up on the rest, as a user pressing stop does.
    while let Some(item) = stream.next().await {
        let event = item.unwrap();
        collected.push(&event);
        if matches!(event, StreamEvent::TextDelta(_)) {
            break;
        }
    }
    // Other events of the same chunk (Gemini's usage) may follow at once; the next text may not.
    let next_text = tokio::time::timeout(Duration::from_millis(100), async {
        while let Some(item) = stream.next().await {
            if matches!(item, Ok(StreamEvent::TextDelta(_))) {
                return;
            }
        }
    })
    .await;
    assert!(next_text.is_err(), "the next delta is still on its way");
    drop(stream);
    let elapsed = started.elapsed();
    assert!(
        elapsed < delay * 10,
        "aborting took {elapsed:?}; the whole stream would take {:?}",
        delay * 25
    );
    let (partial, _) = collected.finish(&target.model, 7, Some(&ProviderError::Aborted));
    assert_eq!(partial.stop_reason, StopReason::Aborted);
    assert_eq!(partial.content.len(), 1, "{:?}", partial.content);

    let (reply, error) = tokio::time::timeout(Duration::from_secs(5), async {
        let stream = client.stream(&target, &request).await.unwrap();
        collect(stream, &target.model, 8).await
    })
    .await
    .unwrap();
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        content(&reply),
        json!([{"type": "text", "text": "still fine"}])
    );
}

/// A 429 with `retry-after` surfaces as a status error carrying the pause and the provider's
/// own message and code.
pub(crate) async fn rate_limited(api: WireFormat) {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::error(429).retry_after(Duration::from_secs(3)));
    let target = target(&fake, api);

    let error = client()
        .stream(&target, &request(vec![user("hi")]))
        .await
        .err()
        .expect("a 429 fails the call");
    let ProviderError::Status {
        provider,
        status,
        message,
        code,
        retry_after,
    } = &error
    else {
        panic!("not a status error: {error:?}")
    };
    assert_eq!((provider.as_str(), *status), (PROVIDER, 429));
    assert_eq!(*retry_after, Some(Duration::from_secs(3)));
    let (expected_code, phrase) = match api {
        WireFormat::AnthropicMessages => (Some("rate_limit_error"), "rate limit"),
        WireFormat::GoogleGenerativeAi => (Some("RESOURCE_EXHAUSTED"), "exhausted"),
        WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => {
            (Some("rate_limit_exceeded"), "Rate limit")
        }
        WireFormat::Ollama => (None, "too many requests"),
    };
    assert_eq!(code.as_deref(), expected_code);
    assert!(message.contains(phrase), "{message}");
    assert_eq!(error.class(), FailureClass::RateLimit);
}

/// A body that is not the format fails as malformed, naming the provider.
pub(crate) async fn malformed_body(api: WireFormat) {
    let fake = FakeLlm::start().await.unwrap();
    fake.push(Turn::malformed().split_every(10));
    let target = target(&fake, api);

    let (reply, error) = call(&target, &request(vec![user("hi")])).await;
    let error = error.expect("the body does not parse");
    assert!(
        matches!(&error, ProviderError::Malformed { provider, detail }
            if provider == PROVIDER && detail.contains(malformed_marker(api))),
        "{error:?}"
    );
    assert_eq!(error.class(), FailureClass::Malformed);
    assert_eq!(reply.stop_reason, StopReason::Error);
}

/// What a format's decoder says about the scripted half-written body.
fn malformed_marker(api: WireFormat) -> &'static str {
    match api {
        WireFormat::OpenaiCompletions | WireFormat::OpenaiResponses => "half",
        WireFormat::AnthropicMessages | WireFormat::GoogleGenerativeAi | WireFormat::Ollama => {
            "invalid JSON"
        }
    }
}
