#!/usr/bin/env bash
# Builds the staff console (console/ → dist/console, served by the API at /console/) when its
# sources changed since the last build: a hash of console/ and the lockfile is kept beside the build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist/console
stamp="$out/.source-hash"
hash=$( (find console -type f ! -path '*/node_modules/*' ! -path 'console/test/*' -print0 | sort -z | xargs -0 sha1sum; sha1sum package-lock.json) | sha1sum | cut -d' ' -f1)
if [ "${1:-}" != "--force" ] && [ -f "$out/index.html" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  exit 0
fi
npx vite build --config console/vite.config.mts --logLevel warn
echo "$hash" > "$stamp"
