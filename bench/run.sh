#!/usr/bin/env bash
# Reproduces every figure of docs/benchmarks.md: builds rustyclaw and the harness in release
# mode, installs the pinned OpenClaw (Node from PyPI, openclaw from npm, outside the repo), then
# measures both and rewrites the generated part of docs/benchmarks.md and its chart.
#
#   ./bench/run.sh              # everything (15–20 minutes on 2 cores)
#   ./bench/run.sh --quick      # fewer iterations, shorter settle times (under 5 minutes)
#   ./bench/run.sh turns tool   # some figures only (printed, docs untouched)
#   ./bench/run.sh --only rustyclaw all
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
command -v bwrap >/dev/null 2>&1 || apt_install bubblewrap
# The channel figures (idlechannels, irclatency) run a real IRC server.
apt_install ngircd

echo "==> building rustyclaw and the benchmark harness (release)"
# Separately: built together, cargo would unify the harness's dependency features into the
# binary under test, which would then not be the binary users get.
cargo build --release --locked -p rustyclaw-bench
cargo build --release --locked -p rustyclaw-cli

# Node and OpenClaw for the OpenClaw side, and the telegram-test-api emulator the channel
# figures poll (idempotent: a second run only rewrites the env file).
scripts/conformance-deps.sh
set -a; . "${RUSTYCLAW_CONFORMANCE_DIR:-$HOME/.cache/rustyclaw-conformance}/env"; set +a

args=("$@")
figures=0
for arg in "$@"; do
  case "$arg" in --*|rustyclaw|openclaw) ;; *) figures=1 ;; esac
done
[ "$figures" -eq 1 ] || args+=(all)
exec target/release/bench --rustyclaw target/release/rustyclaw "${args[@]}"
