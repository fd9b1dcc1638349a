#!/bin/sh
# One node with the real UNODC seizures, an analyst to log in as, and the API on loopback.
set -eu
: "${VINCULO_HOME:=var/demo}" "${PORT:=8000}" "${BIN:=.venv/bin}"
export VINCULO_HOME
V="$BIN/vinculo"
if [ ! -f "$VINCULO_HOME/node.json" ]; then
  "$V" init --node-id us-demo --name "Demo agency (US)" --country US
  printf '%s\n' "demo-analyst-pass" | "$V" user add analyst --role analyst --password-stdin
  printf '%s\n' "demo-auditor-pass" | "$V" user add auditor --role auditor --password-stdin
fi
"$V" import unodc-ids examples/data/drug-trafficking-unodc.zip
"$V" records count --substance fentanyl | sed 's/^/fentanyl seizures held: /'
"$V" audit verify
cat <<MSG

Vinculo node us-demo is starting on http://127.0.0.1:$PORT  (API docs: http://127.0.0.1:$PORT/docs)
Log in:
  curl -s -X POST http://127.0.0.1:$PORT/api/v1/auth/login -H 'content-type: application/json' \\
       -d '{"username":"analyst","password":"demo-analyst-pass"}'
Then:
  curl -s 'http://127.0.0.1:$PORT/api/v1/records?substance=fentanyl&limit=5' -H "Authorization: Bearer <token>"
Stop with Ctrl-C. The node lives in $VINCULO_HOME.
MSG
exec "$V" serve --host 127.0.0.1 --port "$PORT"
