//! Idle RSS with chat channels: rustyclaw with no channel, with Telegram polling the testkit's
//! fake Bot API or the npm `telegram-test-api` emulator, with IRC connected to a real ngircd,
//! and with both, idling side by side and read as the idle figure reads them, once every
//! channel is connected.

use std::time::Duration;

use anyhow::{Context, Result};
use rustyclaw_testkit::fake_telegram::FakeTelegram;
use rustyclaw_testkit::{Ngircd, TelegramTestApi};
use serde_json::json;

use super::{Bench, mb, progress};
use crate::channels::{Channels, IRC_CHANNEL, IrcBot, RUSTYCLAW_ONLY, TelegramBot};
use crate::fake::Reply;
use crate::irc::{IrcUser, PRESENCE_LIMIT};
use crate::report::Figure;
use crate::target::{Gateway, GatewayOptions, Kind, Target};

/// Which Bot API a Telegram gateway polls.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Telegram {
    /// None: no Telegram account.
    Off,
    /// The test kit's fake, which long-polls as Telegram does.
    Fake,
    /// The npm emulator, which answers every poll at once (the bot then pauses 250 ms).
    Emulator,
}

/// One of the gateways that idle side by side.
struct Setup {
    /// Its row in the table.
    name: &'static str,
    /// Telegram, polling a Bot API of its own.
    telegram: Telegram,
    /// IRC, on the run's ngircd.
    irc: bool,
}

/// The gateways of a run, in table order.
const SETUPS: [Setup; 6] = [
    Setup {
        name: "no channels",
        telegram: Telegram::Off,
        irc: false,
    },
    Setup {
        name: "Telegram (fake Bot API)",
        telegram: Telegram::Fake,
        irc: false,
    },
    Setup {
        name: "Telegram (telegram-test-api emulator)",
        telegram: Telegram::Emulator,
        irc: false,
    },
    Setup {
        name: "IRC (ngircd)",
        telegram: Telegram::Off,
        irc: true,
    },
    Setup {
        name: "Telegram and IRC",
        telegram: Telegram::Fake,
        irc: true,
    },
    Setup {
        name: "Telegram (emulator) and IRC",
        telegram: Telegram::Emulator,
        irc: true,
    },
];

/// The setup with both channels on the long-polling fake, which the summary rows compare.
const BOTH: usize = 4;

/// The emulator bots' token (each emulator serves one gateway).
const EMULATOR_TOKEN: &str = "4242:bench-emulator";

/// One run's readings per setup: (RSS, anonymous), MB.
type Readings = [(f64, f64); SETUPS.len()];

/// Measures idle RSS with and without channels.
pub async fn idle_channels(bench: &mut Bench) -> Result<Figure> {
    let settle = bench.plan.idle_settle;
    let mut figure = Figure::new(
        "idlechannels",
        "Idle RSS with chat channels",
        &format!(
            "rustyclaw idle as in the figure above (VmRSS summed over the gateway's process \
             tree, no WebSocket client connected), six gateways side by side, each in its own \
             home: no channel; Telegram long-polling the testkit's fake Bot API on loopback; \
             Telegram polling the npm telegram-test-api emulator (which answers every poll at \
             once, so the bot polls about four times a second instead of holding one long \
             poll); IRC connected to a real ngircd on loopback (registered, one channel \
             joined); Telegram (fake, then emulator) with IRC. Read {} s after every channel \
             connected: the fake saw the first `getUpdates`, the emulator's bot answered a \
             direct message (with a pairing code), and a user on ngircd saw the bot join the \
             channel (that user then quits).",
            settle.as_secs_f64()
        ),
    );
    figure.notes.push(RUSTYCLAW_ONLY.to_owned());
    let Some(target) = bench.target(Kind::RustyClaw).cloned() else {
        return Ok(figure);
    };
    let url = bench.base_url(Reply::Instant);
    let mut runs: Vec<Readings> = Vec::new();
    for run in 0..bench.plan.idle_runs {
        let readings = idle_run(&target, &url, settle)
            .await
            .with_context(|| format!("idle run {run} with channels"))?;
        for (setup, (rss, anon)) in SETUPS.iter().zip(readings) {
            progress(&format!(
                "idle run {run}, {}: {rss:.1} MB ({anon:.1} MB anonymous)",
                setup.name
            ));
        }
        runs.push(readings);
    }
    let of = |pick: &dyn Fn(&Readings) -> f64| -> Vec<f64> { runs.iter().map(pick).collect() };
    for (i, setup) in SETUPS.iter().enumerate() {
        figure
            .row(&format!("idle RSS, {}", setup.name), "MB")
            .set(Kind::RustyClaw, &of(&|r| r[i].0));
    }
    let both = BOTH;
    figure
        .row("of which anonymous, no channels", "MB")
        .set(Kind::RustyClaw, &of(&|r| r[0].1));
    figure
        .row("of which anonymous, Telegram and IRC", "MB")
        .set(Kind::RustyClaw, &of(&|r| r[both].1));
    figure
        .row("added by Telegram and IRC (same run)", "MB")
        .set(Kind::RustyClaw, &of(&|r| r[both].0 - r[0].0));
    Ok(figure)
}

