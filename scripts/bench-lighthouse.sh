#!/usr/bin/env bash
# Lighthouse scores (Performance, Accessibility, Best Practices, SEO) of the signed-in
# gallery page /gallery holding 500 photos (varied sizes and aspects, all classified), for
# the desktop and the mobile form factor, on Debian's Chromium. Prints the scores, the key
# performance metrics and every accessibility / best-practices audit that does not pass,
# with the elements it names; the JSON reports stay in test-results/lighthouse/.
# BENCH_BIN=PATH measures another build of the server (default: the release build here).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test

# Lighthouse (npm), in a folder of its own. 12.8 is the last line that runs on Node 20.
LIGHTHOUSE_VERSION=12.8.2
LIGHTHOUSE_DIR="$CACHE/lighthouse"
lighthouse="$LIGHTHOUSE_DIR/node_modules/.bin/lighthouse"
if [ "$("$lighthouse" --version 2>/dev/null)" != "$LIGHTHOUSE_VERSION" ]; then
  say "Installing Lighthouse $LIGHTHOUSE_VERSION (npm, in .cache/lighthouse)"
  mkdir -p "$LIGHTHOUSE_DIR"
  npm install --prefix "$LIGHTHOUSE_DIR" --no-audit --no-fund --loglevel=error "lighthouse@$LIGHTHOUSE_VERSION"
fi
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

# 500 photo-like JPEGs of 1 to 3 MP in seven aspects, from the classifier's test photos:
# a random crop, a tint and grain make each one different (and compress like a camera's).
PHOTOS=500
photos="$CACHE/lighthouse-photos"
if [ ! -f "$photos/photo-$((PHOTOS - 1)).jpg" ]; then
  say "Making $PHOTOS photos (in .cache/lighthouse-photos)"
  "$CACHE/venv/bin/python" - "$photos" "$PHOTOS" <<'PY'
import os, sys
import numpy as np
from PIL import Image

out, n = sys.argv[1], int(sys.argv[2])
here = os.path.join("classifier-lambda", "testdata")
sources = [Image.open(os.path.join(here, f)).convert("RGB")
           for f in ("coffee-large.jpg", "chelsea.jpg", "rocket.jpg", "astronaut.jpg", "coffee.png")]
aspects = [(4, 3), (3, 4), (3, 2), (2, 3), (16, 9), (9, 16), (1, 1)]
rng = np.random.default_rng(500)
os.makedirs(out, exist_ok=True)
for i in range(n):
    src = sources[i % len(sources)]
    aw, ah = aspects[i % len(aspects)]
    pixels = rng.uniform(1.0, 3.0) * 1e6
    width = int(round((pixels * aw / ah) ** 0.5)); height = int(round(width * ah / aw))
    # A crop of the source with the photo's aspect, at 60-100 % of the largest that fits.
    scale = min(src.width / aw, src.height / ah) * rng.uniform(0.6, 1.0)
    cw, ch = int(aw * scale), int(ah * scale)
    x, y = int(rng.integers(0, src.width - cw + 1)), int(rng.integers(0, src.height - ch + 1))
    photo = src.crop((x, y, x + cw, y + ch)).resize((width, height), Image.BICUBIC)
    tint = rng.uniform(0.8, 1.2, 3).astype(np.float32)
    grain = rng.normal(0, 3, (height, width, 3)).astype(np.float32)
    arr = np.clip(np.asarray(photo, dtype=np.float32) * tint + grain, 0, 255).astype(np.uint8)
    Image.fromarray(arr).save(os.path.join(out, f"photo-{i}.jpg"), quality=85)
print(f"{n} photos in {out}")
PY
fi

if [ -n "${BENCH_BIN:-}" ]; then
  bin="$BENCH_BIN"
else
  cargo build --release -p gallery --bin gallery --quiet
  bin="$CARGO_TARGET_DIR/release/gallery"
fi

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say "Starting $bin on 127.0.0.1 (fresh database and storage)"
GALLERY_BIND=127.0.0.1:0 GALLERY_DATABASE_URL="sqlite://$work/gallery.db" GALLERY_STORAGE="fs:$work/objects" \
  GALLERY_PUBLIC_URL="" GALLERY_LOG=warn "$bin" serve >"$work/stdout" 2>"$work/stderr" &
pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's/.*running at \(http:[^ ]*\).*/\1/p' "$work/stdout")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then echo "the gallery did not start:" >&2; cat "$work/stderr" >&2; exit 1; fi
case "$url" in http://127.0.0.1:*) ;; *) echo "unexpected address $url" >&2; exit 1 ;; esac

