#!/usr/bin/env bash
# The server's container image, two ways from one file list.
#
#   deploy/image.sh tree DEST BINARY [MODEL_DIR]
#                                      lays out the image's /app under DEST: the gallery
#                                      BINARY, ONNX Runtime beside it, the classifier, intent,
#                                      speech and search models, and an empty data/ (the
#                                      volume). deploy/Containerfile runs this in its build
#                                      stage, so the image holds exactly this tree.
#   deploy/image.sh check [--release]  what CI runs, since no registry with base images is
#                                      reachable here: builds the runtime stage's root file
#                                      system from Debian packages (mmdebstrap: bookworm
#                                      minbase, ca-certificates and the `gallery` user, as
#                                      the Containerfile's debian:bookworm-slim stage has),
#                                      adds the tree, and runs the server in it with
#                                      bubblewrap as the image runs: read-only root, user
#                                      10001, a writable data/ and /tmp, the image's
#                                      environment. Then it runs the image's HEALTHCHECK
#                                      command inside, and signs up, uploads a photo and waits
#                                      for its labels, asks for a voice intent, transcribes a
#                                      recording and searches, from outside. With --release
#                                      it builds and uses the release binary (the image's);
#                                      without, the debug one the tests built.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"

# lay_out DEST BINARY [MODEL_DIR]: MODEL_DIR, another classifier model folder, goes to
# /app/models/NAME (GALLERY_MODEL_DIR names it; deploy/README.md).
lay_out() {
  local dest="$1/app" binary="$2" extra_model="${3:-}"
  rm -rf "$dest"
  mkdir -p "$dest/data" "$dest/models/efficientnet-lite0" "$dest/intent/model" "$dest/speech/model" \
    "$dest/server/data/everyday"
  install -m 0755 "$binary" "$dest/gallery"
  # Without the release profile's line tables (250 of a release binary's 295 MB); the
  # symbols stay, so a backtrace still names its functions.
  strip --strip-debug "$dest/gallery"
  install -m 0644 "$CACHE/onnxruntime/libonnxruntime.so.$ORT_VERSION" "$dest/"
  # What the programs load (found beside the executable: onnx_runtime::search_roots), not
  # the reports and test sets kept beside them in the repository.
  install -m 0644 -t "$dest/models/efficientnet-lite0" \
    "$ROOT"/classifier-lambda/models/efficientnet-lite0/{model.json,labels.json,model.onnx}
  install -m 0644 -t "$dest/intent/model" "$ROOT"/intent/model/{intent.onnx,labels.json,tokenizer.json}
  install -m 0644 -t "$dest/speech/model" \
    "$ROOT"/speech/model/{config.json,encoder.onnx,decoder.onnx,silero_vad.onnx,tokenizer.json}
  install -m 0644 -t "$dest/server/data/everyday" "$ROOT"/server/data/everyday/{encoder.onnx,items.tsv,vectors.bin}
  # The certificates of Amazon RDS's CAs, for GALLERY_DATABASE_URL's sslmode=verify-full.
  install -m 0644 "$ROOT/deploy/rds-ca-bundle.pem" "$dest/rds-ca-bundle.pem"
  [ -z "$extra_model" ] || copy_model "$extra_model" "$dest/models"
}

# The runtime stage's root file system, made once (about 20 s) and kept in .cache.
ROOTFS="$CACHE/image-rootfs"
ROOTFS_RECIPE="bookworm minbase ca-certificates gallery:10001 app v2"
rootfs() {
  if [ "$(cat "$ROOTFS.recipe" 2>/dev/null)" = "$ROOTFS_RECIPE" ] && [ -x "$ROOTFS/bin/bash" ]; then
    return 0
  fi
  say "Building the runtime root file system from Debian packages (mmdebstrap)"
  rm -rf "$ROOTFS" "$ROOTFS.recipe"
  mmdebstrap --quiet --variant=minbase --include=ca-certificates \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='chroot "$1" useradd --uid 10001 --user-group --no-create-home --home-dir /app --shell /usr/sbin/nologin gallery' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*; mkdir "$1"/app' \
    bookworm "$ROOTFS"
  echo "$ROOTFS_RECIPE" >"$ROOTFS.recipe"
}

