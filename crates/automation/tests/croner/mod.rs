//! Cron next-run times against the JavaScript `croner` that OpenClaw itself runs (the copy in
//! the conformance install's `node_modules`): for each expression, zone and instant — daylight
//! saving gaps and folds, both day fields, `+`, `L`, `W`, `#`, six fields, nicknames — the next
//! run rustyclaw computes is the one OpenClaw computes.

use jiff::tz::TimeZone;
use rustyclaw_automation::parse_absolute_time_ms;
use rustyclaw_automation::schedule::CompiledCron;
use rustyclaw_testkit::conformance::OfficialCli;
use serde_json::{Value, json};

/// (expression, zone, instant after which the next run is asked).
const CASES: &[(&str, &str, &str)] = &[
    ("0 7 * * *", "UTC", "2026-12-07T06:59:59.999Z"),
    ("0 7 * * *", "UTC", "2026-12-07T07:00:00.000Z"),
    ("0 7 * * *", "UTC", "2026-12-07T07:00:00.400Z"),
    ("*/5 * * * *", "Europe/Berlin", "2026-12-07T10:03:12.345Z"),
    ("*/15 * * * * *", "UTC", "2026-12-07T10:03:12.345Z"),
    ("0 9 * * 1-5", "America/New_York", "2026-12-05T15:00:00Z"),
    // Day of month OR day of week, unless `+` asks for both.
    ("0 9 15 * 1", "UTC", "2026-12-01T00:00:00Z"),
    ("0 9 15 * +1", "UTC", "2026-12-01T00:00:00Z"),
    ("0 0 L * *", "UTC", "2026-02-10T00:00:00Z"),
    ("0 12 * * 5#2", "UTC", "2026-12-01T00:00:00Z"),
    ("0 9 1W * *", "UTC", "2026-10-15T00:00:00Z"),
    ("@daily", "Asia/Tokyo", "2026-12-07T10:00:00Z"),
    ("0 0 1 1 *", "Asia/Shanghai", "2026-12-31T15:59:59Z"),
    // New York springs forward on 2026-03-08 (02:00 → 03:00) and falls back on 2026-11-01.
    ("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z"),
    ("30 2 * * *", "America/New_York", "2026-03-08T06:00:00Z"),
    ("0 * * * *", "America/New_York", "2026-03-08T06:30:00Z"),
    ("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z"),
    ("30 1 * * *", "America/New_York", "2026-11-01T05:31:00Z"),
    ("*/30 * * * *", "America/New_York", "2026-11-01T05:45:00Z"),
    ("*/30 * * * *", "America/New_York", "2026-11-01T06:15:00Z"),
    ("0 * * * *", "America/New_York", "2026-11-01T06:00:00Z"),
    // Berlin: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00.
    ("15 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z"),
    ("15 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z"),
    ("15 2 * * *", "Europe/Berlin", "2026-10-25T00:20:00Z"),
    // Lord Howe moves by half an hour.
    ("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T10:00:00Z"),
    ("0 0 29 2 *", "UTC", "2026-03-01T00:00:00Z"),
];

/// What OpenClaw's scheduler gets for each case: croner's `nextRun`, with the scheduler's own
/// retries when croner answers a time that is not ahead (from the next second, then from the
/// next UTC midnight), as `computeNextRunAtMs` in its `src/cron/schedule.ts` does.
const SCRIPT: &str = r#"
const args = process.argv.slice(1).filter((a) => a !== "--");
const { Cron } = require(args[0]);
const cases = JSON.parse(args[1]);
const out = cases.map((c) => {
  const cron = new Cron(c.expr, { timezone: c.tz, catch: false });
  const next = cron.nextRun(new Date(c.now));
  if (!next) return null;
  if (next.getTime() > c.now) return next.getTime();
  const retry = cron.nextRun(new Date(Math.floor(c.now / 1000) * 1000 + 1000));
  if (retry && retry.getTime() > c.now) return retry.getTime();
  const retry2 = cron.nextRun(new Date(new Date(c.now).setUTCHours(24, 0, 0, 0)));
  if (retry2 && retry2.getTime() > c.now) return retry2.getTime();
  return null;
});
process.stdout.write(JSON.stringify(out));
"#;

/// The one place rustyclaw differs on purpose. Inside the repeated hour of a fall-back night,
/// croner answers a time in the past (01:30 EDT when asked after 01:15 EST); OpenClaw's
/// scheduler then retries from the next UTC midnight, so a half-hourly job skips the rest of
/// the day. rustyclaw walks on to the next wall time that is ahead (02:00 EST).
const DELIBERATE: &[(&str, &str, &str, &str)] = &[(
    "*/30 * * * *",
    "America/New_York",
    "2026-11-01T06:15:00Z",
    "2026-11-01T07:00:00Z",
)];

#[tokio::test]
async fn next_runs_match_the_croner_openclaw_runs() {
    let cli =
        OfficialCli::from_env().expect("the conformance install (scripts/conformance-deps.sh)");
    let croner = cli
        .dependency("croner")
        .expect("croner in the conformance install's node_modules");
    let cases: Vec<Value> = CASES
        .iter()
        .map(|(expr, tz, now)| {
            json!({"expr": expr, "tz": tz, "now": parse_absolute_time_ms(now).unwrap()})
        })
        .collect();
    let out = cli
        .run_node(
            SCRIPT,
            &[
                croner.display().to_string(),
                Value::Array(cases.clone()).to_string(),
            ],
        )
        .await
        .unwrap();
    let expected: Vec<Option<i64>> = serde_json::from_str(&out).unwrap();
    assert_eq!(expected.len(), CASES.len());
    let host = TimeZone::UTC;
    let mut differences = Vec::new();
    for ((expr, tz, now), want) in CASES.iter().zip(expected) {
        let cron = CompiledCron::new(expr, Some(tz), &host).unwrap();
        let got = cron.next_after(parse_absolute_time_ms(now).unwrap());
        if let Some((.., ours)) = DELIBERATE
            .iter()
            .find(|(e, z, n, _)| (e, z, n) == (expr, tz, now))
        {
            assert_eq!(
                got,
                parse_absolute_time_ms(ours),
                "{expr} in {tz} after {now}"
            );
            assert_ne!(
                got, want,
                "{expr} in {tz} after {now}: no longer differs from OpenClaw"
            );
            continue;
        }
        if got != want {
            let show = |ms: Option<i64>| {
                ms.and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
                    .map_or("none".to_owned(), |t| t.to_string())
            };
            differences.push(format!(
                "{expr} in {tz} after {now}: rustyclaw {}, croner {}",
                show(got),
                show(want)
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
