#!/usr/bin/env bash
# Builds the release archive a server installs without Rust, Node or build tools:
#   target/release-archive/relay-console-<version>-x86_64-linux.tar.gz (+ .sha256 beside it)
# holding relay-console-<version>/ with
#   bin/relay-console   the server and its commands (release build, stripped, stamped with
#                       the commit: `relay-console --version`)
#   frontend/dist/      the SPA: hashed files with their .gz and .br twins
#   infra/              nginx site and headers snippet, systemd units and timers, the backup
#                       script, DEPLOY.md (es) and DEPLOY.en.md
#   .env.example        every setting, commented
#   SHA256SUMS          a checksum of every file above (`sha256sum -c SHA256SUMS`)
# A server unpacks it into /opt/relay-console/releases/ and points /opt/relay-console/current at
# it (infra/DEPLOY.md). The archive is then unpacked into
# a scratch directory and checked: checksums, and the binary's --version naming the commit.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(awk -F'"' '/^\[workspace.package\]/ { section = 1 } section && /^version/ { print $2; exit }' Cargo.toml)
commit=$(git rev-parse --short=12 HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  commit="$commit-modified"
fi
name="relay-console-$version"
out=target/release-archive
archive="$out/$name-x86_64-linux.tar.gz"

RELAY_CONSOLE_COMMIT=$commit cargo build --release -p relay-console --bin relay-console
# The SPA as frontend/build.sh left it (`just release` and `just test` build it first).
[ -f frontend/dist/index.html ] || { echo "frontend/dist is missing: run 'just release'" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out/$name/bin" "$out/$name/frontend"
cp target/release/relay-console "$out/$name/bin/relay-console"
strip "$out/$name/bin/relay-console"
cp -r frontend/dist "$out/$name/frontend/dist"
cp -r infra "$out/$name/infra"
cp .env.example "$out/$name/.env.example"
(cd "$out/$name" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum > SHA256SUMS)
# Owner and dates from the archive, not from this machine's build user.
tar --owner=0 --group=0 --numeric-owner -C "$out" -czf "$archive" "$name"
(cd "$out" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")

check=$(mktemp -d)
trap 'rm -rf "$check"' EXIT
tar -C "$check" -xzf "$archive"
(cd "$check/$name" && sha256sum --quiet -c SHA256SUMS)
stamped=$("$check/$name/bin/relay-console" --version)
[ "$stamped" = "relay-console $version (commit $commit)" ] || {
  echo "the archive's binary says '$stamped', not version $version at commit $commit" >&2
  exit 1
}
for needed in frontend/dist/index.html infra/nginx/relay-console.conf infra/nginx/relay-console-headers.conf \
  infra/systemd/relay-console.service infra/backup.sh infra/DEPLOY.md infra/env.production .env.example; do
  [ -f "$check/$name/$needed" ] || { echo "the archive lacks $needed" >&2; exit 1; }
done
ls "$check/$name"/frontend/dist/assets/*/relay_frontend_bg.wasm.br "$check/$name"/frontend/dist/assets/*/relay_frontend_bg.wasm.gz > /dev/null

printf '%s\n' "$archive ($(du -h "$archive" | cut -f1)): $stamped" \
  "checksum: $(cut -d' ' -f1 "$archive.sha256")"
