//! `doctor` reaches out: it sends the configured model one short request and knocks at the
//! gateway's port, and says in plain words what failed and how to fix it; `status` says whether
//! a gateway runs and where.

use rustyclaw_testkit::TempStateDir;
use rustyclaw_testkit::fake_llm::{FakeLlm, Turn};
use serde_json::Value;

use super::{FAKE_API_KEY, fake_llm_config, free_port, rc, start_gateway};

fn find<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

/// `rustyclaw <args> --json`, parsed.
async fn json_of(dir: &TempStateDir, args: &[&str]) -> Value {
    let out = rc(dir)
        .args(args.iter().copied())
        .arg("--json")
        .run()
        .await
        .unwrap();
    serde_json::from_str(&out.stdout_str()).unwrap()
}

/// The fake model's config on a free gateway port; returned for further changes.
fn configure(dir: &TempStateDir, fake: &FakeLlm) -> Value {
    let mut config = fake_llm_config(dir, fake, "doctor-token");
    config["gateway"]["port"] = free_port().into();
    dir.write_config(&config.to_string()).unwrap();
    config
}

async fn doctor(dir: &TempStateDir) -> (Option<i32>, Value, String) {
    let out = rc(dir).args(["doctor", "--json"]).run().await.unwrap();
    let report = serde_json::from_str(&out.stdout_str()).unwrap();
    let human = rc(dir).args(["doctor"]).run().await.unwrap();
    (
        out.code(),
        report,
        format!("{}{}", human.stdout_str(), human.stderr_str()),
    )
}

#[tokio::test]
async fn the_model_probe_passes_and_each_failure_gets_its_own_fix() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = configure(&dir, &fake);

    fake.push(Turn::text("OK"));
    let report = json_of(&dir, &["doctor"]).await;
    let probe = find(&report, "model.probe");
    assert_eq!(probe["status"], "ok", "{probe:#}");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .starts_with("fake/fake-model answered in"),
        "{probe:#}"
    );
    let gateway = find(&report, "gateway");
    assert_eq!(gateway["status"], "ok");
    assert!(
        gateway["message"]
            .as_str()
            .unwrap()
            .starts_with("not running"),
        "{gateway:#}"
    );

    // The key refused: a failure naming the key, not the network.
    fake.push(Turn::error(401));
    fake.push(Turn::error(401));
    let (code, report, human) = doctor(&dir).await;
    assert_eq!(code, Some(1), "{report:#}");
    let probe = find(&report, "model.probe");
    assert_eq!(probe["status"], "fail");
    assert!(
        probe["hint"]
            .as_str()
            .unwrap()
            .contains("the key was refused"),
        "{probe:#}"
    );
    assert!(!human.contains(FAKE_API_KEY), "{human}");

    // Nothing listening: "could not reach", with the fix, and never called a timeout.
    config["models"]["providers"]["fake"]["baseUrl"] =
        format!("http://127.0.0.1:{}/v1", free_port()).into();
    dir.write_config(&config.to_string()).unwrap();
    let (code, report, human) = doctor(&dir).await;
    assert_eq!(code, Some(1));
    let probe = find(&report, "model.probe");
    assert_eq!(probe["status"], "fail");
    assert!(
        probe["message"]
            .as_str()
            .unwrap()
            .contains("could not reach fake"),
        "{probe:#}"
    );
    assert!(
        probe["hint"]
            .as_str()
            .unwrap()
            .starts_with("start the model server"),
        "{probe:#}"
    );
    for wrong in ["timeout", "timed out", "failing over"] {
        assert!(!human.contains(wrong), "{wrong:?} in {human}");
    }
    assert!(
        human.contains("[FAIL] model.probe") && human.contains("fix: start the model server"),
        "{human}"
    );
}

#[tokio::test]
async fn doctor_and_status_see_whether_a_gateway_runs() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let config = configure(&dir, &fake);
    let port = &config["gateway"]["port"];
    let status = rc(&dir)
        .arg("status")
        .run()
        .await
        .unwrap()
        .stdout_str()
        .into_owned();
    assert!(
        status.contains(&format!(
            "not running (nothing answers at ws://127.0.0.1:{port}; start it with `rustyclaw gateway run`)"
        )),
        "{status}"
    );

    let (mut server, url) = start_gateway(&dir, &[]).await;
    let status = rc(&dir)
        .arg("status")
        .run()
        .await
        .unwrap()
        .stdout_str()
        .into_owned();
    assert!(status.contains(&format!("running at {url} (")), "{status}");
    let report = json_of(&dir, &["status"]).await;
    assert_eq!(report["gateway"]["running"], true, "{report:#}");
    assert_eq!(report["gateway"]["url"], url.as_str());
    fake.push(Turn::text("OK"));
    let report = json_of(&dir, &["doctor"]).await;
    let gateway = find(&report, "gateway");
    assert_eq!(gateway["status"], "ok", "{gateway:#}");
    assert!(
        gateway["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("running at {url}")),
        "{gateway:#}"
    );
    server.kill().await.unwrap();
}

#[tokio::test]
async fn doctor_refuses_a_listener_the_gateway_would_refuse() {
    let dir = TempStateDir::new().unwrap();
    let fake = FakeLlm::start().await.unwrap();
    let mut config = configure(&dir, &fake);
    config["gateway"]["bind"] = "tailnet".into();
    dir.write_config(&config.to_string()).unwrap();
    fake.push(Turn::text("OK"));
    let report = json_of(&dir, &["doctor"]).await;
    let gateway = find(&report, "gateway");
    assert_eq!(gateway["status"], "fail", "{gateway:#}");
    // The words `gateway run` uses to refuse it.
    let run = rc(&dir).args(["gateway", "run"]).run().await.unwrap();
    assert!(!run.success());
    let refused = gateway["message"].as_str().unwrap();
    assert!(
        refused.contains("not supported yet") && run.stderr_str().contains(refused),
        "doctor: {gateway:#}\ngateway run: {}",
        run.stderr_str()
    );
}
