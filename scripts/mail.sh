# Sourced by the test scripts: the tests' SMTP server (PyPI aiosmtpd, tests/mail/server.py)
# on a free loopback port, keeping each message as a file in MAIL_DIR. Sets SMTP_ADDR
# (127.0.0.1:PORT) and MAIL_DIR; stop_mail stops it.

start_mail() {
  MAIL_DIR=$(mktemp -d /tmp/gallery-mail.XXXXXX)
  MAIL_LOG="$MAIL_DIR.log"
  "$CACHE/venv/bin/python" "$ROOT/tests/mail/server.py" --dir "$MAIL_DIR" >"$MAIL_LOG" 2>&1 &
  MAIL_PID=$!
  for _ in $(seq 1 100); do
    SMTP_ADDR=$(sed -n 's/^SMTP server at \([0-9.:]*\)$/\1/p' "$MAIL_LOG")
    [ -n "$SMTP_ADDR" ] && return 0
    sleep 0.1
  done
  echo "the SMTP server did not start:" >&2; cat "$MAIL_LOG" >&2
  return 1
}

stop_mail() {
  [ -n "${MAIL_PID:-}" ] || return 0
  kill "$MAIL_PID" 2>/dev/null || true
  wait "$MAIL_PID" 2>/dev/null || true
  rm -rf "$MAIL_DIR" "$MAIL_LOG"
  MAIL_PID=
}
