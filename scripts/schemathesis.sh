#!/usr/bin/env bash
# Property-based run of schemathesis against the server's own OpenAPI document:
# no 5xx, and every answer matches the document. Bounded in examples and time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
start_gallery "$work"
trap 'kill $GALLERY_PID 2>/dev/null; wait $GALLERY_PID 2>/dev/null; rm -rf "$work"' EXIT

api="$GALLERY_URL/api/v1"
curl -sf -X POST "$api/auth/signup" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.org","password":"correct horse battery"}' >/dev/null
token=$(curl -sf -X POST "$api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"fuzz@example.org","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
# A folder and a photo, so that generated ids sometimes meet real ones.
curl -sf -X POST "$api/folders" -H "authorization: Bearer $token" -H 'content-type: application/json' -d '{"name":"Fuzz"}' >/dev/null

# Signing out (/auth/logout, and DELETE /me/sessions/{id} with the id GET /me/sessions gives)
# would end the run's own token and leave every later operation a 401; server/tests/access.rs
# tests them.
# /voice/transcribe takes audio (audio/wav, audio/webm, …), which schemathesis cannot make;
# server/tests/transcription.rs and speech/tests/audio.rs send it real and broken recordings.
timeout 600 "$CACHE/venv/bin/schemathesis" run "$api/openapi.json" \
  --url "$api" \
  -H "Authorization: Bearer $token" \
  --exclude-path /auth/logout \
  --exclude-path '/me/sessions/{id}' \
  --exclude-path /voice/transcribe \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
  --request-timeout 20 \
  --seed 1 \
  --no-color
