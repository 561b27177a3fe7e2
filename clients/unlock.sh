#!/bin/sh
# Opens a lock with curl. Set LATCHKEY_URL, LATCHKEY_API_KEY, LATCHKEY_API_SECRET and
# LOCK_ID (a lockId or objectId).
set -eu
curl -sS "${LATCHKEY_URL:-http://127.0.0.1:8080}/rest/functions/performUnlock" \
  -H "Nexkey-Api-Key: $LATCHKEY_API_KEY" \
  -H "Nexkey-Api-Secret: $LATCHKEY_API_SECRET" \
  -H 'Content-Type: application/json' \
  -d "{\"lockId\": \"$LOCK_ID\", \"user\": {\"externalId\": \"desk-1\", \"name\": \"Front desk\"}}"
echo
