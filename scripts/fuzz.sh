#!/usr/bin/env bash
# The property tests with many more cases than `npm test` runs, from a fresh seed (printed; set
# IDEM_FUZZ_SEED to replay one): kill and re-run (test/property/kill-rerun.test.ts, IDEM_FUZZ_RUNS
# per engine, default 200) and adoption of a clean run's final shape
# (test/property/adopt-final-shape.test.ts, IDEM_FUZZ_ADOPT_RUNS per engine, default 300). SQLite always; PostgreSQL and MariaDB when IDEM_TEST_POSTGRES_URL /
# IDEM_TEST_MARIADB_URL are set, else when the local servers answer on their usual ports. The engines
# run side by side, one process each; their reports follow when all are done.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/node-env.sh"
cd "$root"

export IDEM_FUZZ_RUNS="${IDEM_FUZZ_RUNS:-200}"
export IDEM_FUZZ_ADOPT_RUNS="${IDEM_FUZZ_ADOPT_RUNS:-300}"
export IDEM_FUZZ_SEED="${IDEM_FUZZ_SEED:-$(node -e 'console.log(Math.floor(Math.random() * 2 ** 31))')}"

# Whether something listens on host:port (no client tools needed).
listening() {
  node -e '
    const socket = require("node:net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
    socket.setTimeout(2000, () => process.exit(1));
    socket.on("connect", () => process.exit(0)).on("error", () => process.exit(1));' "$1" "$2"
}

engines=(sqlite)
if [ -z "${IDEM_TEST_POSTGRES_URL:-}" ] && listening 127.0.0.1 5432; then
  export IDEM_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/test"
fi
if [ -z "${IDEM_TEST_MARIADB_URL:-}" ] && listening 127.0.0.1 3306; then
  export IDEM_TEST_MARIADB_URL="mysql://root@127.0.0.1:3306/test"
fi
if [ -n "${IDEM_TEST_POSTGRES_URL:-}" ]; then engines+=(postgres); else echo "fuzz: no PostgreSQL (IDEM_TEST_POSTGRES_URL unset, nothing on 127.0.0.1:5432)" >&2; fi
if [ -n "${IDEM_TEST_MARIADB_URL:-}" ]; then engines+=(mariadb); else echo "fuzz: no MariaDB (IDEM_TEST_MARIADB_URL unset, nothing on 127.0.0.1:3306)" >&2; fi
if [ -n "${IDEM_TEST_ENGINES:-}" ]; then
  IFS=',' read -r -a engines <<< "$IDEM_TEST_ENGINES"
fi

# A private build of the current source: a rebuild of dist/ during the run (by anyone) cannot reach it.
cli_dir="$root/node_modules/.cache/idem-fuzz"
rm -rf "$cli_dir"
npx tsc -p tsconfig.build.json --outDir "$cli_dir/dist"
echo '{ "type": "module" }' > "$cli_dir/dist/package.json"
export IDEM_FUZZ_CLI="$cli_dir/dist/cli/bin.js"
echo "fuzz: ${IDEM_FUZZ_RUNS} kill case(s) and ${IDEM_FUZZ_ADOPT_RUNS} adoption case(s) per engine on ${engines[*]}, seed ${IDEM_FUZZ_SEED}" >&2
logs="$(mktemp -d)"
started=$SECONDS
pids=()
for engine in "${engines[@]}"; do
  IDEM_TEST_ENGINES="$engine" node --test --test-reporter=spec test/property/kill-rerun.test.ts test/property/adopt-final-shape.test.ts > "$logs/$engine.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!engines[@]}"; do
  if ! wait "${pids[$i]}"; then status=1; fi
  echo "=== ${engines[$i]}" >&2
  cat "$logs/${engines[$i]}.log"
done
echo "fuzz: seed ${IDEM_FUZZ_SEED}, ${IDEM_FUZZ_RUNS} kill and ${IDEM_FUZZ_ADOPT_RUNS} adoption case(s) per engine, $((SECONDS - started)) s, $([ "$status" = 0 ] && echo passed || echo FAILED)" >&2
rm -rf "$logs"
exit "$status"
