#!/usr/bin/env bash
# Installs what is needed, builds portcullis (optimised) and runs it in the foreground on the
# shipped default config: 127.0.0.1:2525, accepted mail stored under ./var/demo-mail/new/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPORTCULLIS_SANITIZE=OFF -DPORTCULLIS_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target portcullis
mkdir -p var/demo-mail
exec ./build/portcullis --config deploy/portcullis.yaml
