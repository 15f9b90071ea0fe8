//! Receiving by webhook: the account's `run` when `webhookUrl` is set, as OpenClaw's webhook
//! mode does it.
//!
//! On start the settings are checked (a secret Telegram accepts, a path that is not the health
//! route), the bot's identity comes from `getMe`, the local listener binds `host:port`, and only
//! then is the webhook registered (`setWebhook` with the URL, the secret and the update kinds
//! polling asks for), so Telegram's first delivery finds someone listening; the account counts
//! as connected from there. Each delivery is handled by `webhook_route`, which answers 200 only
//! once the sink stored it.
//!
//! A webhook can go quiet for hours without anything being wrong, so requests are not the only
//! sign of life: every minute ([`WEBHOOK_CHECK_EVERY`]) `getWebhookInfo` says Telegram still
//! holds our URL, and reports the delivery errors Telegram saw (a proxy that answers 502, a
//! certificate it does not trust) into the status. The webhook having been deleted or replaced
//! (another instance polling or registering with the same token) ends `run` with
//! [`ChannelError::Conflict`], as a 409 ends polling; a refused token ends it with
//! [`ChannelError::Unauthorized`]. A check that fails for a passing reason is recorded and
//! tried again at the next tick; two missed ticks let the supervisor's stall watchdog restart
//! the account, which registers the webhook anew.
//!
//! The listener lives inside `run`'s future: when `run` ends or is dropped, it stops
//! accepting and its open connections are dropped. The webhook stays registered (Telegram keeps
//! the updates for the next start); `logout` deletes it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use rustyclaw_support::now_ms_i64;
use secrecy::ExposeSecret;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::account::{TelegramAccount, WEBHOOK_CHECK_EVERY, channel_error};
use super::config::TelegramWebhookConfig;
use super::receive::{ALLOWED_UPDATES, BotIdentity};
use super::requests::SetWebhook;
use super::webhook_route::{HEALTH_PATH, WebhookState, router};
use crate::account::{ChannelError, InboundSink, StatusHandle};

/// How long a connection may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest secret Telegram accepts.
const MAX_SECRET_LEN: usize = 256;

impl TelegramAccount {
    /// The account's `run` in webhook mode: see the module documentation.
    pub(super) async fn serve_webhook(
        &self,
        webhook: &TelegramWebhookConfig,
        sink: InboundSink,
        status: StatusHandle,
    ) -> Result<(), ChannelError> {
        self.keep_status(&status);
        status.update(|snapshot| snapshot.mode = Some("webhook".to_owned()));
        // Cleared however `run` ends, dropped by the supervisor included.
        let _listening = Listening(self);
        let result = self.serve_until_error(webhook, sink, &status).await;
        if let Err(error) = &result {
            status.disconnected(&error.to_string());
        }
        result
    }

    async fn serve_until_error(
        &self,
        webhook: &TelegramWebhookConfig,
        sink: InboundSink,
        status: &StatusHandle,
    ) -> Result<(), ChannelError> {
        check(webhook)?;
        let me = self.api.get_me().await.map_err(channel_error)?;
        let bot = BotIdentity {
            id: me.id,
            username: me.username.unwrap_or_default(),
        };
        let listener = TcpListener::bind((webhook.host.as_str(), webhook.port))
            .await
            .map_err(|error| {
                ChannelError::Connection(format!(
                    "could not listen on {}:{} for Telegram's webhook (webhookHost, \
                     webhookPort): {error}",
                    webhook.host, webhook.port
                ))
            })?;
        let address = listener.local_addr().map_err(|error| {
            ChannelError::Connection(format!("the webhook listener has no address: {error}"))
        })?;
        self.set_webhook_address(Some(address));
        let registered_at = now_ms_i64() / 1000;
        self.api
            .set_webhook(&SetWebhook {
                url: webhook.url.clone(),
                secret_token: Some(webhook.secret.expose_secret().to_owned()),
                allowed_updates: Some(ALLOWED_UPDATES.to_vec()),
                drop_pending_updates: false,
                max_connections: None,
            })
            .await
            .map_err(channel_error)?;
        status.connected(Some(format!("@{}", bot.username)));
        // The URL is not logged: it may carry a secret path.
        tracing::info!(
            account = %self.config.account_id,
            "telegram: receiving by webhook as @{} on http://{address}{}",
            bot.username,
            webhook.path
        );
        let closed = Arc::new(Notify::new());
        let app = router(WebhookState {
            path: Arc::from(webhook.path.as_str()),
            secret: Arc::new(webhook.secret.clone()),
            sink,
            status: status.clone(),
            bot: Arc::new(bot),
            api: self.api.clone(),
            account: self.config.account_id.clone(),
            closed: Arc::clone(&closed),
        });
        tokio::select! {
            () = accept(&listener, app) => Ok(()),
            result = self.watch(webhook, status, registered_at) => result,
            () = closed.notified() => Err(ChannelError::Closed),
        }
    }

