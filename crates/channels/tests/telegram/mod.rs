//! The Telegram Bot API client and the Telegram channel account against the testkit's fake Bot API
//! over loopback.

mod account;
mod errors;
mod files;
mod polling;
mod secrets;
mod sending;
mod webhook;

use std::time::Duration;

use rustyclaw_channels::telegram::{BotApi, BotApiOptions, BotToken};
use rustyclaw_testkit::fake_telegram::{FakeChat, FakeTelegram, FakeUser};

/// A client for the fake's bot, with short timeouts so failing tests fail fast.
fn client(telegram: &FakeTelegram) -> BotApi {
    client_with(telegram, |_| {})
}

fn client_with(telegram: &FakeTelegram, adjust: impl FnOnce(&mut BotApiOptions)) -> BotApi {
    let mut options = BotApiOptions {
        base_url: telegram.base_url(),
        request_timeout: Duration::from_secs(5),
        poll_grace: Duration::from_secs(2),
        transfer_timeout: Duration::from_secs(5),
        ..BotApiOptions::default()
    };
    adjust(&mut options);
    let token = BotToken::new(telegram.token()).expect("the fake's token is well formed");
    BotApi::new(token, options).expect("client")
}

fn alice() -> FakeUser {
    FakeUser::new(1001, "Alice").with_username("alice")
}

fn dm(user: &FakeUser) -> FakeChat {
    FakeChat::private(user)
}
