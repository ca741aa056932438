#!/usr/bin/env bash
# Builds the browser side of Modelyard into $MODELYARD_SITE_ROOT (default target/site): the WASM
# bundles with their JavaScript (pkg/modelyard-main.wasm and .js for most islands,
# pkg/modelyard-upload.* for the upload form), the stylesheet (pkg/modelyard.css) and the files of
# public/. A release build names them by their content (pkg/modelyard-<hash>.css,
# pkg/modelyard-<hash>-main.wasm …, the name listed in pkg/manifest.json) and adds brotli and gzip
# copies.
#
#   scripts/build-site.sh            development build (quicker to rebuild while working on the UI)
#   scripts/build-site.sh --release  optimized for size (wasm-opt), minified and sealed, as
#                                    scripts/run.sh serves it and scripts/test.sh tests it
#   scripts/build-site.sh --lint     also applies clippy's lints (-D warnings) while compiling
#
# The server finds the site through --site-root or MODELYARD_SITE_ROOT (scripts/env.sh sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

release=false
lint=false
for arg in "$@"; do
  case "$arg" in
    --release) release=true ;;
    --lint) lint=true ;;
    *) echo "usage: scripts/build-site.sh [--release] [--lint]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

profile=dev profile_dir=debug
if $release; then profile=wasm-release profile_dir=wasm-release; fi
$lint && use_clippy_lints

pkg="$MODELYARD_SITE_ROOT/pkg"
rm -rf "$pkg"
mkdir -p "$pkg"
cargo build --quiet -p modelyard-site
# One bundle per kind of island (src/components/island_scripts.rs): a page loads only its own.
for bundle in main upload; do
  say "WASM: compiling the $bundle bundle for the browser ($profile)"
  cargo rustc --lib --crate-type cdylib --target wasm32-unknown-unknown \
    --no-default-features --features "bundle-$bundle" --profile "$profile"

  say "WASM: generating its JavaScript"
  "$CARGO_TARGET_DIR/debug/modelyard-site" bindgen \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$profile_dir/modelyard.wasm" "$pkg" "modelyard-$bundle"

  if $release; then
    say "WASM: optimizing for size (wasm-opt)"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$pkg/modelyard-$bundle.wasm" -o "$pkg/modelyard-$bundle.wasm"
  fi
done

say "CSS: Tailwind"
minify=()
$release && minify=(--minify)
tailwindcss --input style/tailwind.css --output "$pkg/modelyard.css" ${minify[@]+"${minify[@]}"}

if $release; then
  say "Naming the bundle by its content, with brotli and gzip copies"
  "$CARGO_TARGET_DIR/debug/modelyard-site" seal "$pkg" modelyard
fi

cp -R public/. "$MODELYARD_SITE_ROOT/"
say "Site built in $MODELYARD_SITE_ROOT"
