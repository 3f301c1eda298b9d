#!/bin/sh
# Bench-only peers (issue 12): installed on demand, never part of package.json or `npm ci`.
#  - onnxruntime-node, the version of onnxruntime-web in package.json, without its install script
#    (the postinstall downloads GPU binaries from a host that may be unreachable; the CPU binaries
#    ship inside the npm package). --no-save keeps package.json and package-lock.json as they are.
#  - PyTorch CPU for /usr/bin/python3 from Debian (python3-torch), with libopenblas0-pthread: without
#    it torch links the reference BLAS and runs about 6x slower.
# Usage: npm run bench:install-peers   (needs root, or sudo, for apt-get)
set -eu
cd "$(dirname "$0")/../.."
ORT_VERSION=$(node -p "require('./package.json').devDependencies['onnxruntime-web']")
echo "onnxruntime-node@$ORT_VERSION (no scripts, not saved)"
npm install --no-save --ignore-scripts "onnxruntime-node@$ORT_VERSION"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "python3-torch + libopenblas0-pthread (apt, for /usr/bin/python3)"
$SUDO apt-get install -y --no-install-recommends python3-torch libopenblas0-pthread
/usr/bin/python3 -c "import torch; print('torch', torch.__version__)"
