#!/usr/bin/env bash
# Backup and check figures on the embedded default (SQLite and files), in one run:
#   - `gallery backup` of USERS x PHOTOS photos (10 x 1 000 by default) into an empty folder,
#     then again into the same folder with nothing new, and again after 100 photos more
#     uploaded (the incremental backups: only what is new is copied);
#   - `gallery check --hashes` against `sha256sum` of the same originals, two at a time
#     (as many as the check reads at once on this machine: one per core), page cache warm
#     for both.
# The photos are seeded as the load tests seed them (server/examples/loadtest_seed.rs):
# real rows and objects, five test photos stored under fresh keys.
#     scripts/bench-backup.sh [USERS] [PHOTOS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
USERS=${1:-10}
PHOTOS=${2:-1000}
cargo build --release --quiet -p gallery --bin gallery --example loadtest_seed
BIN="$CARGO_TARGET_DIR/release"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gallery-bench-backup.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export GALLERY_DATABASE_URL="sqlite://$WORK/data/gallery.db"
export GALLERY_STORAGE="fs:$WORK/data/objects"
export GALLERY_LOG=warn
mkdir -p "$WORK/data"

seconds() { # COMMAND...: runs it (its output to $WORK/last.out), prints its wall-clock seconds
  local start end
  start=$(date +%s.%N)
  "$@" >"$WORK/last.out"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

echo "Seeding $USERS users with $PHOTOS photos each ..."
"$BIN/examples/loadtest_seed" "$USERS" "$PHOTOS" "$WORK/seed" >/dev/null
echo "  $(du -sh "$WORK/data" | cut -f1) in $WORK/data"

first=$(seconds "$BIN/gallery" backup "$WORK/backup")
grep -E "^ *(rows|objects):" "$WORK/last.out" | sed 's/^ */  /' || cat "$WORK/last.out"
again=$(seconds "$BIN/gallery" backup "$WORK/backup")

# 100 photos more, uploaded to a server on the same data folder, then the third backup.
GALLERY_CLASSIFIER=off GALLERY_BIND=127.0.0.1:0 "$BIN/gallery" serve >"$WORK/server.out" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q "running at" "$WORK/server.out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$WORK/server.out")
creds='{"email":"bench@example.org","password":"backup bench password"}'
curl -sf -H 'content-type: application/json' -d "$creds" "$URL/api/v1/auth/signup" >/dev/null
TOKEN=$(curl -sf -H 'content-type: application/json' -d "$creds" "$URL/api/v1/auth/login" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
for _ in $(seq 4); do
  files=()
  for _ in $(seq 25); do files+=(-F "file=@classifier-lambda/testdata/chelsea.jpg"); done
  curl -sf -H "authorization: Bearer $TOKEN" "${files[@]}" "$URL/api/v1/images" >/dev/null
done
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
more=$(seconds "$BIN/gallery" backup "$WORK/backup")
grep -E "^ *objects:" "$WORK/last.out" | sed 's/^ */  after 100 more photos: /' || true

check=$(seconds "$BIN/gallery" check --hashes)
tail -n1 "$WORK/last.out" | sed 's/^/  /'
python3 - "$WORK/data/gallery.db" "$WORK/data/objects" >"$WORK/originals" <<'PY'
import sqlite3, sys
for (key,) in sqlite3.connect(sys.argv[1]).execute("SELECT object_key FROM images"):
    print(f"{sys.argv[2]}/{key}")
PY
files=$(wc -l <"$WORK/originals")
bytes=$(xargs -a "$WORK/originals" -d '\n' stat -c %s | awk '{ n += $1 } END { print n }')
sha=$(seconds xargs -a "$WORK/originals" -d '\n' -n 200 -P 2 sha256sum)

printf '\nPhotos: %s originals, %s MB\n' "$files" "$((bytes / 1000000))"
printf 'gallery backup, first (empty folder):   %6.1f s\n' "$first"
printf 'gallery backup, again (nothing new):    %6.1f s\n' "$again"
printf 'gallery backup, after 100 more photos:  %6.1f s\n' "$more"
printf 'gallery check --hashes:                 %6.1f s  %6.0f MB/s\n' "$check" "$(awk -v b="$bytes" -v s="$check" 'BEGIN { print b / 1e6 / s }')"
printf 'sha256sum of the originals (2 at once): %6.1f s  %6.0f MB/s\n' "$sha" "$(awk -v b="$bytes" -v s="$sha" 'BEGIN { print b / 1e6 / s }')"
printf 'check / sha256sum throughput:           %6.2f\n' "$(awk -v a="$sha" -v b="$check" 'BEGIN { print a / b }')"
