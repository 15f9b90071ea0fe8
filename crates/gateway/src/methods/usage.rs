//! `usage.cost`: tokens and cost per day over a date range, summed from the transcripts (see
//! `rustyclaw_store::UsageRow`), in upstream's shape (`daily`, `totals`, `days`,
//! `cacheStatus`), plus `byModel` (the same totals per provider and model) and each day's
//! `models`, which the Control UI's usage chart shows.

use std::collections::BTreeMap;

use rustyclaw_store::UsageRow;
use serde_json::{Map, Value, json};

use super::config::params::check_keys;
use super::{Fail, Reply, invalid, unavailable};
use crate::calendar::{day_key, parse_day_key};
use crate::clock::now_ms;
use crate::state::GatewayState;

/// Days covered when the request names none (upstream: the last 30 days, today included).
const DEFAULT_DAYS: i64 = 30;
/// Longest range answered.
const MAX_DAYS: i64 = 3660;

/// `usage.cost {startDate?, endDate?, days?, range?, agentId?, agentScope?, mode?, timeZone?}`.
pub(super) async fn cost(state: &GatewayState, params: &Value) -> Reply {
    const METHOD: &str = "usage.cost";
    check_keys(
        METHOD,
        params,
        &[
            "startDate",
            "endDate",
            "days",
            "range",
            "agentId",
            "agentScope",
            "mode",
            "timeZone",
            "utcOffset",
        ],
    )?;
    let today = i64::try_from(now_ms() / 86_400_000).unwrap_or_default();
    let end = match params.get("endDate").and_then(Value::as_str) {
        Some(text) => parse_day_key(text).ok_or_else(|| bad_date("endDate", text))?,
        None => today,
    };
    let span = match params.get("range").and_then(Value::as_str) {
        None => params
            .get("days")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_DAYS),
        Some("7d") => 7,
        Some("30d") => 30,
        Some("90d") => 90,
        Some("1y") => 365,
        Some("all") => MAX_DAYS,
        Some(other) => {
            return Err(invalid(format!(
                "invalid usage.cost params: range \"{other}\" is not one of 7d, 30d, 90d, 1y, all"
            )));
        }
    };
    let start = match params.get("startDate").and_then(Value::as_str) {
        Some(text) => parse_day_key(text).ok_or_else(|| bad_date("startDate", text))?,
        None => end - span.clamp(1, MAX_DAYS) + 1,
    };
    if start > end || end - start >= MAX_DAYS {
        return Err(invalid(format!(
            "invalid usage.cost params: the range {} to {} is empty or longer than {MAX_DAYS} days",
            day_key(start),
            day_key(end)
        )));
    }
    let agent_id = params
        .get("agentId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if agent_id.is_some() && params.get("agentScope").and_then(Value::as_str) == Some("all") {
        return Err(invalid("agentScope=all cannot be combined with agentId"));
    }
    let rows = state
        .0
        .store
        .usage_by_day(day_key(start), day_key(end), agent_id)
        .await
        .map_err(|e| unavailable("usage.cost", &e))?;
    Ok(summary(&rows, start, end))
}

fn bad_date(field: &str, text: &str) -> Fail {
    invalid(format!(
        "invalid usage.cost params: {field} \"{text}\" is not a YYYY-MM-DD date"
    ))
}

