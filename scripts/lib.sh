# Shared by the scripts: where things go, and starting a gallery binary on a free port.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# start_gallery DIR: runs the debug binary with a fresh database in DIR; sets GALLERY_URL, GALLERY_PID.
start_gallery() {
  local dir="$1"
  mkdir -p "$dir"
  GALLERY_BIND=127.0.0.1:0 GALLERY_DATABASE_URL="sqlite://$dir/gallery.db" GALLERY_STORAGE="fs:$dir/objects" \
    "$CARGO_TARGET_DIR/debug/gallery" serve >"$dir/stdout" 2>"$dir/stderr" &
  GALLERY_PID=$!
  for _ in $(seq 1 100); do
    GALLERY_URL=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$dir/stdout")
    [ -n "$GALLERY_URL" ] && return 0
    sleep 0.1
  done
  echo "the gallery did not start:" >&2; cat "$dir/stderr" >&2
  return 1
}
