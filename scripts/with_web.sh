#!/usr/bin/env bash
# Run a command with the web app beside it (the demo shop with the widget, /widget.js, the agents' desk);
# stop the web app when the command ends. Port: XIAOER_WEB_PORT (default 8080); Rasa as the web app
# reaches it: XIAOER_RASA_URL (default http://localhost:5005).
# Usage: scripts/with_web.sh COMMAND [ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="${PYTHONPATH:-$PWD}"
port="${XIAOER_WEB_PORT:-8080}"
mkdir -p var
# The web app calls Rasa's HTTP API with the same token as Rasa is started with: make sure a demo's
# generated secret exists before either process reads it.
.venv/bin/python -m shop secret api-token >/dev/null
.venv/bin/python -m web --host "${XIAOER_WEB_BIND:-127.0.0.1}" --port "$port" >var/web.log 2>&1 &
web_pid=$!
trap 'kill "$web_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  if curl -sf "http://localhost:$port/desk/login" >/dev/null; then break; fi
  if ! kill -0 "$web_pid" 2>/dev/null; then echo "web app failed, see var/web.log" >&2; exit 1; fi
  sleep 0.5
done
echo "web app: http://localhost:$port/ (demo shop), /desk/ (agents' desk); log var/web.log"
"$@"
