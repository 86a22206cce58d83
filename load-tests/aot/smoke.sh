#!/usr/bin/env bash
# Publishes the server as native AOT (docs/deployment.md, "Native AOT") and checks the binary end to end on loopback:
# ready, a gRPC Decide, a malformed request refused with INVALID_ARGUMENT naming the message, AuthZEN (minimal API
# endpoints, source-generated), gRPC reflection, a require-human decision's CloudEvent delivered to a local webhook, /metrics, a
# configuration error named at start, and the trail verified by the CLI. Exits non-zero on the first failure.
#   load-tests/aot/smoke.sh [output-dir]          PDP_SERVER_BIN=<binary> skips the publish
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/pdp-aot}
fail() { echo "FAIL: $* ${work:+(server log: $work/server.log)}" >&2; keep=1; exit 1; }
command -v h2load >/dev/null || fail "h2load not found (apt-get install nghttp2-client)"

bin=${PDP_SERVER_BIN:-}
if [ -z "$bin" ]; then
  # The ILC links with clang; Debian's clang-14 package names it clang-14.
  cc=$(command -v clang || command -v clang-14) || fail "clang not found (apt-get install clang)"
  echo "publishing native AOT to $out (a few minutes)"
  dotnet publish src/Pdp.Server -c Release -r linux-x64 -p:PublishAot=true -p:CppCompilerAndLinker="$cc" -o "$out" -v q -nologo \
    >"$out.publish.log" 2>&1 || { tail -30 "$out.publish.log" >&2; fail "publish (log: $out.publish.log)"; }
  bin=$out/Pdp.Server
fi
[ -x "$bin" ] || fail "$bin is not an executable"

work=$(mktemp -d /tmp/pdp-aot-smoke.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; [ -n "${keep:-}" ] || rm -rf "$work"' EXIT
python3 load-tests/h2load/decide_body.py "$work"
printf '\0\0\0\0\3\377\377\377' >"$work/malformed.bin" # a frame of 3 bytes that are not a DecideRequest

# A webhook receiver that keeps what it is sent.
python3 - "$work" <<'EOF' &
import http.server, sys, pathlib
work = pathlib.Path(sys.argv[1])
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        (work / "hook.json").write_bytes(body)
        (work / "hook.type").write_text(self.headers["Content-Type"])
        self.send_response(204); self.end_headers()
    def log_message(self, *args): pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
(work / "hook.port").write_text(str(server.server_port))
server.serve_forever()
EOF
pids+=($!)
for _ in $(seq 100); do [ -s "$work/hook.port" ] && break; sleep 0.05; done
hook=$(cat "$work/hook.port")

grpc=50171 admin=8497 authzen=8498
secret="whsec_$(head -c 32 /dev/urandom | base64)"
started=$(date +%s.%N)
"$bin" --Pdp:PolicyDir="$PWD/policies" --Pdp:Audit:Path="$work/audit.jsonl" --Pdp:GrpcPort=$grpc --Pdp:AdminPort=$admin \
  --Pdp:AuthZen:Port=$authzen --Pdp:Notify:Endpoints:0:Url="http://127.0.0.1:$hook/hook" \
  --Pdp:Notify:Endpoints:0:Secret="$secret" --Logging:LogLevel:Default=Warning >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break; sleep 0.02; done
curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null || { cat "$work/server.log" >&2; fail "not ready"; }
python3 -c "print(f'ready after {$(date +%s.%N) - $started:.2f} s')"

status() { # status <method> <body> -> the grpc-status of one call (h2load shows it only in a trailers-only answer: 0 otherwise)
  local s
  s=$(h2load -n 1 -c 1 -d "$work/$2" -H 'content-type: application/grpc' -H 'te: trailers' -v "http://127.0.0.1:$grpc/$1" 2>&1 \
    | sed -n 's/.*grpc-status: \([0-9]*\).*/\1/p' | head -1)
  echo "${s:-0}"
}
[ "$(status pdp.v1.DecisionService/Decide decide.bin)" = 0 ] || fail "Decide did not answer OK"
echo "ok: gRPC Decide"
[ "$(status pdp.v1.DecisionService/Decide malformed.bin)" = 3 ] || fail "a malformed Decide was not INVALID_ARGUMENT"
echo "ok: malformed request refused with INVALID_ARGUMENT"
printf '\0\0\0\0\2\072\0' >"$work/reflection.bin" # ServerReflectionRequest { list_services: "" }
[ "$(status grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo reflection.bin)" = 0 ] || fail "gRPC reflection failed"
echo "ok: gRPC reflection"

answer=$(curl -fs "http://127.0.0.1:$authzen/access/v1/evaluation" -H 'Content-Type: application/json' -d '{
  "subject":  { "type": "agent", "id": "triage-bot", "properties": { "on_behalf_of": "alice@example.com" } },
  "action":   { "name": "iam.account.disable" },
  "resource": { "type": "account", "id": "bob@example.com" },
  "context":  { "environment": "staging" } }') || fail "AuthZEN evaluation"
grep -q '"verdict":"require_human"' <<<"$answer" || fail "AuthZEN answer: $answer"
echo "ok: AuthZEN evaluation (require_human)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$authzen/access/v1/evaluation" -H 'Content-Type: application/json' -d '{"subject":{}}')
[ "$code" = 400 ] || fail "a bad AuthZEN request answered $code, not 400"
echo "ok: bad AuthZEN request answered 400"

for _ in $(seq 100); do [ -s "$work/hook.json" ] && break; sleep 0.1; done
[ -s "$work/hook.json" ] || fail "no notification delivered"
grep -q 'application/cloudevents+json' "$work/hook.type" || fail "notification content type $(cat "$work/hook.type")"
python3 -c "import json,sys; e=json.load(open(sys.argv[1])); assert e['specversion']=='1.0' and e['data']['approver_group'], e" \
  "$work/hook.json" || fail "notification body $(cat "$work/hook.json")"
echo "ok: require-human CloudEvent delivered"

curl -fs "http://127.0.0.1:$admin/metrics" | grep -q '^pdp_decisions_total' || fail "no pdp_decisions_total in /metrics"
echo "ok: /metrics"

"$bin" --Pdp:PolicyDir="$PWD/policies" --Pdp:Audit:Path="$work/bad/audit.jsonl" --Pdp:GrpcPort=0 --Pdp:AdminPort=0 \
  --Pdp:Sandbox:TimeoutMilliseconds=-5 >"$work/bad.log" 2>&1 && fail "a negative timeout started"
grep -q 'TimeoutMilliseconds' "$work/bad.log" || { cat "$work/bad.log" >&2; fail "the configuration error does not name the setting"; }
echo "ok: configuration error named at start"

kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
dotnet run -c Release --project src/Pdp.Cli -v q -- audit verify "$work/audit.jsonl" >"$work/verify.log" 2>&1 || { cat "$work/verify.log" >&2; fail "the trail does not verify"; }
echo "ok: trail verifies ($(wc -l <"$work/audit.jsonl") records)"
echo "native AOT smoke passed: $bin"
