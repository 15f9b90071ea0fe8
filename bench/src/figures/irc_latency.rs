//! IRC message → reply: a user on a real ngircd writes to rustyclaw's IRC bot, directly and in
//! a channel by mentioning it, with the instant fake model answering; each message is timed
//! from its line written to the user's socket to the bot's reply line read from it.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use rustyclaw_testkit::Ngircd;
use tokio::time::Instant;

use super::{Bench, Plan, ms, progress};
use crate::channels::{Channels, IRC_CHANNEL, IrcBot, RUSTYCLAW_ONLY};
use crate::fake::{INSTANT_REPLY, Reply};
use crate::irc::{IrcUser, Line};
use crate::report::Figure;
use crate::stats::{mean, percentile};
use crate::target::{Gateway, GatewayOptions, Kind};

/// The bot's nick.
const BOT: &str = "claw";

/// The user's nick.
const USER: &str = "bench";

/// The harness's echo user, which answers at once: what the IRC server alone takes.
const ECHO: &str = "echo";

/// Time from one message sent to the next. The bot's flood control sends a burst of four lines
/// and then one line a second (as IRC clients do, or servers cut them off): messages sent
/// faster would time that queue, not the gateway. 1.1 s keeps the burst whole.
pub const PACE: Duration = Duration::from_millis(1100);

/// Time from one message to the echo user to the next: as for the bot, because ngircd throttles
/// a user who sends several commands a second (100 ms apart, some echoes waited ~0.9 s).
const ECHO_PACE: Duration = PACE;

/// Messages of each kind sent before timing starts.
const WARM_UP: u64 = 2;

/// How long one reply may take before the benchmark fails.
const REPLY_LIMIT: Duration = Duration::from_secs(60);

/// Measures the IRC round trips.
pub async fn irc_latency(bench: &mut Bench) -> Result<Figure> {
    let plan = bench.plan.clone();
    let mut figure = Figure::new(
        "irclatency",
        "IRC message → reply",
        &format!(
            "rustyclaw's IRC bot on a real ngircd on loopback, the instant fake model, no \
             pairing (`dmPolicy` open). A user on the same server sends {} direct messages \
             to the bot, then {} messages in a channel that mention it (`{BOT}: …`, \
             the channel requiring mentions), one at a time, {} s from one to the next (the \
             bot's flood control sends four lines at once, then one a second), after {WARM_UP} \
             warm-up messages of each kind. Latency: the user's `PRIVMSG` line written to its \
             socket → the bot's reply line read from it (user → ngircd → gateway → model → \
             gateway → ngircd → user). The server-alone rows time {} messages to an echo user \
             the harness runs on the same server instead of the bot (user → ngircd → echo → \
             ngircd → user), what no bot can be faster than.",
            plan.irc_dms,
            plan.irc_mentions,
            PACE.as_secs_f64(),
            plan.irc_echoes,
        ),
    );
    figure.notes.push(RUSTYCLAW_ONLY.to_owned());
    let Some(target) = bench.target(Kind::RustyClaw).cloned() else {
        return Ok(figure);
    };
    let server = Ngircd::start()
        .await
        .context("starting ngircd (apt package ngircd)")?;
    let options = GatewayOptions {
        channels: Channels {
            irc: Some(IrcBot {
                port: server.port(),
                nick: BOT.to_owned(),
            }),
            telegram: None,
        },
        ..GatewayOptions::default()
    };
    let mut gateway = target.start(&bench.base_url(Reply::Instant), options)?;
    let outcome = conversation(&mut gateway, server.port(), &plan).await;
    let log = gateway.running.log_tail(30);
    gateway.stop().await;
    let latencies = outcome.with_context(|| format!("gateway log:\n{log}"))?;
    for (kind, samples) in [
        ("direct message", &latencies.direct),
        ("channel mention", &latencies.channel),
        ("IRC server alone (echo user)", &latencies.echo),
    ] {
        progress(&format!(
            "{kind} → reply: p50 {:.2} ms, p99 {:.2} ms, mean {:.2} ms over {}",
            percentile(samples, 50.0).unwrap_or(f64::NAN),
            percentile(samples, 99.0).unwrap_or(f64::NAN),
            mean(samples).unwrap_or(f64::NAN),
            samples.len()
        ));
        let rows = [
            ("p50", percentile(samples, 50.0)),
            ("p99", percentile(samples, 99.0)),
            ("mean", mean(samples)),
        ];
        for (stat, value) in rows {
            figure
                .row(&format!("{kind} → reply {stat}"), "ms")
                .set(Kind::RustyClaw, &[value.unwrap_or(f64::NAN)]);
        }
    }
    let server = percentile(&latencies.echo, 50.0).unwrap_or(f64::NAN);
    let direct = percentile(&latencies.direct, 50.0).unwrap_or(f64::NAN);
    figure
        .row(
            "of which not the IRC server (direct p50 − server p50)",
            "ms",
        )
        .set(Kind::RustyClaw, &[direct - server]);
    Ok(figure)
}