/// Starts ngircd, a fake Bot API per Telegram gateway and the four gateways; waits until
/// they are connected, lets them settle and reads their memory.
async fn idle_run(target: &Target, url: &str, settle: Duration) -> Result<Readings> {
    let server = Ngircd::start()
        .await
        .context("starting ngircd (apt package ngircd)")?;
    let mut gateways: Vec<Gateway> = Vec::new();
    let mut fakes: Vec<FakeTelegram> = Vec::new();
    let mut emulators: Vec<TelegramTestApi> = Vec::new();
    let mut bots: Vec<String> = Vec::new();
    let mut outcome = Ok(());
    for (i, setup) in SETUPS.iter().enumerate() {
        let mut channels = Channels::default();
        // A Bot API per bot: two bots polling one would take each other's updates.
        match setup.telegram {
            Telegram::Off => {}
            Telegram::Fake => {
                let fake = FakeTelegram::start()
                    .await
                    .context("starting the fake Bot API")?;
                channels.telegram = Some(TelegramBot {
                    api_root: fake.base_url(),
                    bot_token: fake.token().to_owned(),
                });
                fakes.push(fake);
            }
            Telegram::Emulator => {
                let emulator = TelegramTestApi::start()
                    .await
                    .context("starting telegram-test-api (scripts/conformance-deps.sh)")?;
                channels.telegram = Some(TelegramBot {
                    api_root: emulator.api_root(),
                    bot_token: EMULATOR_TOKEN.to_owned(),
                });
                emulators.push(emulator);
            }
        }
        if setup.irc {
            let nick = format!("claw{i}");
            channels.irc = Some(IrcBot {
                port: server.port(),
                nick: nick.clone(),
            });
            bots.push(nick);
        }
        let options = GatewayOptions {
            channels,
            ..GatewayOptions::default()
        };
        let mut gateway = target.start(url, options)?;
        outcome = gateway
            .wait_ready(super::startup::READY_LIMIT)
            .await
            .map(drop);
        gateways.push(gateway);
        if outcome.is_err() {
            break;
        }
    }
    if outcome.is_ok() {
        outcome = connected(&fakes, &emulators, server.port(), &bots).await;
    }
    let mut readings = Vec::new();
    if outcome.is_ok() {
        tokio::time::sleep(settle).await;
        for gateway in &gateways {
            match (gateway.rss(), gateway.anon()) {
                (Ok(rss), Ok(anon)) => readings.push((mb(rss), mb(anon))),
                (Err(error), _) | (_, Err(error)) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
    }
    let logs: Vec<String> = gateways.iter().map(|g| g.running.log_tail(20)).collect();
    for gateway in gateways {
        gateway.stop().await;
    }
    outcome.with_context(|| format!("gateway logs:\n{}", logs.join("\n---\n")))?;
    Readings::try_from(readings).map_err(|r| anyhow::anyhow!("{} readings", r.len()))
}

/// Waits until every fake Bot API has seen a `getUpdates` poll, every emulator's bot answered
/// a direct message, and every IRC bot of `bots` has joined [`IRC_CHANNEL`] on the server at
/// `port`.
async fn connected(
    fakes: &[FakeTelegram],
    emulators: &[TelegramTestApi],
    port: u16,
    bots: &[String],
) -> Result<()> {
    for fake in fakes {
        fake.wait_for_calls("getUpdates", 1, PRESENCE_LIMIT)
            .await
            .context("the Telegram bot did not poll")?;
    }
    for emulator in emulators {
        answered_on(emulator).await?;
    }
    let mut watcher = IrcUser::connect(port, "watcher").await?;
    let nicks: Vec<&str> = bots.iter().map(String::as_str).collect();
    let seen = watcher.wait_in_channel(IRC_CHANNEL, &nicks).await;
    watcher.quit().await;
    seen
}

/// Sends the emulator's bot a direct message until it answers (with a pairing code).
async fn answered_on(emulator: &TelegramTestApi) -> Result<()> {
    const USER: i64 = 9001;
    let message = json!({
        "from": {"id": USER, "is_bot": false, "first_name": "Bench"},
        "chat": {"id": USER, "type": "private"},
        "text": "hello",
    });
    emulator.send(EMULATOR_TOKEN, message).await?;
    let deadline = tokio::time::Instant::now() + PRESENCE_LIMIT;
    loop {
        if !emulator
            .bot_messages(EMULATOR_TOKEN, USER)
            .await?
            .is_empty()
        {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!(
                "the Telegram bot on the emulator did not answer within {PRESENCE_LIMIT:?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
