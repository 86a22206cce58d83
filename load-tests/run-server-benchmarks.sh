#!/usr/bin/env bash
# The server figures of docs/benchmarks.md in one command: builds Release, starts the server on loopback with a fresh
# durable trail in a temp directory, runs the closed-loop comparison (baseline vs mixed, baseline vs review), then the
# open loop at half the mixed maximum, and stops the server. Reports land in load-tests/results/.
# PDP_SERVER_BIN=<path> runs that executable (a native AOT publish, load-tests/aot/smoke.sh) as the server instead.
#   load-tests/run-server-benchmarks.sh [measure-seconds] [warm-up-seconds] [workers]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-20}
warmup=${2:-20}
workers=${3:-16}
grpc=${PDP_BENCH_GRPC_PORT:-50151}
admin=${PDP_BENCH_ADMIN_PORT:-8482}
out=load-tests/results

for project in src/Pdp.Server load-tests/Pdp.LoadGen; do
  dotnet build -c Release "$project" -v q -nologo >/dev/null || { echo "build of $project failed" >&2; exit 1; }
done
trail=$(mktemp -d /tmp/pdp-bench-trail.XXXXXX)
run=(dotnet src/Pdp.Server/bin/Release/net10.0/Pdp.Server.dll)
[ -z "${PDP_SERVER_BIN:-}" ] || run=("$PDP_SERVER_BIN" --Pdp:PolicyDir="$PWD/policies")
"${run[@]}" --Pdp:Audit:Path="$trail/audit.jsonl" \
  --Pdp:GrpcPort="$grpc" --Pdp:AdminPort="$admin" --Pdp:AuthZen:Port="${PDP_BENCH_AUTHZEN_PORT:-0}" --Logging:LogLevel:Default=Warning >"$trail/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$trail"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break; sleep 0.1; done

loadgen=(dotnet load-tests/Pdp.LoadGen/bin/Release/net10.0/pdp-loadgen.dll --target "http://127.0.0.1:$grpc" --server-pid "$server" --out "$out")
"${loadgen[@]}" --scenario mixed,review --compare baseline --mode closed --concurrency "$workers" --duration "$duration" --warmup "$warmup" | tee "$trail/closed.txt"
max=$(python3 -c "import json; r=json.load(open('$out/latest.json')); print(next(s['operations'][0]['throughput_per_s'] for s in r['scenarios'] if s['scenario']=='mixed'))")
rate=$(python3 -c "print(round($max / 2))")
"${loadgen[@]}" --scenario mixed --mode open --rate "$rate" --duration "$duration" --warmup 5
