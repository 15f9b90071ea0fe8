//! The channel accounts of a config, built: a Telegram or IRC adapter for each enabled account
//! whose settings are complete, or the reason it does not run.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use rustyclaw_channels::account::ChannelAccount;
use rustyclaw_channels::irc::{
    ChannelJoin, IrcAccount, IrcAccountConfig, IrcConfig, NickServ, TlsOptions,
};
use rustyclaw_channels::telegram::{
    BotToken, TelegramAccount, TelegramAccountConfig, TelegramWebhookConfig,
};
use rustyclaw_channels::text::IrcFormatting;
use rustyclaw_config::{
    AccountSettings, Config, ExposeSecret, IrcAccountSettings, Secret, TelegramAccountSettings,
};
use rustyclaw_protocol::origin::AccountId;
use rustyclaw_store::Store;
use secrecy::SecretString;

use super::hub::AccountKey;

/// One configured account.
pub(crate) struct Built {
    pub key: AccountKey,
    pub adapter: Option<Arc<dyn ChannelAccount>>,
    pub settings: AccountSettings,
    /// Changes whenever anything the adapter is built from changes (credentials included).
    pub fingerprint: u64,
    /// Why it does not run, when it does not.
    pub problem: Option<String>,
}

/// Every Telegram and IRC account of `config`.
pub(crate) async fn accounts(config: &Config, store: &Store) -> Vec<Built> {
    let mut built = Vec::new();
    for account in &config.channel_accounts.telegram {
        built.push(telegram(account, store).await);
    }
    for account in &config.channel_accounts.irc {
        built.push(irc(account));
    }
    built
}

fn secret_hash(hasher: &mut DefaultHasher, secret: Option<&Secret>) {
    secret.map(|s| s.expose_secret().to_owned()).hash(hasher);
}

fn not_running(
    key: AccountKey,
    settings: &AccountSettings,
    fingerprint: u64,
    why: String,
) -> Built {
    Built {
        key,
        adapter: None,
        settings: settings.clone(),
        fingerprint,
        problem: Some(why),
    }
}

async fn telegram(account: &TelegramAccountSettings, store: &Store) -> Built {
    let settings = &account.common;
    let key = AccountKey::new("telegram", &settings.account_id);
    // Only what the connection is made of: access rules, text settings, streaming and the ack
    // reaction are read per message and change without a reconnect.
    let mut hasher = DefaultHasher::new();
    (
        settings.enabled,
        &settings.problems,
        &account.webhook_url,
        &account.webhook_host,
        account.webhook_port,
        &account.webhook_path,
        &account.api_root,
        account.poll_timeout,
    )
        .hash(&mut hasher);
    secret_hash(&mut hasher, account.bot_token.as_ref());
    secret_hash(&mut hasher, account.webhook_secret.as_ref());
    let fingerprint = hasher.finish();
    if !settings.enabled {
        return not_running(
            key,
            settings,
            fingerprint,
            "disabled (enabled: false)".to_owned(),
        );
    }
    if let Some(problem) = settings.problems.first() {
        return not_running(key, settings, fingerprint, problem.clone());
    }
    let Some(token) = account.bot_token.as_ref() else {
        return not_running(key, settings, fingerprint, "no bot token".to_owned());
    };
    let token = match BotToken::new(token.expose_secret()) {
        Ok(token) => token,
        Err(error) => {
            return not_running(
                key,
                settings,
                fingerprint,
                format!("{}.botToken: {error}", settings.config_path),
            );
        }
    };
    let mut config = TelegramAccountConfig::new(AccountId::new(settings.account_id.clone()), token);
    if let Some(timeout) = account.poll_timeout {
        config.poll_timeout = timeout;
    }
    if let Some(root) = &account.api_root {
        config.api_root = root.trim_end_matches('/').to_owned();
    }
    // The config requires webhookSecret with webhookUrl; should one still be missing, the
    // account's `run` refuses to start and says so.
    config.webhook = account
        .webhook_url
        .as_ref()
        .map(|url| TelegramWebhookConfig {
            url: url.clone(),
            secret: SecretString::from(
                account
                    .webhook_secret
                    .as_ref()
                    .map(|secret| secret.expose_secret().to_owned())
                    .unwrap_or_default(),
            ),
            host: account.webhook_host.clone(),
            port: account.webhook_port,
            path: account.webhook_path.clone(),
        });
    config.initial_offset = match store
        .channel_offset(&key.channel_id(), &key.account_id())
        .await
    {
        Ok(offset) => offset,
        Err(error) => {
            return not_running(
                key,
                settings,
                fingerprint,
                format!("cannot read the saved polling offset: {error}"),
            );
        }
    };
    match TelegramAccount::new(config) {
        Ok(adapter) => Built {
            key,
            adapter: Some(Arc::new(adapter)),
            settings: settings.clone(),
            fingerprint,
            problem: None,
        },
        Err(error) => not_running(key, settings, fingerprint, error.to_string()),
    }
}

fn irc(account: &IrcAccountSettings) -> Built {
    let settings = &account.common;
    let key = AccountKey::new("irc", &settings.account_id);
    // Only what the connection is made of (see `telegram`).
    let mut hasher = DefaultHasher::new();
    (
        settings.enabled,
        &settings.problems,
        &account.host,
        account.port,
        account.tls,
        &account.nick,
        &account.username,
        &account.realname,
        &account.channels,
    )
        .hash(&mut hasher);
    account
        .nickserv
        .as_ref()
        .map(|n| (&n.service, &n.register_email))
        .hash(&mut hasher);
    secret_hash(&mut hasher, account.password.as_ref());
    secret_hash(&mut hasher, account.nickserv.as_ref().map(|n| &n.password));
    let fingerprint = hasher.finish();
    if !settings.enabled {
        return not_running(
            key,
            settings,
            fingerprint,
            "disabled (enabled: false)".to_owned(),
        );
    }
    if let Some(problem) = settings.problems.first() {
        return not_running(key, settings, fingerprint, problem.clone());
    }
    let (Some(host), Some(nick)) = (account.host.as_deref(), account.nick.as_deref()) else {
        return not_running(key, settings, fingerprint, "no host or nick".to_owned());
    };
    let tls = account.tls.then(TlsOptions::default);
    let mut client = IrcConfig::new(host, account.port, tls, nick);
    if let Some(username) = &account.username {
        client.username = username.clone();
    }
    client.realname = account
        .realname
        .clone()
        .unwrap_or_else(|| "rustyclaw".to_owned());
    client.server_password = account
        .password
        .as_ref()
        .map(|p| SecretString::from(p.expose_secret().to_owned()));
    client.nickserv = account.nickserv.as_ref().map(|n| NickServ {
        service: n.service.clone(),
        password: SecretString::from(n.password.expose_secret().to_owned()),
        register_email: n.register_email.clone(),
    });
    client.channels = account
        .channels
        .iter()
        .map(|name| ChannelJoin {
            name: name.clone(),
            key: None,
        })
        .collect();
    let adapter = IrcAccount::new(IrcAccountConfig {
        account_id: AccountId::new(settings.account_id.clone()),
        client,
        formatting: IrcFormatting::Plain,
    });
    Built {
        key,
        adapter: Some(Arc::new(adapter)),
        settings: settings.clone(),
        fingerprint,
        problem: None,
    }
}
