#!/usr/bin/env bash
# The protocol crate holds types only: no async runtime, HTTP or database in its dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree --locked -p rustyclaw-protocol -e normal --prefix none)
forbidden=$(echo "$tree" | grep -E '^(tokio|reqwest|rusqlite|axum|hyper|libsqlite3-sys) ' || true)
if [ -n "$forbidden" ]; then
  echo "rustyclaw-protocol must not depend on I/O crates, found:" >&2
  echo "$forbidden" >&2
  exit 1
fi
echo "rustyclaw-protocol: $(echo "$tree" | sort -u | wc -l) crates, no I/O dependencies"