email=lighthouse@example.org password="correct horse battery staple"
json() { python3 -c 'import json, sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }
curl -sf -X POST "$url/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "$(json email "$email" password "$password" display_name "Lighthouse")" >/dev/null
token=$(curl -sf -X POST "$url/api/v1/auth/login" -H 'content-type: application/json' \
  -d "$(json email "$email" password "$password")" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

say "Uploading $PHOTOS photos (5 a request, 3 requests at once)"
start=$(date +%s)
upload() {
  local args=()
  for f in "$@"; do args+=(-F "file=@$f;type=image/jpeg"); done
  curl -sf -X POST "$url/api/v1/images" -H "authorization: Bearer $token" "${args[@]}" >/dev/null
}
export -f upload
export url token
ls "$photos"/photo-*.jpg | sort -V | head -n "$PHOTOS" | xargs -d '\n' -n 5 -P 3 bash -c 'upload "$@"' _
echo "uploaded in $(( $(date +%s) - start )) s"

say "Waiting for the classifier to finish"
count_states() {
  curl -sf "$url/api/v1/images?limit=1000" -H "authorization: Bearer $token" | python3 -c '
import collections, json, sys
images = json.load(sys.stdin)
states = collections.Counter(i["status"] for i in images)
print(len(images), states.get("done", 0), states.get("error", 0))'
}
while :; do
  read -r total done_ errors < <(count_states)
  [ "$total" -ge "$PHOTOS" ] && [ $((done_ + errors)) -ge "$total" ] && break
  if [ $(( $(date +%s) - start )) -gt 900 ]; then echo "classification did not finish: $done_ of $total" >&2; exit 1; fi
  sleep 2
done
echo "$total photos: $done_ classified, $errors in error, after $(( $(date +%s) - start )) s"

# A web session: the sign-in form (its CSRF token and cookie), posted with a cookie jar.
jar="$work/cookies"
csrf=$(curl -sf -c "$jar" "$url/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -sf -b "$jar" -c "$jar" -o /dev/null "$url/login" \
  --data-urlencode "csrf=$csrf" --data-urlencode "email=$email" --data-urlencode "password=$password"
cookie=$(awk -F '\t' 'NF == 7 && ($1 !~ /^#/ || $1 ~ /^#HttpOnly_/) { printf "%s%s=%s", sep, $6, $7; sep = "; " }' "$jar")
case "$cookie" in *gallery_session=*) ;; *) echo "signing in did not give a session cookie" >&2; exit 1 ;; esac
json Cookie "$cookie" >"$work/headers.json"
curl -sf -H "cookie: $cookie" -o "$work/gallery.html" "$url/gallery"
grep -q 'id="grid"' "$work/gallery.html" || { echo "/gallery shows no photos when signed in" >&2; exit 1; }

results="$ROOT/test-results/lighthouse"
mkdir -p "$results"
for form in desktop mobile; do
  say "Lighthouse, $form"
  preset=(); [ "$form" = desktop ] && preset=(--preset=desktop)
  "$lighthouse" "$url/gallery" "${preset[@]}" --quiet \
    --chrome-flags="--headless --no-sandbox --disable-gpu" \
    --only-categories=performance,accessibility,best-practices,seo \
    --extra-headers="$work/headers.json" \
    --output=json --output-path="$results/$form.json"
done

say "Scores ($PHOTOS photos on /gallery; reports in ${results#"$ROOT"/}/)"
python3 - "$results/desktop.json" "$results/mobile.json" <<'PY'
import json, os, re, sys

reports = {os.path.basename(path).removesuffix(".json"): json.load(open(path)) for path in sys.argv[1:]}
cats = [("performance", "Performance"), ("accessibility", "Accessibility"),
        ("best-practices", "Best Practices"), ("seo", "SEO")]
metrics = [("first-contentful-paint", "FCP"), ("largest-contentful-paint", "LCP"),
           ("total-blocking-time", "TBT"), ("cumulative-layout-shift", "CLS"), ("speed-index", "Speed Index")]

def score(value):
    return "-" if value is None else f"{round(value * 100)}"

print(f"{'':16}" + "".join(f"{form:>10}" for form in reports))
for cid, name in cats:
    print(f"{name:16}" + "".join(f"{score(r['categories'].get(cid, {}).get('score')):>10}" for r in reports.values()))
for aid, name in metrics:
    print(f"{name:16}" + "".join(f"{r['audits'][aid].get('displayValue', '-'):>10}" for r in reports.values()))

def where(item):
    node = item.get("node") or {}
    for value in (node.get("selector"), item.get("selector"), item.get("url"), item.get("source"),
                  item.get("description"), item.get("issueType")):
        if isinstance(value, dict):
            value = value.get("url") or value.get("text")
        if value:
            return re.sub(r"^https?://127\.0\.0\.1:\d+", "", str(value))[:140]
    return None

for form, r in reports.items():
    failing = []
    for cid in ("accessibility", "best-practices", "seo"):
        for ref in r["categories"].get(cid, {}).get("auditRefs", []):
            audit = r["audits"][ref["id"]]
            if audit.get("scoreDisplayMode") in ("binary", "numeric") and audit.get("score") is not None and audit["score"] < 1:
                failing.append((cid, audit))
    print(f"\n{form}: {len(failing)} audit(s) not passing in accessibility / best practices / SEO")
    for cid, audit in failing:
        print(f"  [{cid}] {audit['id']}: {audit['title']}")
        items = (audit.get("details") or {}).get("items") or []
        for item in items[:8]:
            w = where(item)
            if w:
                print(f"      {w}")
        if len(items) > 8:
            print(f"      … and {len(items) - 8} more")
    # What Lighthouse proposes for performance (the metrics themselves are above).
    ideas = []
    for ref in r["categories"]["performance"]["auditRefs"]:
        audit = r["audits"][ref["id"]]
        if ref.get("group") in ("metrics", "hidden") or audit.get("score") is None or audit["score"] >= 0.9:
            continue
        if audit.get("scoreDisplayMode") not in ("binary", "numeric", "metricSavings"):
            continue
        ideas.append(audit)
    print(f"{form}: {len(ideas)} performance opportunit{'y' if len(ideas) == 1 else 'ies'}")
    for audit in ideas:
        value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
        items = (audit.get("details") or {}).get("items") or []
        if items and items[0].get("type") == "table":
            items = items[0].get("items") or []
        shown = [w for w in map(where, items[:2]) if w]
        print(f"  {audit['id']}: {audit['title']}{value}" + (f" — e.g. {', '.join(shown)}" if shown else ""))
PY
