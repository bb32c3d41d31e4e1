# Sourced by the test scripts: a throwaway PostgreSQL cluster of our own on a free
# loopback port (fsync off: test data only), stopped and removed by stop_postgres.
# Sets PG_URL (postgres://postgres@127.0.0.1:PORT) and PG_DIR. The server also speaks TLS,
# with a certificate for 127.0.0.1 and localhost from a test CA made here (openssl); PG_CA is
# that CA's certificate, for sslmode=verify-full.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(pg_bin)
  [ -n "$bin" ] || { echo "PostgreSQL is not installed (scripts/setup.sh --test installs it)" >&2; return 1; }
  PG_DIR=$(mktemp -d /tmp/gallery-pg.XXXXXX)
  [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
  as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1
  postgres_tls "$PG_DIR/tls"
  port=$(free_port)
  as_postgres "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start \
    -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c ssl=on -c ssl_cert_file=$PG_DIR/tls/server.crt -c ssl_key_file=$PG_DIR/tls/server.key" >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$port"
}

# postgres_tls DIR: a test CA (ca.crt) and the server's certificate and key signed by it.
postgres_tls() {
  local dir="$1"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Gallery test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext" -out "$dir/server.crt" 2>/dev/null
  chmod 600 "$dir/server.key"
  [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
  chmod 644 "$dir/ca.crt"
  PG_CA="$dir/ca.crt"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  as_postgres "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
