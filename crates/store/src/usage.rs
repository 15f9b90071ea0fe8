//! Token and cost usage summed from the transcripts: every assistant message records the usage
//! and cost of its model call (`message.usage`), so a day's usage per model is one grouped query
//! over the stored lines, with nothing kept apart that could drift from them. Days are UTC
//! calendar days of the entry's timestamp.

use rusqlite::params;

use crate::error::SqliteContext;
use crate::{Store, StoreError};

/// Usage of one model on one day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageRow {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Provider id (`openai`, …); empty when the message names none.
    pub provider: String,
    /// Model id; empty when the message names none.
    pub model: String,
    /// Assistant messages (model calls) counted.
    pub calls: u64,
    /// Prompt tokens, not cached.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Prompt tokens read from the provider's cache.
    pub cache_read: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write: u64,
    /// All tokens of the calls.
    pub total_tokens: u64,
    /// Cost of the input tokens (USD).
    pub input_cost: f64,
    /// Cost of the output tokens (USD).
    pub output_cost: f64,
    /// Cost of the cache reads (USD).
    pub cache_read_cost: f64,
    /// Cost of the cache writes (USD).
    pub cache_write_cost: f64,
    /// Total cost (USD).
    pub total_cost: f64,
    /// Calls whose message recorded no cost (a model without prices).
    pub missing_cost: u64,
}

impl Store {
    /// Usage per day and model for the UTC days `from..=to` (`YYYY-MM-DD`), of the sessions of
    /// `agent_id` when given (transcripts whose session row is gone count only for all agents).
    pub async fn usage_by_day(
        &self,
        from: String,
        to: String,
        agent_id: Option<String>,
    ) -> Result<Vec<UsageRow>, StoreError> {
        self.run(move |conn| {
            let mut statement = conn
                .prepare(
                    "SELECT substr(timestamp, 1, 10) AS day,
                            coalesce(json_extract(line_json, '$.message.provider'), ''),
                            coalesce(json_extract(line_json, '$.message.model'), ''),
                            count(*),
                            sum(coalesce(json_extract(line_json, '$.message.usage.input'), 0)),
                            sum(coalesce(json_extract(line_json, '$.message.usage.output'), 0)),
                            sum(coalesce(json_extract(line_json, '$.message.usage.cacheRead'), 0)),
                            sum(coalesce(json_extract(line_json, '$.message.usage.cacheWrite'), 0)),
                            sum(coalesce(json_extract(line_json, '$.message.usage.totalTokens'), 0)),
                            total(json_extract(line_json, '$.message.usage.cost.input')),
                            total(json_extract(line_json, '$.message.usage.cost.output')),
                            total(json_extract(line_json, '$.message.usage.cost.cacheRead')),
                            total(json_extract(line_json, '$.message.usage.cost.cacheWrite')),
                            total(json_extract(line_json, '$.message.usage.cost.total')),
                            sum(json_extract(line_json, '$.message.usage.cost.total') IS NULL)
                     FROM transcript_entries
                     WHERE entry_type = 'message'
                       AND json_extract(line_json, '$.message.role') = 'assistant'
                       AND json_type(line_json, '$.message.usage') = 'object'
                       AND substr(timestamp, 1, 10) BETWEEN ?1 AND ?2
                       AND (?3 IS NULL OR session_id IN
                            (SELECT session_id FROM sessions WHERE agent_id = ?3))
                     GROUP BY day, 2, 3
                     ORDER BY day, 2, 3",
                )
                .during("sum usage")?;
            let rows = statement
                .query_map(params![from, to, agent_id], |row| {
                    let count = |i: usize| -> rusqlite::Result<u64> {
                        Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap_or(0))
                    };
                    Ok(UsageRow {
                        day: row.get(0)?,
                        provider: row.get(1)?,
                        model: row.get(2)?,
                        calls: count(3)?,
                        input: count(4)?,
                        output: count(5)?,
                        cache_read: count(6)?,
                        cache_write: count(7)?,
                        total_tokens: count(8)?,
                        input_cost: row.get(9)?,
                        output_cost: row.get(10)?,
                        cache_read_cost: row.get(11)?,
                        cache_write_cost: row.get(12)?,
                        total_cost: row.get(13)?,
                        missing_cost: count(14)?,
                    })
                })
                .during("sum usage")?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.during("sum usage")?);
            }
            Ok(out)
        })
        .await
    }
}
