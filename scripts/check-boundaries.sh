#!/usr/bin/env bash
# Architecture checks that the compiler does not make:
# - the protocol crate holds types only: no async runtime, HTTP or database in its dependency tree;
# - the modules inside a crate do not import each other in a cycle (scripts/check-module-cycles.py).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
tree=$(cargo tree --locked -p rustyclaw-protocol -e normal --prefix none)
forbidden=$(echo "$tree" | grep -E '^(tokio|reqwest|rusqlite|axum|hyper|libsqlite3-sys) ' || true)
if [ -n "$forbidden" ]; then
  echo "rustyclaw-protocol must not depend on I/O crates, found:" >&2
  echo "$forbidden" >&2
  exit 1
fi
echo "rustyclaw-protocol: $(echo "$tree" | sort -u | wc -l) crates, no I/O dependencies"

command -v python3 >/dev/null 2>&1 || apt_install python3
python3 scripts/check-module-cycles.py --self-test
# Crates whose modules form no import cycle, kept that way.
python3 scripts/check-module-cycles.py crates/agent/src crates/gateway/src crates/host/src
