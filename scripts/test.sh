#!/usr/bin/env bash
# The whole test suite: unit, engine (per engine in test/engines.ts) and CLI tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$root"
npm test
