# Sourced by the test scripts: a SeaweedFS S3 server of our own (a real server that checks
# SigV4 signatures), every port on loopback and free, telemetry off. Sets S3_URL, S3_DIR and
# the test credentials; stop_seaweedfs stops it and removes its data.

S3_ACCESS_KEY=gallery-test
S3_SECRET_KEY=gallery-test-secret-key

# A free port p whose p+10000 (SeaweedFS's gRPC port) is free too.
free_port_pair() {
  python3 - <<'PY'
import random, socket
def free(p):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", p)); return True
        except OSError:
            return False
while True:
    p = random.randint(20000, 29999)
    if free(p) and free(p + 10000):
        print(p); break
PY
}

start_seaweedfs() {
  local weed="$CACHE/seaweedfs/weed" master volume filer s3 admin metrics
  [ -x "$weed" ] || { echo "SeaweedFS is missing: run scripts/setup.sh --test" >&2; return 1; }
  S3_DIR=$(mktemp -d /tmp/gallery-s3.XXXXXX)
  cat >"$S3_DIR/s3.json" <<JSON
{"identities": [{"name": "gallery", "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
  master=$(free_port_pair); S3_MASTER="127.0.0.1:$master"; volume=$(free_port_pair); filer=$(free_port_pair); s3=$(free_port_pair)
  admin=$(free_port_pair); metrics=$(free_port_pair)
  "$weed" mini -dir="$S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
    -master.port="$master" -volume.port="$volume" -filer.port="$filer" -s3.port="$s3" -admin.port="$admin" \
    -metricsPort="$metrics" -s3.config="$S3_DIR/s3.json" -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 >"$S3_DIR/weed.log" 2>&1 &
  S3_PID=$!
  S3_URL="http://127.0.0.1:$s3"
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null "$S3_URL"; then return 0; fi
    sleep 0.2
  done
  echo "SeaweedFS did not start:" >&2; tail -20 "$S3_DIR/weed.log" >&2
  return 1
}

stop_seaweedfs() {
  [ -n "${S3_PID:-}" ] || return 0
  kill "$S3_PID" 2>/dev/null; wait "$S3_PID" 2>/dev/null
  rm -rf "$S3_DIR"
  S3_PID=
}

# create_bucket NAME: a bucket on the running SeaweedFS (no error if it exists).
create_bucket() {
  echo "s3.bucket.create -name $1" | "$CACHE/seaweedfs/weed" shell -master="$S3_MASTER" >/dev/null 2>&1 || true
}
