#!/usr/bin/env bash
# How faithful the classifier's rendition is: the top-1 from the rendition an upload makes
# against the top-1 from the original, on real photos from Debian packages (apt-get
# download, unpacked here; nothing is installed):
#   lomiri-wallpapers-16.04 and -20.04: 19 camera JPEGs of 2.5 to 24 MP (CC-BY-SA);
#   gcompris-qt-data: 164 photographs of animals, monuments and scenes cut out of its
#     activities' resource bundles (lossy WebP of about 0.5 MP; GPL-3 / CC-BY-SA), and the
#     same enlarged to 12 MP JPEGs so that the reduced-DCT path runs on real scenes.
# None of these was looked at while the rendition was made; the set it was tuned on
# (wallpapers of mate-backgrounds, gnome-backgrounds, ukui-wallpapers and
# plasma-workspace-wallpapers) is printed last, for comparison, with BENCH_TUNED=1.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
py="$CACHE/venv/bin/python"
sets="$CACHE/fidelity-photos"
fresh="lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 gcompris-qt-data"
tuned="mate-backgrounds gnome-backgrounds ukui-wallpapers plasma-workspace-wallpapers"
unpack() {
  local work; work=$(mktemp -d)
  (cd "$work" && apt-get download "$@" >/dev/null)
  for deb in "$work"/*.deb; do
    local name; name=$(basename "$deb"); name=${name%%_*}
    mkdir -p "$work/x/$name"; dpkg-deb -x "$deb" "$work/x/$name"
  done
  echo "$work"
}
if [ ! -d "$sets/gcompris-qt-data-as-12mp-jpeg" ]; then
  work=$(unpack $fresh)
  "$py" classifier-lambda/tools/fidelity_photos.py "$sets" --camera "$work"/x/*
  rm -rf "$work"
fi
dirs=()
for s in $fresh gcompris-qt-data-as-12mp-jpeg; do dirs+=("$sets/$s"); done
if [ "${BENCH_TUNED:-0}" = 1 ]; then
  if [ ! -d "$sets/tuned/mate-backgrounds" ]; then
    work=$(unpack $tuned)
    "$py" classifier-lambda/tools/fidelity_photos.py "$sets/tuned" "$work"/x/*
    rm -rf "$work"
  fi
  for s in $tuned; do dirs+=("$sets/tuned/$s"); done
fi
cargo build --release --quiet -p gallery --example rendition_fidelity
"$CARGO_TARGET_DIR/release/examples/rendition_fidelity" "${dirs[@]}"
