//! Every scripted failure of the fake maps to its typed error.

use std::time::{Duration, Instant};

use rustyclaw_channels::telegram::{
    BadRequestKind, ChatId, EditMessageText, GetUpdates, ParseMode, SendMessage, TelegramError,
};
use rustyclaw_testkit::fake_telegram::{FakeTelegram, Fault, FaultRule};

use super::{alice, client, client_with, dm};

async fn ready() -> (FakeTelegram, rustyclaw_channels::telegram::BotApi, i64) {
    let telegram = FakeTelegram::start().await.expect("fake");
    let alice = alice();
    telegram.add_chat(&dm(&alice));
    let api = client(&telegram);
    (telegram, api, alice.id)
}

#[tokio::test]
async fn rate_limit_carries_retry_after_and_the_retry_succeeds() {
    let (telegram, api, chat) = ready().await;
    telegram.script(FaultRule::next(
        "sendMessage",
        Fault::RateLimited { retry_after: 3 },
    ));
    let error = api
        .send_message(&SendMessage::new(chat, "hi"))
        .await
        .expect_err("429");
    assert!(matches!(error, TelegramError::RateLimited { .. }));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
    assert!(error.is_transient());
    api.send_message(&SendMessage::new(chat, "hi"))
        .await
        .expect("the next call goes through");
    assert_eq!(telegram.outbox().len(), 1);
}

#[tokio::test]
async fn html_the_server_cannot_parse_is_recognised_for_a_plain_resend() {
    let (telegram, api, chat) = ready().await;
    telegram.script(
        FaultRule::next("sendMessage", Fault::CantParseEntities).when_param("parse_mode", "HTML"),
    );
    let mut html = SendMessage::new(chat, "<b>hi</b>");
    html.parse_mode = Some(ParseMode::Html);
    let error = api.send_message(&html).await.expect_err("400");
    assert!(error.is_cant_parse_entities());
    assert!(!error.is_transient());
    api.send_message(&SendMessage::new(chat, "hi"))
        .await
        .expect("plain text passes");

    // The fake also rejects invalid HTML by itself, as Telegram does.
    let mut broken = SendMessage::new(chat, "<b>unclosed");
    broken.parse_mode = Some(ParseMode::Html);
    let error = api.send_message(&broken).await.expect_err("invalid HTML");
    assert!(error.is_cant_parse_entities(), "{error}");
}

#[tokio::test]
async fn editing_a_vanished_message_and_other_bad_requests() {
    let (_telegram, api, chat) = ready().await;
    let error = api
        .edit_message_text(&EditMessageText {
            chat_id: ChatId::Id(chat),
            message_id: 999,
            text: "x".to_owned(),
            parse_mode: None,
            link_preview_options: None,
            reply_markup: None,
        })
        .await
        .expect_err("400");
    assert!(error.is_message_to_edit_not_found());
    let error = api
        .send_message(&SendMessage::new(-42, "to nowhere"))
        .await
        .expect_err("400");
    assert_eq!(error.bad_request_kind(), Some(BadRequestKind::ChatNotFound));
}

#[tokio::test]
async fn conflict_unauthorized_forbidden_and_server_errors() {
    let (telegram, api, chat) = ready().await;
    telegram.script(FaultRule::next("getUpdates", Fault::Conflict));
    telegram.script(FaultRule::next("getMe", Fault::Unauthorized));
    telegram.script(FaultRule::next("sendMessage", Fault::BlockedByUser));
    telegram.script(FaultRule::next(
        "sendMessage",
        Fault::ServerError { status: 502 },
    ));
    telegram.script(FaultRule::next(
        "sendMessage",
        Fault::Raw {
            status: 200,
            body: "{\"ok\":tru".to_owned(),
        },
    ));
    let poll = GetUpdates {
        offset: None,
        limit: None,
        timeout: Duration::ZERO,
        allowed_updates: None,
    };
    let conflict = api.get_updates(&poll).await.expect_err("409");
    assert!(matches!(conflict, TelegramError::Conflict { .. }));
    assert!(conflict.to_string().contains("only one") || conflict.to_string().contains("another"));
    let unauthorized = api.get_me().await.expect_err("401");
    assert!(matches!(unauthorized, TelegramError::Unauthorized { .. }));
    assert!(unauthorized.to_string().contains("@BotFather"));
    let hi = SendMessage::new(chat, "hi");
    let send = || api.send_message(&hi);
    let blocked = send().await.expect_err("403");
    assert!(matches!(blocked, TelegramError::Forbidden { .. }));
    assert!(blocked.to_string().contains("blocked by the user"));
    let server = send().await.expect_err("502");
    assert!(matches!(
        server,
        TelegramError::Api {
            error_code: 502,
            ..
        }
    ));
    assert!(server.is_transient());
    let malformed = send().await.expect_err("malformed");
    assert!(matches!(malformed, TelegramError::Malformed { .. }));
    send().await.expect("the script is used up");
}

#[tokio::test]
async fn a_hanging_poll_times_out_after_the_poll_timeout_plus_grace() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let api = client_with(&telegram, |options| {
        options.poll_grace = Duration::from_millis(300);
    });
    telegram.script(FaultRule::next("getUpdates", Fault::Hang));
    let started = Instant::now();
    let error = api
        .get_updates(&GetUpdates {
            offset: None,
            limit: None,
            timeout: Duration::from_secs(1),
            allowed_updates: None,
        })
        .await
        .expect_err("timeout");
    let elapsed = started.elapsed();
    assert!(matches!(error, TelegramError::Timeout { .. }), "{error:?}");
    assert!(error.is_transient());
    assert!(elapsed >= Duration::from_millis(1_200) && elapsed < Duration::from_secs(4));
    telegram
        .shutdown()
        .await
        .expect("the hang ends at shutdown");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_a_closed_port_is_a_transport_error() {
    let telegram = FakeTelegram::start().await.expect("fake");
    let wrong = rustyclaw_channels::telegram::BotApi::new(
        rustyclaw_channels::telegram::BotToken::new("42:WrongSecret").expect("form"),
        rustyclaw_channels::telegram::BotApiOptions {
            base_url: telegram.base_url(),
            ..Default::default()
        },
    )
    .expect("client");
    assert!(matches!(
        wrong.get_me().await,
        Err(TelegramError::Unauthorized { .. })
    ));
    let base_url = telegram.base_url();
    telegram.shutdown().await.expect("stop");
    let api = rustyclaw_channels::telegram::BotApi::new(
        rustyclaw_channels::telegram::BotToken::new("42:WrongSecret").expect("form"),
        rustyclaw_channels::telegram::BotApiOptions {
            base_url,
            ..Default::default()
        },
    )
    .expect("client");
    let error = api.get_me().await.expect_err("nothing listens");
    assert!(
        matches!(error, TelegramError::Transport { .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
}
