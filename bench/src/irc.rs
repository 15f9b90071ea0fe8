//! The human side of IRC: a user on the IRC server the gateway's bot connects to, speaking the
//! protocol over a plain TCP socket.
//!
//! Raw on purpose: a message is timed from the moment its line is written to the socket to the
//! moment the bot's line is read from it, so nothing of the harness (a client library's send
//! queue, its flood control, its event channel) sits inside the measured time. The user
//! registers, joins channels, answers the server's `PING`s and hands every other line back
//! parsed; that is all the benchmark needs of IRC.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::Instant;

/// How long registration or a wait for another user may take.
pub const PRESENCE_LIMIT: Duration = Duration::from_secs(60);

/// One line from the server, parsed (RFC 1459 framing; IRCv3 tags skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The nick of the prefix (`nick` of `:nick!user@host`; the server name for server lines).
    pub nick: Option<String>,
    /// The command or numeric, upper case as sent.
    pub command: String,
    /// The parameters, the trailing one (after ` :`) last.
    pub params: Vec<String>,
}

impl Line {
    /// Parses one line (without its line ending); `None` for an empty line.
    pub fn parse(line: &str) -> Option<Self> {
        let mut rest = line.trim_end_matches(['\r', '\n']);
        if let Some(tagged) = rest.strip_prefix('@') {
            rest = tagged.split_once(' ').map_or("", |(_, after)| after);
        }
        let mut nick = None;
        if let Some(prefixed) = rest.strip_prefix(':') {
            let (prefix, after) = prefixed.split_once(' ').unwrap_or((prefixed, ""));
            nick = Some(prefix.split(['!', '@']).next().unwrap_or(prefix).to_owned());
            rest = after;
        }
        let (middle, trailing) = match rest.split_once(" :") {
            Some((middle, trailing)) => (middle, Some(trailing)),
            None => (rest, None),
        };
        let mut words = middle.split(' ').filter(|w| !w.is_empty());
        let command = words.next()?.to_owned();
        let mut params: Vec<String> = words.map(str::to_owned).collect();
        params.extend(trailing.map(str::to_owned));
        Some(Self {
            nick,
            command,
            params,
        })
    }

    /// Whether this is a `PRIVMSG` from `nick` to `target` (both compared ignoring case).
    pub fn is_privmsg(&self, nick: &str, target: &str) -> bool {
        self.command == "PRIVMSG"
            && self
                .nick
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(nick))
            && self
                .params
                .first()
                .is_some_and(|t| t.eq_ignore_ascii_case(target))
    }

    /// Whether `nick` is in `channel`, as this line says: it joined it, or the channel's name
    /// list (`353`) names it (with or without a status prefix such as `@`).
    pub fn shows_in_channel(&self, nick: &str, channel: &str) -> bool {
        match self.command.as_str() {
            "JOIN" => {
                self.nick
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(nick))
                    && self
                        .params
                        .first()
                        .is_some_and(|c| c.eq_ignore_ascii_case(channel))
            }
            "353" => {
                self.params.len() >= 2
                    && self.params[self.params.len() - 2].eq_ignore_ascii_case(channel)
                    && self.params[self.params.len() - 1]
                        .split(' ')
                        .map(|name| name.trim_start_matches(['@', '+', '%', '&', '~']))
                        .any(|name| name.eq_ignore_ascii_case(nick))
            }
            _ => false,
        }
    }

    /// The text of a `PRIVMSG` or `NOTICE` (its last parameter).
    pub fn text(&self) -> &str {
        self.params.last().map_or("", String::as_str)
    }
}

/// A registered user on an IRC server.
#[derive(Debug)]
pub struct IrcUser {
    nick: String,
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    buffer: String,
}

