#!/usr/bin/env bash
# What `make serve` runs: the action server, then Rasa with the guarded REST and socket.io channels
# (credentials.yml) and its HTTP API behind a token. The API token comes from XIAOER_API_TOKEN, or a
# demo's var/secrets/api_token (generated once); with SHOP_ENV=production every secret must be set.
# Usage: scripts/serve.sh [extra rasa run arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="${PYTHONPATH:-$PWD}"
.venv/bin/python -m shop check-config
api_token="$(.venv/bin/python -m shop secret api-token)"
exec scripts/with_actions.sh .venv/bin/rasa run -m "${XIAOER_MODEL:-models/current.tar.gz}" \
  --enable-api --auth-token="$api_token" \
  --interface "${XIAOER_BIND:-127.0.0.1}" --port "${XIAOER_PORT:-5005}" \
  --cors "${XIAOER_CORS:-*}" --response-timeout 60 \
  --credentials credentials.yml --endpoints "${XIAOER_ENDPOINTS:-endpoints.yml}" "$@"
