//! Jobs as rustyclaw writes them are valid `CronJob`s of OpenClaw's own protocol schema (the
//! conformance install's), in every payload and schedule kind rustyclaw runs, with state.

use rustyclaw_automation::job::{
    Delivery, DeliveryMode, Job, JobState, Payload, SessionTarget, WakeMode,
};
use rustyclaw_automation::schedule::Schedule;
use rustyclaw_automation::timing::{JobTiming, RunStatus};
use rustyclaw_testkit::protocol_schema::ProtocolSchema;

fn job(schedule: Schedule, target: SessionTarget, payload: Payload) -> Job {
    Job {
        id: "7d1f0c2a-3b4e-4c5d-8e6f-9a0b1c2d3e4f".into(),
        agent_id: Some("main".into()),
        session_key: Some("agent:main:main".into()),
        name: "A job".into(),
        description: Some("what it is for".into()),
        enabled: true,
        delete_after_run: Some(false),
        created_at_ms: 1_796_601_600_000,
        updated_at_ms: 1_796_601_660_000,
        schedule,
        session_target: target,
        wake_mode: WakeMode::NextHeartbeat,
        payload,
        delivery: Some(Delivery {
            mode: DeliveryMode::Announce,
            channel: Some("telegram".into()),
            to: Some("12345".into()),
            thread_id: None,
            account_id: None,
            best_effort: Some(true),
        }),
        state: JobState {
            timing: JobTiming {
                next_run_at_ms: Some(1_796_605_200_000),
                running_at_ms: None,
                last_run_at_ms: Some(1_796_601_700_000),
                last_run_status: Some(RunStatus::Error),
                last_duration_ms: Some(1_234),
                consecutive_errors: 2,
            },
            last_error: Some("model timed out".into()),
        },
    }
}

#[test]
fn jobs_are_valid_cron_jobs_of_openclaws_protocol() {
    let schema = ProtocolSchema::from_env().expect("the conformance install's protocol schema");
    let agent_turn = Payload::AgentTurn {
        message: "Summarise my inbox".into(),
        model: Some("openai/gpt-5".into()),
        fallbacks: Some(vec![]),
        thinking: Some("low".into()),
        timeout_seconds: Some(120.0),
        allow_unsafe_external_content: None,
        light_context: Some(true),
        tools_allow: Some(vec!["read".into(), "exec".into()]),
        tools_allow_is_default: Some(false),
    };
    let cases = [
        job(
            Schedule::At {
                at: "2026-12-24T18:00:00Z".into(),
            },
            SessionTarget::Isolated,
            agent_turn.clone(),
        ),
        job(
            Schedule::Every {
                every_ms: 1_800_000,
                anchor_ms: Some(1_796_601_600_000),
            },
            SessionTarget::Main,
            Payload::SystemEvent {
                text: "Check the build".into(),
                tools_allow: None,
                tools_allow_is_default: None,
            },
        ),
        job(
            Schedule::Cron {
                expr: "0 7 * * 1-5".into(),
                tz: Some("Europe/Berlin".into()),
                stagger_ms: Some(0),
            },
            SessionTarget::Session("agent:main:ops".into()),
            agent_turn,
        ),
        job(
            Schedule::Cron {
                expr: "*/15 * * * *".into(),
                tz: None,
                stagger_ms: None,
            },
            SessionTarget::Current,
            Payload::Command {
                argv: vec!["./backup.sh".into(), "--quick".into()],
                cwd: Some("/srv".into()),
                env: None,
                input: None,
                timeout_seconds: Some(60.0),
                no_output_timeout_seconds: None,
                output_max_bytes: Some(65_536),
                tools_allow: None,
                tools_allow_is_default: None,
            },
        ),
    ];
    for job in cases.clone() {
        let value = serde_json::to_value(&job).unwrap();
        if let Err(errors) = schema.validate_definition("CronJob", &value) {
            panic!("{value}\n{}", errors.join("\n"));
        }
    }
    // The check has teeth: a field upstream does not know is refused.
    let mut wrong = serde_json::to_value(&cases[0]).unwrap();
    wrong["state"]["retries"] = serde_json::json!(1);
    assert!(schema.validate_definition("CronJob", &wrong).is_err());
}
