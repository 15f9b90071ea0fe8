#!/usr/bin/env bash
# Every dependency must be available under a permissive licence (the allow-list of deny.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
# Every feature set CI builds (the default and local-embeddings) is covered.
cargo metadata --format-version 1 --locked --all-features | python3 -c '
import json, re, sys, tomllib
allowed = set(tomllib.load(open("deny.toml", "rb"))["licenses"]["allow"])
bad = []
packages = json.load(sys.stdin)["packages"]
for p in packages:
    expr = (p.get("license") or "").replace("/", " OR ")
    if not expr:
        bad.append((p["name"], "no licence"))
        continue
    # Turn the SPDX expression into a boolean one: each licence id is True when allowed.
    py = re.sub(r"[A-Za-z0-9.+-]+(?: WITH [A-Za-z0-9.+-]+)?",
                lambda m: {"OR": " or ", "AND": " and "}.get(m.group(0), str(m.group(0) in allowed)), expr)
    if not eval(py, {"__builtins__": {}}):
        bad.append((p["name"], p["license"]))
if bad:
    for name, lic in bad:
        print(f"licence not allowed: {name}: {lic}", file=sys.stderr)
    sys.exit(1)
print(f"licences: {len(packages)} packages, all permissive")
'
