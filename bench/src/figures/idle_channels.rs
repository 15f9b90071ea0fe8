//! Idle RSS with chat channels: rustyclaw with no channel, with Telegram polling the testkit's
//! fake Bot API, with IRC connected to a real ngircd, and with both, idling side by side and
//! read as the idle figure reads them, once every channel is connected.

use std::time::Duration;

use anyhow::{Context, Result};
use rustyclaw_testkit::Ngircd;
use rustyclaw_testkit::fake_telegram::FakeTelegram;

use super::{Bench, mb, progress};
use crate::channels::{Channels, IRC_CHANNEL, IrcBot, RUSTYCLAW_ONLY, TelegramBot};
use crate::fake::Reply;
use crate::irc::{IrcUser, PRESENCE_LIMIT};
use crate::report::Figure;
use crate::target::{Gateway, GatewayOptions, Kind, Target};

/// One of the gateways that idle side by side.
struct Setup {
    /// Its row in the table.
    name: &'static str,
    /// Telegram, polling a fake Bot API of its own.
    telegram: bool,
    /// IRC, on the run's ngircd.
    irc: bool,
}

/// The gateways of a run, in table order; the last has every channel.
const SETUPS: [Setup; 4] = [
    Setup {
        name: "no channels",
        telegram: false,
        irc: false,
    },
    Setup {
        name: "Telegram (fake Bot API)",
        telegram: true,
        irc: false,
    },
    Setup {
        name: "IRC (ngircd)",
        telegram: false,
        irc: true,
    },
    Setup {
        name: "Telegram and IRC",
        telegram: true,
        irc: true,
    },
];

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
             tree, no WebSocket client connected), four gateways side by side, each in its own \
             home: no channel; Telegram long-polling the testkit's fake Bot API on loopback; \
             IRC connected to a real ngircd on loopback (registered, one channel joined); both. \
             Read {} s after every channel connected: the fake saw the first `getUpdates`, and \
             a user on ngircd saw the bot join the channel (that user then quits).",
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
    let both = SETUPS.len() - 1;
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
    let mut bots: Vec<String> = Vec::new();
    let mut outcome = Ok(());
    for (i, setup) in SETUPS.iter().enumerate() {
        let mut channels = Channels::default();
        if setup.telegram {
            // A fake per bot: two bots polling one fake would take each other's updates.
            let fake = FakeTelegram::start()
                .await
                .context("starting the fake Bot API")?;
            channels.telegram = Some(TelegramBot {
                api_root: fake.base_url(),
                bot_token: fake.token().to_owned(),
            });
            fakes.push(fake);
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
        outcome = connected(&fakes, server.port(), &bots).await;
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

/// Waits until every fake Bot API has seen a `getUpdates` poll and every IRC bot of `bots` has
/// joined [`IRC_CHANNEL`] on the server at `port`.
async fn connected(fakes: &[FakeTelegram], port: u16, bots: &[String]) -> Result<()> {
    for fake in fakes {
        fake.wait_for_calls("getUpdates", 1, PRESENCE_LIMIT)
            .await
            .context("the Telegram bot did not poll")?;
    }
    let mut watcher = IrcUser::connect(port, "watcher").await?;
    let nicks: Vec<&str> = bots.iter().map(String::as_str).collect();
    let seen = watcher.wait_in_channel(IRC_CHANNEL, &nicks).await;
    watcher.quit().await;
    seen
}
