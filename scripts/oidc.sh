# Sourced by the test scripts: the OpenID Connect provider of the tests (npm oidc-provider,
# tests/oidc/provider.mjs) on a free loopback port. Sets OIDC_URL; stop_oidc stops it.

start_oidc() {
  OIDC_LOG=$(mktemp /tmp/gallery-oidc.XXXXXX)
  (cd "$ROOT/tests/oidc" && exec node provider.mjs) >"$OIDC_LOG" 2>&1 &
  OIDC_PID=$!
  for _ in $(seq 1 100); do
    OIDC_URL=$(sed -n 's/^OIDC provider at \(http:[^ ]*\)$/\1/p' "$OIDC_LOG")
    [ -n "$OIDC_URL" ] && return 0
    sleep 0.1
  done
  echo "the OpenID Connect provider did not start:" >&2; cat "$OIDC_LOG" >&2
  return 1
}

stop_oidc() {
  [ -n "${OIDC_PID:-}" ] || return 0
  kill "$OIDC_PID" 2>/dev/null || true
  wait "$OIDC_PID" 2>/dev/null || true
  rm -f "$OIDC_LOG"
  OIDC_PID=
}
