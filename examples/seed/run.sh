#!/usr/bin/env bash
# The seed's scenario, end to end, with idem installed from its tarball the
# way `npm install idem` installs it (compiled JavaScript under node_modules).
# Every "start" is what the container's entrypoint does: the app's init
# script (which creates `users` itself), then `idem up`.
#
#   start            -> users adopted (skipped), groups/user_groups/api_key applied, admins moved once
#   start again      -> nothing to do
#   version table lost, start -> every operation skipped, no row duplicated
#   idem down base, start     -> back and forth, converging
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"

mkdir -p .pack
rm -f .pack/*.tgz
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$here/.pack" 2>/dev/null | tail -1)"
npm install --no-save --no-audit --no-fund --no-package-lock --loglevel=error "./.pack/$tarball" >/dev/null

rm -f idem.db
step() { printf '\n$ %s\n' "$*"; "$@"; }
start() { step node init-db.mjs; step npx idem up; }
start
start
printf '\n# a failed deploy lost the version table: idem re-checks every operation\n'
step node -e "new (require('node:sqlite').DatabaseSync)('idem.db').exec('DROP TABLE idem_version')"
start
step npx idem status
step npx idem down base
start
printf '\nThe database is %s/idem.db; try `cd examples/seed && npx idem history`.\n' "$here"
