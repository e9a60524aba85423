#!/usr/bin/env bash
# Rewrites the `code` enum of docs/report.schema.json from the binary's own list
# (`regdoctor checks`), in check order. tests/schema.rs fails until this is run after a
# code is added. Needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run -q -- checks | python3 -c '
import json, sys
codes = []
listing = False
# The table wraps each code list onto indented continuation lines.
for line in sys.stdin:
    if line[:1] not in (" ", ""):
        listing = False
    if "codes:" in line:
        listing = True
        line = line.split("codes:")[1]
    elif not listing:
        continue
    codes += [c.strip() for c in line.split(",") if c.strip()]
path = "docs/report.schema.json"
schema = json.load(open(path))
schema["$defs"]["code"]["enum"] = codes
open(path, "w").write(json.dumps(schema, indent=2) + "\n")
print(f"{len(codes)} codes written to {path}")
'