# The environment and HEALTHCHECK of the image, read from the Containerfile itself.
containerfile_env() {
  sed -n 's/^ENV \([A-Z_]*\)=\(.*\)$/\1 \2/p' "$ROOT/deploy/Containerfile"
}
healthcheck_command() {
  # The JSON array after `CMD` in the HEALTHCHECK instruction (continued with backslashes),
  # its words separated by NUL.
  python3 - "$ROOT/deploy/Containerfile" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = re.search(r"^HEALTHCHECK .*$", text, re.M)[0]
print("\0".join(json.loads(line[line.index(" CMD ") + 5:])), end="")
EOF
}

# in_image DIR DATA PORT COMMAND...: runs COMMAND as the image would, in its own namespaces
# but the host's network.
in_image() {
  local dir="$1" data="$2" port="$3"
  shift 3
  local env=(--clearenv --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --setenv HOME /app)
  while read -r name value; do
    [ "$name" = GALLERY_BIND ] && value="127.0.0.1:$port"
    env+=(--setenv "$name" "$value")
  done < <(containerfile_env)
  bwrap --unshare-all --share-net --die-with-parent --new-session \
    --uid 10001 --gid 10001 \
    --ro-bind "$ROOTFS" / --ro-bind "$dir/app" /app --bind "$data" /app/data \
    --proc /proc --dev /dev --tmpfs /tmp --chdir /app \
    "${env[@]}" "$@"
}

check() {
  local binary="$CARGO_TARGET_DIR/debug/gallery"
  if [ "${1:-}" = "--release" ]; then
    say "Building the server (release)"
    (cd "$ROOT" && cargo build --release -p gallery --bin gallery)
    binary="$CARGO_TARGET_DIR/release/gallery"
  fi
  [ -x "$binary" ] || { echo "$binary is not built" >&2; exit 1; }
  command -v mmdebstrap >/dev/null && command -v bwrap >/dev/null ||
    { echo "mmdebstrap and bwrap are missing: run scripts/setup.sh --test" >&2; exit 1; }
  rootfs
  local port url
  # Globals, for the exit trap (which runs after this function has returned).
  server=""
  work=$(mktemp -d)
  trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
  say "Laying out the image's /app from $binary"
  lay_out "$work" "$binary"
  mkdir -p "$work/data"
  port=$(free_port)
  url="http://127.0.0.1:$port"

  say "Running the server in the image's file system (read-only root, user 10001)"
  in_image "$work" "$work/data" "$port" /app/gallery serve >"$work/server.log" 2>&1 &
  server=$!
  local ready=""
  for _ in $(seq 1 300); do
    if curl -fsS "$url/healthz" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$ready" ] || { echo "the server did not start in the image:" >&2; cat "$work/server.log" >&2; exit 1; }

  local health
  mapfile -d '' -t health < <(healthcheck_command)
  in_image "$work" "$work/data" "$port" "${health[@]}" ||
    { echo "the image's HEALTHCHECK (${health[*]}) failed" >&2; exit 1; }
  echo "ok   HEALTHCHECK passes inside the image"

  python3 "$ROOT/deploy/smoke.py" "$url" "$ROOT/classifier-lambda/testdata/chelsea.jpg" ||
    { echo "--- the server's log:" >&2; cat "$work/server.log" >&2; exit 1; }

  if in_image "$work" "$work/data" "$port" /bin/bash -c 'touch /app/written' 2>/dev/null; then
    echo "the image's root is writable" >&2; exit 1
  fi
  echo "ok   the root is read-only; the database and photos are in data/: $(ls "$work/data" | tr '\n' ' ')"
  # Without a mail server, each letter (the sign-up's confirmation) is written to the log
  # as a warning on purpose (gallery::mail); anything else is a fault.
  if grep -E 'ERROR|WARN' "$work/server.log" | grep -v 'gallery::mail'; then
    echo "the server logged warnings or errors in the image (above)" >&2; exit 1
  fi
  echo "ok   the server logged no warning or error"
}

case "${1:-}" in
  tree) [ $# = 3 ] || [ $# = 4 ] || { echo "usage: $0 tree DEST BINARY [MODEL_DIR]" >&2; exit 2; }; lay_out "$2" "$3" "${4:-}" ;;
  check) shift; check "$@" ;;
  *) echo "usage: $0 tree DEST BINARY [MODEL_DIR] | check [--release]" >&2; exit 2 ;;
esac
