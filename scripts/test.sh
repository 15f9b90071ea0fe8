#!/usr/bin/env bash
# The whole test suite: formatting, lints, architecture checks, schema drift, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
# A clean checkout gains nothing from incremental compilation, and its per-crate caches are most of
# a debug target directory's size (tens of GB here): a CI machine with little disk free failed with
# "No space left on device" while compiling the test binaries.
export CARGO_INCREMENTAL=0

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> crate boundaries and licences"
scripts/check-boundaries.sh
command -v python3 >/dev/null 2>&1 || apt_install python3
scripts/check-licenses.sh

# The sandbox escape tests run real bubblewrap and slirp4netns: without them they would only
# prove the fallback.
{ command -v bwrap && command -v slirp4netns; } >/dev/null 2>&1 || apt_install bubblewrap slirp4netns
# The IRC client's integration tests run a real ngircd (a foreground child on a free loopback
# port); they fail, not skip, without it.
apt_install ngircd

echo "==> tests"
scripts/conformance-deps.sh; set -a; . "${RUSTYCLAW_CONFORMANCE_DIR:-$HOME/.cache/rustyclaw-conformance}/env"; set +a
# The Control UI's browser tests: Debian's Chromium, driven by the npm packages pinned in
# ui/tests (playwright-core, axe-core), installed with the conformance install's Node.
command -v chromium >/dev/null 2>&1 || apt_install chromium
# The skills-installer test runs the system's npm inside the sandbox, which sees only system
# directories (an npm under a home directory would not do).
{ [ -x /usr/bin/npm ] || [ -x /usr/local/bin/npm ]; } || apt_install npm
# The second browser of the pairing test runs in a network namespace the test creates (iproute2).
command -v ip >/dev/null 2>&1 || apt_install iproute2
[ -d ui/tests/node_modules/playwright-core ] && [ -d ui/tests/node_modules/axe-core ] \
  || (cd ui/tests && npm_config_update_notifier=false "$NODE" \
        "$(dirname "$NODE")/../lib/node_modules/npm/bin/npm-cli.js" ci -s --no-audit --no-fund --ignore-scripts)
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

# The one feature set beyond the default: the built-in sentence-embedding model (candle), linted
# and tested once, against all-MiniLM-L6-v2 from the conformance install: the model itself, and
# recall by meaning through the binary built with it.
echo "==> feature local-embeddings"
cargo clippy -p rustyclaw-memory -p rustyclaw-host -p rustyclaw-cli \
  --features rustyclaw-cli/local-embeddings --all-targets --locked -- -D warnings
cargo test -p rustyclaw-memory --features local-embeddings --locked --test all local_model
cargo test -p rustyclaw-cli --features local-embeddings --locked --test all memory_recall

echo "==> config schema is current"
cargo run -q --locked -p rustyclaw-cli -- config schema | diff -u schema/config.schema.json - \
  || { echo "schema/config.schema.json is stale: cargo run -p rustyclaw-cli -- config schema > schema/config.schema.json" >&2; exit 1; }
