#!/usr/bin/env bash
# Start-up time (process start to GET /readyz = 200) and resident memory at that moment, on an empty trail and on a
# generated trail of N records (`pdp audit generate`, checkpointed as the server checkpoints). Shipped policies,
# Release build, loopback only. The generated trail is kept in $PDP_BENCH_TRAIL_DIR (default /tmp/pdp-trail-N) and
# reused by later runs: each start adds a policy_load and a checkpoint record.
# Extra server arguments (e.g. --Pdp:Review:RetainDecisions=1000) go in $PDP_BENCH_SERVER_ARGS.
#   load-tests/trail-startup.sh [records] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-10000000}
runs=${2:-3}
admin=${PDP_BENCH_ADMIN_PORT:-18777}
grpc=${PDP_BENCH_GRPC_PORT:-50777}
trail=${PDP_BENCH_TRAIL_DIR:-/tmp/pdp-trail-$records}
dotnet build -c Release src/Pdp.Server -v q -nologo >/dev/null || { echo "build of src/Pdp.Server failed" >&2; exit 1; }
dotnet build -c Release src/Pdp.Cli -v q -nologo >/dev/null || { echo "build of src/Pdp.Cli failed" >&2; exit 1; }
if [ ! -e "$trail/audit.jsonl" ]; then
  dotnet src/Pdp.Cli/bin/Release/net10.0/pdp.dll audit generate "$trail/audit.jsonl" --records "$records"
fi
empty=$(mktemp -d /tmp/pdp-empty-trail.XXXXXX)
trap 'rm -rf "$empty"' EXIT
start_once() {
  local dir=$1 log=$2
  local start end pid
  start=$(date +%s%N)
  dotnet src/Pdp.Server/bin/Release/net10.0/Pdp.Server.dll --Pdp:PolicyDir=policies --Pdp:Audit:Path="$dir/audit.jsonl" \
    --Pdp:GrpcPort="$grpc" --Pdp:AdminPort="$admin" --Pdp:AuthZen:Port=0 --Pdp:Reload:Watch=false ${PDP_BENCH_SERVER_ARGS:-} >"$log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.02
  done
  end=$(date +%s%N)
  echo "ready in $(( (end - start) / 1000000 )) ms, rss $(grep VmRSS /proc/$pid/status | awk '{print int($2/1024)}') MB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
for run in $(seq "$runs"); do
  rm -rf "${empty:?}"/*
  echo "run $run empty trail: $(start_once "$empty" "$empty.log")"
  echo "run $run $records records ($(du -sh "$trail" | cut -f1)): $(start_once "$trail" /tmp/pdp-trail-startup.log)"
  grep -o 'resumed from the checkpoint.*' /tmp/pdp-trail-startup.log | head -1
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