    /// Checks the webhook every [`WEBHOOK_CHECK_EVERY`] until it is gone or a check fails for good.
    async fn watch(
        &self,
        webhook: &TelegramWebhookConfig,
        status: &StatusHandle,
        registered_at: i64,
    ) -> Result<(), ChannelError> {
        // Only delivery errors from this registration on are news.
        let mut reported = registered_at.saturating_sub(1);
        loop {
            tokio::time::sleep(WEBHOOK_CHECK_EVERY).await;
            let info = match self.api.get_webhook_info().await {
                Ok(info) => info,
                Err(error) if error.is_transient() => {
                    tracing::warn!(
                        account = %self.config.account_id,
                        "telegram: could not check the webhook: {error}"
                    );
                    status.error(&format!("could not check the webhook: {error}"));
                    continue;
                }
                Err(error) => return Err(channel_error(error)),
            };
            status.alive();
            if info.url != webhook.url {
                return Err(ChannelError::Conflict(
                    "Telegram no longer delivers to webhookUrl: the webhook was deleted or \
                     replaced, by another instance polling or registering a webhook with the \
                     same bot token; make sure only one instance uses this token"
                        .to_owned(),
                ));
            }
            if let (Some(date), Some(message)) = (info.last_error_date, &info.last_error_message)
                && date > reported
            {
                reported = date;
                tracing::warn!(
                    account = %self.config.account_id,
                    pending = info.pending_update_count,
                    "telegram: Telegram could not deliver to the webhook: {message}"
                );
                status.error(&format!(
                    "Telegram could not deliver to the webhook: {message} ({} update(s) waiting)",
                    info.pending_update_count
                ));
            }
        }
    }
}

/// Refuses settings Telegram or the listener would refuse later, with the setting's name.
fn check(webhook: &TelegramWebhookConfig) -> Result<(), ChannelError> {
    let secret = webhook.secret.expose_secret();
    if secret.is_empty() {
        return Err(ChannelError::Unauthorized(
            "webhook mode requires webhookSecret: Telegram sends it with every delivery, and \
             requests without it are refused"
                .to_owned(),
        ));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if secret.len() > MAX_SECRET_LEN || !secret.chars().all(allowed) {
        return Err(ChannelError::Unauthorized(format!(
            "webhookSecret must be 1 to {MAX_SECRET_LEN} characters of A-Z, a-z, 0-9, _ and - \
             (Telegram refuses any other secret token)"
        )));
    }
    if !webhook.path.starts_with('/') || webhook.path == HEALTH_PATH {
        return Err(ChannelError::Unsupported(format!(
            "webhookPath {:?} must start with / and must not be {HEALTH_PATH}, which the \
             webhook listener answers for health checks",
            webhook.path
        )));
    }
    Ok(())
}

/// Accepts connections for ever, each served on a task of a set dropped with this future.
async fn accept(listener: &TcpListener, app: Router) {
    let service = TowerToHyperService::new(app);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve(stream, service.clone()));
                }
                Err(error) => {
                    // Out of descriptors or a passing failure: wait, as axum's own loop does.
                    tracing::warn!(%error, "telegram webhook: accept failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

/// Serves one connection; a client that does not send its request headers in time is cut off.
async fn serve(stream: TcpStream, service: TowerToHyperService<Router>) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    if let Err(error) = builder
        .serve_connection(TokioIo::new(stream), service)
        .await
    {
        tracing::debug!(%error, "telegram webhook connection ended");
    }
}

/// Clears the account's listening address when dropped.
struct Listening<'a>(&'a TelegramAccount);

impl Drop for Listening<'_> {
    fn drop(&mut self) {
        self.0.set_webhook_address(None);
    }
}

impl TelegramAccount {
    /// Where the webhook listener of the running `run` listens (with `webhookPort: 0`, the port
    /// the system picked); `None` when `run` is not listening.
    pub fn webhook_address(&self) -> Option<SocketAddr> {
        *self.webhook_address_slot()
    }

    fn set_webhook_address(&self, address: Option<SocketAddr>) {
        *self.webhook_address_slot() = address;
    }
}
