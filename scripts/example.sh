#!/usr/bin/env bash
# Installs idem as a user would (from its packed tarball) into examples/seed
# and runs the seed's scenario there on the embedded SQLite default.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
exec bash "$root/examples/seed/run.sh"