/// The latencies (ms) of one conversation.
struct Latencies {
    /// The server alone: messages to the harness's echo user.
    echo: Vec<f64>,
    /// Direct messages to the bot.
    direct: Vec<f64>,
    /// Channel messages mentioning the bot.
    channel: Vec<f64>,
}

/// Connects the user once the bot is in the channel, times the server alone with an echo
/// user, then warms up and times the messages to the bot.
async fn conversation(gateway: &mut Gateway, port: u16, plan: &Plan) -> Result<Latencies> {
    gateway.wait_ready(super::startup::READY_LIMIT).await?;
    let mut user = IrcUser::connect(port, USER).await?;
    // The server refuses a message to a nick that is not there yet: wait for the bot's join.
    user.wait_in_channel(IRC_CHANNEL, &[BOT]).await?;
    let echo_user = IrcUser::connect(port, ECHO).await?;
    let echo_task = tokio::spawn(echo(echo_user));
    let mut pacer = Pacer::new(ECHO, ECHO_PACE);
    let mut echoes = Vec::new();
    for i in 0..WARM_UP + plan.irc_echoes {
        let text = format!("benchmark echo {i}");
        let took = pacer.exchange(&mut user, ECHO, &text, USER, &text).await?;
        if i >= WARM_UP {
            echoes.push(ms(took));
        }
    }
    echo_task.abort();
    let mut pacer = Pacer::new(BOT, PACE);
    let mut direct = Vec::new();
    for i in 0..WARM_UP + plan.irc_dms {
        let text = format!("benchmark message {i}");
        let took = pacer
            .exchange(&mut user, BOT, &text, USER, INSTANT_REPLY)
            .await?;
        if i >= WARM_UP {
            direct.push(ms(took));
        }
    }
    let mut channel = Vec::new();
    for i in 0..WARM_UP + plan.irc_mentions {
        let text = format!("{BOT}: benchmark mention {i}");
        let took = pacer
            .exchange(&mut user, IRC_CHANNEL, &text, IRC_CHANNEL, INSTANT_REPLY)
            .await?;
        if i >= WARM_UP {
            channel.push(ms(took));
        }
    }
    user.quit().await;
    Ok(Latencies {
        echo: echoes,
        direct,
        channel,
    })
}

/// Answers every direct message with its own text, at once, until aborted or disconnected.
async fn echo(mut user: IrcUser) -> Result<()> {
    let forever = Instant::now() + Duration::from_secs(24 * 3600);
    while let Some(line) = user.next_line(forever).await? {
        if line.is_privmsg(USER, ECHO) {
            user.privmsg(USER, line.text()).await?;
        }
    }
    Ok(())
}

/// Sends messages to one peer (the bot or the echo user), `pace` apart.
#[derive(Debug)]
struct Pacer {
    peer: &'static str,
    pace: Duration,
    last_sent: Option<Instant>,
}

impl Pacer {
    fn new(peer: &'static str, pace: Duration) -> Self {
        Self {
            peer,
            pace,
            last_sent: None,
        }
    }

    /// Waits until the next message may go (answering the server meanwhile), sends `text` to
    /// `target` and waits for the peer's line to `reply_to`, which must contain `expected`;
    /// returns the time from writing the one to reading the other.
    async fn exchange(
        &mut self,
        user: &mut IrcUser,
        target: &str,
        text: &str,
        reply_to: &str,
        expected: &str,
    ) -> Result<Duration> {
        let from_peer = |line: &Line| {
            line.nick.as_deref() == Some(self.peer)
                && matches!(line.command.as_str(), "PRIVMSG" | "NOTICE")
        };
        if let Some(last) = self.last_sent {
            while let Some(line) = user.next_line(last + self.pace).await? {
                if from_peer(&line) {
                    bail!("{} sent a line nobody waited for: {line:?}", self.peer);
                }
            }
        }
        let sent = user.privmsg(target, text).await?;
        self.last_sent = Some(sent);
        loop {
            let Some(line) = user.next_line(sent + REPLY_LIMIT).await? else {
                bail!("no reply to {text:?} within {REPLY_LIMIT:?}");
            };
            if line.is_privmsg(self.peer, reply_to) {
                let took = sent.elapsed();
                if !line.text().contains(expected) {
                    bail!("{} answered {text:?} with {:?}", self.peer, line.text());
                }
                return Ok(took);
            }
            if from_peer(&line) {
                bail!("{} answered {text:?} with {line:?}", self.peer);
            }
        }
    }
}
