#!/usr/bin/env bash
# Copies the pinned front-end files from npm into the repository, so that the app
# and its tests work offline and without npm. Run after changing package.json
# (then `npm install --package-lock-only` first) and commit the copied files.
#
#   zicht/web/static/vendor/nlds/   NL Design System CSS served by the app
#   tests/browser/vendor/           axe-core, injected by the browser tests
set -euo pipefail
cd "$(dirname "$0")"
ROOT=..
NLDS="$ROOT/zicht/web/static/vendor/nlds"
AXE="$ROOT/tests/browser/vendor"
NM=node_modules

npm ci --ignore-scripts --no-audit --no-fund

rm -rf "$NLDS" "$AXE"
mkdir -p "$NLDS" "$AXE"

# Utrecht component library: all component classes (utrecht-*) in one bundle.
cp "$NM/@utrecht/component-library-css/dist/index.css" "$NLDS/utrecht-components.css"
cp "$NM/@utrecht/component-library-css/LICENSE.md" "$NLDS/LICENSE-utrecht-components.md"

# Theme: the NL Design System "voorbeeld" (example) theme, class .voorbeeld-theme.
# Chosen over @utrecht/design-tokens (proprietary to Gemeente Utrecht) and the
# Rijkshuisstijl community tokens (not to be used outside central government);
# this one is EUPL-1.2 like the rest.
cp "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css" "$NLDS/voorbeeld-theme.css"
cp "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/LICENSE.md" "$NLDS/LICENSE-voorbeeld-theme.md"

# axe-core for the accessibility tests (never served by the app).
cp "$NM/axe-core/axe.min.js" "$NM/axe-core/LICENSE" "$NM/axe-core/LICENSE-3RD-PARTY.txt" "$AXE/"

# Record which versions were copied.
ver() { node -p "require('./$NM/$1/package.json').version"; }
for p in @utrecht/component-library-css @nl-design-system-unstable/voorbeeld-design-tokens; do
  echo "$p@$(ver "$p")"
done > "$NLDS/VERSIONS.txt"
echo "axe-core@$(ver axe-core)" > "$AXE/VERSION.txt"

du -ab "$NLDS" "$AXE" | sort -k2
