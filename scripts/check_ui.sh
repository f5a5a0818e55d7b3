#!/usr/bin/env bash
# Check the chat page's own ES modules: each parses as a module (node --check on an .mjs copy:
# on a .js file node would take it for CommonJS and, finding module syntax, not check it), and
# each relative import names a file that exists.
set -euo pipefail
cd "$(dirname "$0")/../src/g4f/api/ui"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for module in *.js; do
  cp "$module" "$work/${module%.js}.mjs"
  node --check "$work/${module%.js}.mjs" || { echo "check_ui: $module does not parse" >&2; status=1; }
  for target in $(grep -oE "from \"\./[^\"]+\"" "$module" | sed -E 's/from "(.*)"/\1/'); do
    [ -f "$target" ] || { echo "check_ui: $module imports $target, which is missing" >&2; status=1; }
  done
done
exit $status
