#!/usr/bin/env bash
# Run a command with the action server beside it; stop the server when the command ends.
# Usage: scripts/with_actions.sh COMMAND [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
# The action server's port comes from one place: action_endpoint.url in endpoints.yml.
port="$(.venv/bin/python scripts/actions_port.py "${XIAOER_ENDPOINTS:-endpoints.yml}")"
mkdir -p var
# A missing or empty shop database fails here, saying what to run, instead of at the first message.
PYTHONPATH="${PYTHONPATH:-$PWD}" .venv/bin/python -m shop check >/dev/null
# rasa_sdk binds SANIC_HOST (0.0.0.0 by default): the action server trusts every tracker it is sent,
# so it listens on loopback only unless XIAOER_ACTIONS_BIND says otherwise (then firewall it to Rasa).
SANIC_HOST="${XIAOER_ACTIONS_BIND:-127.0.0.1}" .venv/bin/rasa run actions --actions actions --port "$port" >var/actions.log 2>&1 &
actions_pid=$!
trap 'kill "$actions_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  if curl -sf "http://localhost:$port/health" >/dev/null; then break; fi
  if ! kill -0 "$actions_pid" 2>/dev/null; then echo "action server failed, see var/actions.log" >&2; exit 1; fi
  sleep 0.5
done
"$@"