impl IrcUser {
    /// Connects to `127.0.0.1:port` and registers as `nick`; returns once the server welcomed
    /// it (`001`).
    pub async fn connect(port: u16, nick: &str) -> Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .with_context(|| format!("connecting to the IRC server on port {port}"))?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        let mut user = Self {
            nick: nick.to_owned(),
            reader: BufReader::new(read),
            writer,
            buffer: String::new(),
        };
        user.send(&format!("NICK {nick}")).await?;
        user.send(&format!("USER {nick} 0 * :rustyclaw benchmark"))
            .await?;
        let deadline = Instant::now() + PRESENCE_LIMIT;
        loop {
            let line = user
                .next_line(deadline)
                .await?
                .ok_or_else(|| anyhow!("the IRC server did not welcome {nick}"))?;
            match line.command.as_str() {
                "001" => return Ok(user),
                "432" | "433" | "ERROR" => bail!("the IRC server refused {nick}: {line:?}"),
                _ => {}
            }
        }
    }

    /// Writes one line (the line ending is added).
    pub async fn send(&mut self, line: &str) -> Result<()> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .context("writing to the IRC server")
    }

    /// Sends `text` to `target` (a nick or a channel); returns the instant just before the line
    /// was written.
    pub async fn privmsg(&mut self, target: &str, text: &str) -> Result<Instant> {
        let line = format!("PRIVMSG {target} :{text}\r\n");
        let sent = Instant::now();
        self.writer
            .write_all(line.as_bytes())
            .await
            .context("writing to the IRC server")?;
        Ok(sent)
    }

    /// The next line from the server other than a `PING` (which is answered), or `None` once
    /// `deadline` has passed.
    pub async fn next_line(&mut self, deadline: Instant) -> Result<Option<Line>> {
        loop {
            self.buffer.clear();
            let read = tokio::time::timeout_at(deadline, self.reader.read_line(&mut self.buffer));
            let Ok(read) = read.await else {
                return Ok(None);
            };
            if read.context("reading from the IRC server")? == 0 {
                bail!("the IRC server closed {}'s connection", self.nick);
            }
            let Some(line) = Line::parse(&self.buffer) else {
                continue;
            };
            if line.command == "PING" {
                let token = line.params.first().map_or("", String::as_str);
                self.send(&format!("PONG :{token}")).await?;
                continue;
            }
            return Ok(Some(line));
        }
    }

    /// Joins `channel` and waits until every nick of `nicks` is seen in it (already there, or
    /// joining later).
    pub async fn wait_in_channel(&mut self, channel: &str, nicks: &[&str]) -> Result<()> {
        self.send(&format!("JOIN {channel}")).await?;
        let mut missing: Vec<&str> = nicks.to_vec();
        let deadline = Instant::now() + PRESENCE_LIMIT;
        while !missing.is_empty() {
            let line = self.next_line(deadline).await?.ok_or_else(|| {
                anyhow!("{missing:?} did not join {channel} within {PRESENCE_LIMIT:?}")
            })?;
            missing.retain(|nick| !line.shows_in_channel(nick, channel));
        }
        Ok(())
    }

    /// Leaves the server.
    pub async fn quit(mut self) {
        let _ = self.send("QUIT :done").await;
        let _ = self.writer.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line::parse(text).unwrap()
    }

    #[test]
    fn a_message_line_has_the_sender_nick_the_target_and_the_text() {
        let parsed = line(":claw!~claw@127.0.0.1 PRIVMSG bench :Hello: from the fake LLM.\r\n");
        assert_eq!(parsed.nick.as_deref(), Some("claw"));
        assert_eq!(parsed.command, "PRIVMSG");
        assert_eq!(parsed.params, ["bench", "Hello: from the fake LLM."]);
        assert!(parsed.is_privmsg("Claw", "BENCH"));
        assert!(!parsed.is_privmsg("claw", "#bench"));
        assert_eq!(parsed.text(), "Hello: from the fake LLM.");
    }

    #[test]
    fn server_lines_tags_and_lines_without_a_trailing_parameter_parse() {
        let ping = line("PING :irc.rustyclaw.test");
        assert_eq!((ping.nick, ping.command.as_str()), (None, "PING"));
        assert_eq!(ping.params, ["irc.rustyclaw.test"]);
        let tagged = line("@time=2026-12-07T00:00:00Z :claw!u@h JOIN #bench");
        assert_eq!(tagged.nick.as_deref(), Some("claw"));
        assert_eq!(tagged.params, ["#bench"]);
        assert_eq!(Line::parse("\r\n"), None);
    }

    #[test]
    fn a_nick_is_seen_in_a_channel_by_its_join_or_in_the_name_list() {
        assert!(line(":claw!~claw@127.0.0.1 JOIN :#bench").shows_in_channel("claw", "#bench"));
        assert!(!line(":claw!~claw@127.0.0.1 JOIN :#other").shows_in_channel("claw", "#bench"));
        let names = line(":irc.rustyclaw.test 353 bench = #bench :bench @claw");
        assert!(names.shows_in_channel("claw", "#bench"));
        assert!(names.shows_in_channel("bench", "#bench"));
        assert!(!names.shows_in_channel("claw2", "#bench"));
    }
}
