#!/usr/bin/env bash
# Builds rustyclaw, sets it up on first run, and checks the installation.
# Extra arguments go to `rustyclaw onboard` on first run (e.g. --non-interactive --auth-choice …).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_rust
# bubblewrap isolates commands and slirp4netns gives them a network that cannot reach the
# gateway; ca-certificates lets rustls verify model providers over HTTPS.
apt_install bubblewrap slirp4netns ca-certificates

echo "==> building (release)"
cargo build --release --locked -p rustyclaw-cli
bin="$PWD/target/release/rustyclaw"

config=$("$bin" config file)
if [ ! -f "$config" ]; then
  echo "==> first run: onboarding"
  if [ -t 0 ] && [ "$#" -eq 0 ]; then
    "$bin" onboard
  else
    "$bin" onboard --non-interactive "$@"
  fi
fi

echo "==> doctor"
"$bin" doctor || true
"$bin" status

echo
echo "==> starting the gateway (Ctrl-C stops it). From another terminal:"
echo "    $bin agent --local -m \"hello\"        one turn in-process"
echo "    $bin gateway call health             the gateway, as OpenClaw's clients see it"
echo "    $bin dashboard                       the Control UI in your browser, signed in"
exec "$bin" gateway run
