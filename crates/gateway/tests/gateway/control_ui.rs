//! The Control UI over HTTP: the embedded page and its assets (compressed, cached, walled in
//! by the security headers), the app-shell fallback and its `Accept` rule, the base path, the
//! authenticated `control-ui-config.json`, and a built UI served from `gateway.controlUi.root`.

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::harness::{Gateway, TOKEN};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn url(gateway: &Gateway, path: &str) -> String {
    format!("http://{}{path}", gateway.addr)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_embedded_page_is_served_with_its_walls() {
    let gateway = Gateway::start().await;
    let response = http().get(url(&gateway, "/")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let csp = header(&response, "content-security-policy").to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&response, "x-frame-options"), "DENY");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "cache-control"), "no-cache");
    let page = response.text().await.unwrap();
    assert!(page.contains("<base href=\"/\">"), "{page}");
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(script.starts_with("assets/"), "{script}");

    // Assets: immutable under their build id, gzipped for clients that take it.
    let asset = http()
        .get(url(&gateway, &format!("/{script}")))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(header(&asset, "content-encoding"), "gzip");
    assert_eq!(
        header(&asset, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(header(&asset, "cache-control").contains("immutable"));
    let etag = header(&asset, "etag").to_owned();
    let again = http()
        .get(url(&gateway, &format!("/{script}")))
        .header("accept-encoding", "gzip")
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // A client without gzip gets the file inflated (it is stored gzipped only).
    let plain = http()
        .get(url(&gateway, &format!("/{script}")))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert_eq!(header(&plain, "content-encoding"), "");
    assert!(plain.text().await.unwrap().contains("import "));
    // Another build's path is gone, not today's file under a stale name.
    let file = script.splitn(3, '/').nth(2).unwrap();
    let stale = format!("assets/0000000000000000/{file}");
    assert_eq!(
        http()
            .get(url(&gateway, &format!("/{stale}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn app_routes_fall_back_to_the_page_only_for_html() {
    let gateway = Gateway::start().await;
    let page = http()
        .get(url(&gateway, "/sessions"))
        .header("accept", "text/html,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(header(&page, "content-type").starts_with("text/html"));
    for accept in ["application/json", "text/html;q=0, */*"] {
        let response = http()
            .get(url(&gateway, "/sessions"))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "Accept: {accept}");
    }
    // Only reads are the UI's.
    let post = http()
        .post(url(&gateway, "/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 404);
    // Traversal out of the UI is refused (sent raw: an HTTP client would resolve the dots).
    let escape = raw_get(&gateway, "/assets/%2e%2e/%2e%2e/Cargo.toml").await;
    assert!(escape.starts_with("HTTP/1.1 404"), "{escape}");
}

/// The status line and headers of a GET sent as written, without URL normalisation.
async fn raw_get(gateway: &Gateway, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(gateway.addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_base_path_moves_the_ui_and_a_disabled_ui_is_gone() {
    let gateway =
        Gateway::start_configured(json!({"controlUi": {"basePath": "/openclaw"}}), |_| {}).await;
    let bare = http().get(url(&gateway, "/openclaw")).send().await.unwrap();
    assert_eq!(bare.status(), 308);
    assert_eq!(header(&bare, "location"), "/openclaw/");
    let page = http()
        .get(url(&gateway, "/openclaw/chat"))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("<base href=\"/openclaw/\">")
    );
    assert_eq!(
        http()
            .get(url(&gateway, "/"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let off = Gateway::start_configured(json!({"controlUi": {"enabled": false}}), |_| {}).await;
    assert_eq!(
        http().get(url(&off, "/")).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn the_ui_config_needs_the_gateway_secret() {
    let gateway = Gateway::start().await;
    let anonymous = http()
        .get(url(&gateway, "/control-ui-config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = http()
        .get(url(&gateway, "/control-ui-config.json"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let response = http()
        .get(url(&gateway, "/control-ui-config.json"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["basePath"], "");
    assert_eq!(body["assistantAgentId"], "main");
    assert_eq!(body["terminalEnabled"], false);
}

#[tokio::test]
async fn a_configured_root_is_served_like_upstream_serves_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("assets")).unwrap();
    std::fs::write(
        root.join("index.html"),
        "<!doctype html><html data-openclaw-control-ui-build-id=\"x\" lang=\"en\"><head>\
         <link rel=\"icon\" href=\"./favicon.svg\"><script>boot()</script>\
         <script type=\"module\" src=\"./assets/index-abc.js\"></script></head></html>",
    )
    .unwrap();
    std::fs::write(root.join("assets/index-abc.js"), "plain();").unwrap();
    std::fs::write(root.join("assets/index-abc.js.br"), "brotli-bytes").unwrap();
    std::fs::write(root.join("assets/index-abc.js.gz"), "gzip-bytes").unwrap();
    std::fs::write(root.join("favicon.svg"), "<svg/>").unwrap();
    let gateway = Gateway::start_configured(
        json!({"controlUi": {"root": root.display().to_string(), "basePath": "/ui"}}),
        |_| {},
    )
    .await;
    let page = http()
        .get(url(&gateway, "/ui/chat/main"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy").to_owned();
    assert!(
        csp.contains("'sha256-"),
        "the inline script is allowed by hash: {csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(
        "<html data-openclaw-control-ui-base-path=\"/ui\" data-openclaw-terminal-enabled=\"false\" lang=\"en\">"
    ), "{html}");
    assert!(html.contains("src=\"/ui/assets/index-abc.js\""), "{html}");
    assert!(html.contains("href=\"/ui/favicon.svg\""), "{html}");

    let br = http()
        .get(url(&gateway, "/ui/assets/index-abc.js"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(
        header(&br, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(br.text().await.unwrap(), "brotli-bytes");
    let gz = http()
        .get(url(&gateway, "/ui/deep/route/assets/index-abc.js"))
        .header("accept-encoding", "gzip;q=1, br;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&gz, "content-encoding"), "gzip");
    let plain = http()
        .get(url(&gateway, "/ui/assets/index-abc.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.text().await.unwrap(), "plain();");
    let icon = http()
        .get(url(&gateway, "/ui/__openclaw__/favicon.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(icon.status(), 200);
    let missing = http()
        .get(url(&gateway, "/ui/assets/gone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // The hello tells OpenClaw's UI not to compare build ids with a server it was not built with.
    let (_client, hello) = super::harness::Client::connect(&gateway).await;
    assert_eq!(hello["server"]["controlUiBuildSource"], "configured");
}

#[tokio::test]
async fn a_root_without_a_ui_answers_503_naming_the_setting() {
    let gateway = Gateway::start_configured(
        json!({"controlUi": {"root": "/nonexistent/control-ui"}}),
        |_| {},
    )
    .await;
    let response = http().get(url(&gateway, "/")).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("gateway.controlUi.root")
    );
}
