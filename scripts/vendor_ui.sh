#!/usr/bin/env bash
# Fetch the chat page's and /docs' third-party files from the npm registry, at pinned versions,
# into src/g4f/api/ui/vendor/ (built files and their licences only; no build step).
# Run it to rebuild or upgrade the vendored files; the result is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

MARKED=18.2.1
DOMPURIFY=3.4.18
HIGHLIGHT=11.12.0       # @highlightjs/cdn-assets: highlight.js' prebuilt ES modules
SWAGGER=5.35.0          # swagger-ui-dist, for /docs
LANGUAGES=(bash c cpp css diff go java javascript json markdown python rust sql typescript xml yaml)

out=src/g4f/api/ui/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() {  # unpack NAME@VERSION into $work/NAME-dir and print that directory
  local spec=$1 dir="$work/$(echo "$1" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$work" && npm pack --silent "$spec" > "$dir.name")
  tar -xzf "$work/$(cat "$dir.name")" -C "$dir"
  echo "$dir/package"
}

strip_map() {  # copy a file without its sourceMappingURL comment (the maps are not shipped)
  sed -e '/^\/\/# sourceMappingURL=/d' -e 's|/\*# sourceMappingURL=[^*]*\*/||' "$1" > "$2"
}

rm -rf "$out"
mkdir -p "$out/marked" "$out/dompurify" "$out/highlight/languages" "$out/swagger-ui"

pkg=$(unpack "marked@$MARKED")
strip_map "$pkg/lib/marked.esm.js" "$out/marked/marked.esm.js"
cp "$pkg/LICENSE"* "$out/marked/"

pkg=$(unpack "dompurify@$DOMPURIFY")
strip_map "$pkg/dist/purify.es.mjs" "$out/dompurify/purify.es.mjs"
cp "$pkg/LICENSE"* "$out/dompurify/"

pkg=$(unpack "@highlightjs/cdn-assets@$HIGHLIGHT")
strip_map "$pkg/es/core.min.js" "$out/highlight/core.min.js"
for language in "${LANGUAGES[@]}"; do
  strip_map "$pkg/es/languages/$language.min.js" "$out/highlight/languages/$language.min.js"
done
cp "$pkg/LICENSE" "$out/highlight/"

pkg=$(unpack "swagger-ui-dist@$SWAGGER")
strip_map "$pkg/swagger-ui-bundle.js" "$out/swagger-ui/swagger-ui-bundle.js"
strip_map "$pkg/swagger-ui.css" "$out/swagger-ui/swagger-ui.css"
cp "$pkg/LICENSE" "$pkg/NOTICE" "$pkg/swagger-ui-bundle.js.LICENSE.txt" "$out/swagger-ui/"

cat > "$out/VERSIONS" <<EOF
marked $MARKED
dompurify $DOMPURIFY
@highlightjs/cdn-assets $HIGHLIGHT (languages: ${LANGUAGES[*]})
swagger-ui-dist $SWAGGER
EOF
echo "vendored into $out:"
cat "$out/VERSIONS"
