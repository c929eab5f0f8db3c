#!/usr/bin/env bash
# Installs what the project needs and is missing, and says plainly what it cannot install.
# Sourced by scripts/train.sh and scripts/test.sh; safe to run again (it only acts on what is missing).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

is_root() { [ "$(id -u)" -eq 0 ]; }

apt_updated=0
apt_install() {
  if ! is_root; then
    echo "Missing Debian package(s): $*. Install them with: sudo apt-get install -y $*" >&2
    return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET SDK 10 is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "Node.js and npm are needed for Azurite; installing them." >&2
  apt_install nodejs npm
fi

if [ ! -x "$repo_root/node_modules/.bin/azurite" ] || [ ! -x "$repo_root/node_modules/.bin/esbuild" ] || [ ! -e "$repo_root/node_modules/uplot/dist/uPlot.iife.min.js" ]; then
  echo "Installing Azurite and the dashboard's chart library (npm ci)..."
  (cd "$repo_root" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Azurite is started from one bundled file (src/Cli/LocalStack/RepositoryLayout.cs): from the installed package Node
# spent 1.5 s of a 1.7 s start resolving, reading and compiling modules (CPU profile); the bundle listens in 0.7 s. Rebuilt when the
# installed Azurite's version changes. pg-hstore is left out: only sequelize's PostgreSQL dialect needs it, and it is
# neither installed nor used (Azurite keeps its metadata in its own files).
azurite_bundle_dir="$repo_root/node_modules/.cache/azurite-bundle"
azurite_version="$(node -p "require('$repo_root/node_modules/azurite/package.json').version")"
if [ "$(cat "$azurite_bundle_dir/version" 2>/dev/null)" != "$azurite_version" ] || [ ! -e "$azurite_bundle_dir/azurite.js" ]; then
  echo "Bundling Azurite $azurite_version into one file..."
  rm -rf "$azurite_bundle_dir"
  "$repo_root/node_modules/.bin/esbuild" "$repo_root/node_modules/azurite/dist/src/azurite.js" --bundle --platform=node \
    --target=node"$(node -p 'process.versions.node.split(".")[0]')" --external:pg-hstore --log-level=error \
    --outfile="$azurite_bundle_dir/azurite.js"
  echo "$azurite_version" >"$azurite_bundle_dir/version"
fi

fashion_mnist_dir="${TRAINING__DATADIRECTORY:-/usr/share/datasets/fashion-mnist}"
if [ ! -e "$fashion_mnist_dir/train-images-idx3-ubyte.gz" ] && [ ! -e "$fashion_mnist_dir/train-images-idx3-ubyte" ]; then
  echo "Installing the Fashion-MNIST dataset (Debian package dataset-fashion-mnist)..."
  apt_install dataset-fashion-mnist || {
    echo "Without it, Fashion-MNIST runs fail with a message saying how to get the data." >&2
  }
fi

if ! command -v readelf >/dev/null 2>&1; then
  apt_install binutils || true
fi
