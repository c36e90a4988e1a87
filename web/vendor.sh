#!/usr/bin/env bash
# Copies the pinned front-end files from npm into the repository, so that the app
# and its tests work offline and without npm. Run after changing package.json
# (then `npm install --package-lock-only` first) and commit the copied files.
#
#   zicht/web/static/vendor/nlds/   NL Design System CSS served by the app
#   zicht/web/static/vendor/vega/   Vega, Vega-Lite and vega-embed for the dashboard's charts
#   zicht/web/static/vendor/swagger-ui/  Swagger UI for the API documentation (/api/v1/docs)
#   tests/browser/vendor/           axe-core, injected by the browser tests
set -euo pipefail
cd "$(dirname "$0")"
ROOT=..
NLDS="$ROOT/zicht/web/static/vendor/nlds"
VEGA="$ROOT/zicht/web/static/vendor/vega"
SWAGGER="$ROOT/zicht/web/static/vendor/swagger-ui"
AXE="$ROOT/tests/browser/vendor"
NM=node_modules

npm ci --ignore-scripts --no-audit --no-fund

rm -rf "$NLDS" "$VEGA" "$SWAGGER" "$AXE"
mkdir -p "$NLDS" "$VEGA" "$SWAGGER" "$AXE"

# Utrecht component library: all component classes (utrecht-*) in one bundle.
cp "$NM/@utrecht/component-library-css/dist/index.css" "$NLDS/utrecht-components.css"
cp "$NM/@utrecht/component-library-css/LICENSE.md" "$NLDS/LICENSE-utrecht-components.md"

# Theme: the NL Design System "voorbeeld" (example) theme, class .voorbeeld-theme.
# Chosen over @utrecht/design-tokens (proprietary to Gemeente Utrecht) and the
# Rijkshuisstijl community tokens (not to be used outside central government);
# this one is EUPL-1.2 like the rest.
cp "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css" "$NLDS/voorbeeld-theme.css"
cp "$NM/@nl-design-system-unstable/voorbeeld-design-tokens/LICENSE.md" "$NLDS/LICENSE-voorbeeld-theme.md"

# Vega for the dashboard's interactive charts (zicht/web/static/charts.js): the browser
# builds (UMD, globals vega, vegaLite, vegaEmbed), loaded in this order. vega-embed's build
# bundles vega-interpreter (expressions evaluated without eval/new Function, so the strict
# CSP holds: charts.js passes ast: true) and vega-tooltip; their licences are copied too.
# vega and vega-lite are pinned to the versions vl-convert bundles (the server's renderer:
# `strings` on its module shows vega@6.2.0, vega-lite@6.4.1 for vl-convert 1.9.0), so that the
# interactive chart draws like the static SVG it replaces; move them together.
cp "$NM/vega/build/vega.min.js" "$VEGA/vega.min.js"
cp "$NM/vega-lite/build/vega-lite.min.js" "$VEGA/vega-lite.min.js"
cp "$NM/vega-embed/build/vega-embed.min.js" "$VEGA/vega-embed.min.js"
for p in vega vega-lite vega-embed vega-interpreter vega-tooltip; do
  cp "$NM/$p/LICENSE" "$VEGA/LICENSE-$p.txt"
done

# Swagger UI for the API documentation page (zicht/web/apidocs.py, started by
# zicht/web/static/api-docs.js): the self-contained browser bundle (global SwaggerUIBundle)
# and its stylesheet, served from our own origin under the strict CSP instead of FastAPI's
# CDN page with an inline script. (Its dependency @scarf/scarf is install telemetry only:
# npm ci above runs no install scripts, and nothing of it is copied.)
cp "$NM/swagger-ui-dist/swagger-ui-bundle.js" "$NM/swagger-ui-dist/swagger-ui.css" "$SWAGGER/"
cp "$NM/swagger-ui-dist/LICENSE" "$SWAGGER/LICENSE.txt"
cp "$NM/swagger-ui-dist/NOTICE" "$SWAGGER/NOTICE.txt"
# the licences of what the bundle includes (React, ...), named as the bundle's header says
cp "$NM/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt" "$SWAGGER/"

# axe-core for the accessibility tests (never served by the app).
cp "$NM/axe-core/axe.min.js" "$NM/axe-core/LICENSE" "$NM/axe-core/LICENSE-3RD-PARTY.txt" "$AXE/"

# Record which versions were copied.
ver() { node -p "require('./$NM/$1/package.json').version"; }
for p in @utrecht/component-library-css @nl-design-system-unstable/voorbeeld-design-tokens; do
  echo "$p@$(ver "$p")"
done > "$NLDS/VERSIONS.txt"
{
  for p in vega vega-lite vega-embed; do echo "$p@$(ver "$p")"; done
  for p in vega-interpreter vega-tooltip; do echo "$p@$(ver "$p") (bundled in vega-embed.min.js)"; done
} > "$VEGA/VERSIONS.txt"
echo "swagger-ui-dist@$(ver swagger-ui-dist)" > "$SWAGGER/VERSIONS.txt"
echo "axe-core@$(ver axe-core)" > "$AXE/VERSION.txt"

du -ab "$NLDS" "$VEGA" "$SWAGGER" "$AXE" | sort -k2
