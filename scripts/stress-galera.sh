#!/usr/bin/env bash
# The Galera proof under stress: 9 runners (3 per node of a 3-node cluster,
# test/support/galera.ts) at once on a fresh database, IDEM_GALERA_RUNS times
# in a row on one cluster (default 20; `npm test` runs it twice). Each round
# must end with every runner exiting 0, each revision and each data row
# exactly once, and the same schema and rows on every node.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$root"
npm run build >/dev/null
export IDEM_GALERA_RUNS="${IDEM_GALERA_RUNS:-20}"
started=$SECONDS
node --test --test-name-pattern='9 runners' test/galera/runners.test.ts
echo "stress:galera: ${IDEM_GALERA_RUNS} rounds of 9 runners passed in $((SECONDS - started))s"
