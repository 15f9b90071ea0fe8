//! The bot token is in every URL path; it must never appear in an error, its sources or a
//! `Debug` dump, whatever failed.

use std::error::Error as _;
use std::time::Duration;

use rustyclaw_channels::telegram::{
    BotApi, BotApiOptions, BotToken, GetUpdates, SendMessage, TelegramError,
};
use rustyclaw_testkit::fake_telegram::{FakeTelegram, FakeTelegramOptions, Fault, FaultRule};

const SECRET: &str = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

/// Every way the error can be printed: `Display`, `Debug`, `{:#?}` and each source.
fn printed(error: &TelegramError) -> String {
    let mut text = format!("{error}\n{error:?}\n{error:#?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    text
}

fn assert_clean(error: &TelegramError) {
    let text = printed(error);
    assert!(!text.contains(SECRET), "the token leaked: {text}");
}

#[tokio::test]
async fn no_error_or_debug_output_contains_the_token() {
    let token = format!("987654:{SECRET}");
    let telegram = FakeTelegram::start_with(FakeTelegramOptions {
        token: token.clone(),
        ..FakeTelegramOptions::default()
    })
    .await
    .expect("fake");
    let options = BotApiOptions {
        base_url: telegram.base_url(),
        request_timeout: Duration::from_millis(500),
        poll_grace: Duration::from_millis(200),
        ..BotApiOptions::default()
    };
    let api = BotApi::new(BotToken::new(&token).expect("form"), options.clone()).expect("client");
    assert!(!format!("{api:?} {:?}", api.token()).contains(SECRET));

    let mut errors = Vec::new();
    // Error answers, one echoing the token in its description and body.
    for fault in [
        Fault::Unauthorized,
        Fault::Conflict,
        Fault::RateLimited { retry_after: 1 },
        Fault::BadRequest(format!("Bad Request: bot{token} is wrong")),
        Fault::Raw {
            status: 502,
            body: format!("<html>upstream /bot{token}/getMe failed</html>"),
        },
        Fault::Raw {
            status: 200,
            body: format!("not json /bot{token}/"),
        },
    ] {
        telegram.script(FaultRule::next("getMe", fault));
        errors.push(api.get_me().await.expect_err("scripted"));
    }
    // A timeout.
    telegram.script(FaultRule::next("getUpdates", Fault::Hang));
    errors.push(
        api.get_updates(&GetUpdates {
            offset: None,
            limit: None,
            timeout: Duration::ZERO,
            allowed_updates: None,
        })
        .await
        .expect_err("timeout"),
    );
    // A bad download path and a missing file.
    errors.push(
        api.download_file("../../etc/passwd", 10)
            .await
            .expect_err("unsafe"),
    );
    errors.push(
        api.download_file("photos/none.jpg", 10)
            .await
            .expect_err("404"),
    );
    // A connection refused, after the server is gone.
    let base_url = telegram.base_url();
    telegram.shutdown().await.expect("stop");
    let gone = BotApi::new(
        BotToken::new(&token).expect("form"),
        BotApiOptions {
            base_url,
            ..options
        },
    )
    .expect("client");
    errors.push(gone.get_me().await.expect_err("refused"));
    errors.push(
        gone.send_message(&SendMessage::new(1, "hi"))
            .await
            .expect_err("refused"),
    );

    assert!(matches!(errors[0], TelegramError::Unauthorized { .. }));
    assert!(matches!(errors[6], TelegramError::Timeout { .. }));
    assert!(matches!(errors[9], TelegramError::Transport { .. }));
    for error in &errors {
        assert_clean(error);
    }
    // The scrubbed descriptions still say what happened.
    assert!(errors[3].to_string().contains("bot<redacted> is wrong"));
}
