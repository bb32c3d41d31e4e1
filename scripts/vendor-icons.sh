#!/usr/bin/env bash
# Copies the icons the pages use from the npm package lucide-static (ISC licence, kept
# beside them) into templates/icons/, where the templates include them inline (so that they
# take the text's colour and need no request). Run it to add an icon or take a new version.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
version=1.62.0
icons="mic folder chevron-left chevron-right zoom-in zoom-out play pause x upload info download trash-2 folder-input refresh-cw ellipsis-vertical calendar images search users link"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "lucide-static@$version" >/dev/null && tar xzf lucide-static-*.tgz)
for icon in $icons; do
  cp "$work/package/icons/$icon.svg" templates/icons/
done
cp "$work/package/LICENSE" templates/icons/LICENSE
echo "lucide-static $version: $icons"
