# Shared set-up for scripts/run.sh and scripts/test.sh: idempotent, Debian-oriented.

# Installs Debian packages that are missing (needs root or sudo).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "==> installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Makes sure a Rust toolchain (>= 1.88, edition 2024) with rustfmt and clippy is available.
ensure_rust() {
  if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "error: no Rust toolchain found. Install one with rustup (https://rustup.rs), Rust 1.88 or newer." >&2
    exit 1
  fi
  # A C compiler builds the bundled SQLite.
  command -v cc >/dev/null 2>&1 || apt_install build-essential
  if command -v rustup >/dev/null 2>&1; then
    for component in rustfmt clippy; do
      rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
    done
  fi
}
