//! Answering the button presses of a stored batch (`answerCallbackQuery`), for polling and the
//! webhook alike: Telegram shows a pressed inline button as busy until it is answered.

use rustyclaw_protocol::origin::AccountId;

use super::api::BotApi;
use super::requests::AnswerCallbackQuery;
use super::types::{Update, UpdateKind};

/// Answers every button press among `updates`, once their batch is stored, so the buttons stop
/// spinning. A failure only leaves a button spinning until Telegram gives up on it, so it is
/// logged and not retried.
pub(super) async fn answer_button_presses(api: &BotApi, account: &AccountId, updates: &[Update]) {
    for update in updates {
        let UpdateKind::CallbackQuery(query) = &update.kind else {
            continue;
        };
        let answer = AnswerCallbackQuery {
            callback_query_id: query.id.clone(),
            text: None,
            show_alert: false,
        };
        if let Err(error) = api.answer_callback_query(&answer).await {
            tracing::debug!(%account, "telegram: could not answer a button press: {error}");
        }
    }
}