/// The answer for `rows` over the days `start..=end` (every day present, zero when idle).
fn summary(rows: &[UsageRow], start: i64, end: i64) -> Value {
    let mut daily: BTreeMap<String, (Totals, Map<String, Value>)> = (start..=end)
        .map(|day| (day_key(day), (Totals::default(), Map::new())))
        .collect();
    let mut by_model: BTreeMap<(String, String), Totals> = BTreeMap::new();
    let mut all = Totals::default();
    for row in rows {
        let (day, models) = daily.entry(row.day.clone()).or_default();
        day.add(row);
        let name = if row.provider.is_empty() {
            row.model.clone()
        } else {
            format!("{}/{}", row.provider, row.model)
        };
        let mut one = Totals::default();
        one.add(row);
        models.insert(name, one.json());
        by_model
            .entry((row.provider.clone(), row.model.clone()))
            .or_default()
            .add(row);
        all.add(row);
    }
    let daily: Vec<Value> = daily
        .into_iter()
        .map(|(date, (totals, models))| {
            let mut entry = totals.json();
            entry["date"] = json!(date);
            entry["models"] = Value::Object(models);
            entry
        })
        .collect();
    let by_model: Vec<Value> = by_model
        .into_iter()
        .map(|((provider, model), totals)| {
            let mut entry = totals.json();
            entry["provider"] = json!(provider);
            entry["model"] = json!(model);
            entry
        })
        .collect();
    json!({
        "updatedAt": now_ms(),
        "days": end - start + 1,
        "daily": daily,
        "totals": all.json(),
        "byModel": by_model,
        "cacheStatus": {"status": "fresh", "cachedFiles": 0, "pendingFiles": 0, "staleFiles": 0},
    })
}

/// Summed usage, in upstream's `CostUsageTotals` fields.
#[derive(Debug, Default, Clone)]
struct Totals {
    input: u64,
    output: u64,
    cache_read: u64,
    cache_write: u64,
    total_tokens: u64,
    input_cost: f64,
    output_cost: f64,
    cache_read_cost: f64,
    cache_write_cost: f64,
    total_cost: f64,
    missing_cost: u64,
    calls: u64,
}

impl Totals {
    fn add(&mut self, row: &UsageRow) {
        self.input += row.input;
        self.output += row.output;
        self.cache_read += row.cache_read;
        self.cache_write += row.cache_write;
        self.total_tokens += row.total_tokens;
        self.input_cost += row.input_cost;
        self.output_cost += row.output_cost;
        self.cache_read_cost += row.cache_read_cost;
        self.cache_write_cost += row.cache_write_cost;
        self.total_cost += row.total_cost;
        self.missing_cost += row.missing_cost;
        self.calls += row.calls;
    }

    fn json(&self) -> Value {
        json!({
            "input": self.input,
            "output": self.output,
            "cacheRead": self.cache_read,
            "cacheWrite": self.cache_write,
            "totalTokens": self.total_tokens,
            "totalCost": self.total_cost,
            "inputCost": self.input_cost,
            "outputCost": self.output_cost,
            "cacheReadCost": self.cache_read_cost,
            "cacheWriteCost": self.cache_write_cost,
            "missingCostEntries": self.missing_cost,
            "calls": self.calls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_range_is_present_and_models_are_summed() {
        let start = parse_day_key("2026-12-01").unwrap();
        let end = parse_day_key("2026-12-03").unwrap();
        let row = |day: &str, model: &str, tokens: u64, cost: f64| UsageRow {
            day: day.into(),
            provider: "fake".into(),
            model: model.into(),
            calls: 1,
            input: tokens,
            total_tokens: tokens,
            total_cost: cost,
            ..UsageRow::default()
        };
        let out = summary(
            &[
                row("2026-12-01", "a", 10, 0.5),
                row("2026-12-03", "a", 5, 0.25),
                row("2026-12-03", "b", 7, 0.0),
            ],
            start,
            end,
        );
        assert_eq!(out["days"], 3);
        let days: Vec<&str> = out["daily"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["date"].as_str().unwrap())
            .collect();
        assert_eq!(days, ["2026-12-01", "2026-12-02", "2026-12-03"]);
        assert_eq!(out["daily"][1]["totalTokens"], 0);
        assert_eq!(out["daily"][2]["totalTokens"], 12);
        assert_eq!(out["daily"][2]["models"]["fake/b"]["totalTokens"], 7);
        assert_eq!(out["totals"]["totalTokens"], 22);
        assert_eq!(out["totals"]["totalCost"], 0.75);
        assert_eq!(out["byModel"][0]["model"], "a");
        assert_eq!(out["byModel"][0]["totalTokens"], 15);
    }
}
