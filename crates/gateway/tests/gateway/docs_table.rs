//! `docs/protocol.md` is the compatibility table users read: it must say "implemented" for
//! exactly the methods and events the gateway advertises in `hello-ok`.

use std::collections::BTreeSet;

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::harness::{Client, Gateway};

/// The names in the first column of the rows of section `heading` whose status starts with
/// "implemented".
fn implemented(doc: &str, heading: &str) -> BTreeSet<String> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("docs/protocol.md has no section {heading}"));
    section
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).skip(1);
            let name = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let status = cells.next()?;
            status.starts_with("implemented").then(|| name.to_owned())
        })
        .collect()
}

fn advertised(hello: &Value, field: &str) -> BTreeSet<String> {
    hello["features"][field]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_compatibility_table_matches_what_hello_ok_advertises() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/protocol.md"
    ))
    .unwrap();
    let gateway = Gateway::start().await;
    let (_client, hello) = Client::connect(&gateway).await;
    assert_eq!(implemented(&doc, "Methods"), advertised(&hello, "methods"));
    assert_eq!(implemented(&doc, "Events"), advertised(&hello, "events"));
}
