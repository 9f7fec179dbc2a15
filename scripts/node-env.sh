# Sourced by the other scripts: puts a Node.js >= 22.18 on PATH (idem needs
# node:sqlite and native TypeScript type stripping). The machine's node if it
# is new enough, else Node 24 LTS from the npm registry, kept in .node24/.
# Then installs the project's packages if they are missing or stale.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)'
}

if ! node_is_recent; then
  if [ ! -x "$root/.node24/node_modules/.bin/node" ]; then
    echo "idem: installing Node.js 24 into .node24/ (this machine has $(node --version 2>/dev/null || echo 'no node'))" >&2
    npm install --prefix "$root/.node24" --no-save --no-audit --no-fund --loglevel=error node@24 >/dev/null
  fi
  export PATH="$root/.node24/node_modules/.bin:$PATH"
fi

if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
fi
