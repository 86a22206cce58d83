#!/usr/bin/env bash
# Time from process start to ready (GET /readyz answers 200) with N generated policies (default 100): the shipped
# policies copied N/5 times each under new ids, with the shipped data. Builds Release first; loopback only.
#   load-tests/startup-time.sh [policies] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100}
runs=${2:-3}
admin=${PDP_BENCH_ADMIN_PORT:-8483}
grpc=${PDP_BENCH_GRPC_PORT:-50152}
dotnet build -c Release src/Pdp.Server -v q -nologo >/dev/null || { echo "build of src/Pdp.Server failed" >&2; exit 1; }
dir=$(mktemp -d /tmp/pdp-startup.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/policies/data"
cp policies/data/*.json "$dir/policies/data/"
shipped=(policies/*.js)
for i in $(seq 0 $((count - 1))); do
  src=${shipped[$((i % ${#shipped[@]}))]}
  # New id per copy; everything else (applies_to, code, data) as shipped.
  sed -E "0,/^  id: \"([^\"]+)\"/s//  id: \"\1-$i\"/" "$src" >"$dir/policies/p$(printf %03d "$i").js"
done
for run in $(seq "$runs"); do
  rm -rf "$dir/trail"
  start=$(date +%s%N)
  dotnet src/Pdp.Server/bin/Release/net10.0/Pdp.Server.dll --Pdp:PolicyDir="$dir/policies" --Pdp:Audit:Path="$dir/trail/audit.jsonl" \
    --Pdp:GrpcPort="$grpc" --Pdp:AdminPort="$admin" --Pdp:AuthZen:Port="${PDP_BENCH_AUTHZEN_PORT:-0}" --Pdp:Reload:Watch=false >"$dir/server.log" 2>&1 &
  pid=$!
  until curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { cat "$dir/server.log"; exit 1; }
    sleep 0.02
  done
  end=$(date +%s%N)
  echo "run $run: ready in $(( (end - start) / 1000000 )) ms with $(grep -o '([0-9]* policies' "$dir/server.log" | head -1 | tr -d '(') (rss $(grep VmRSS /proc/$pid/status | awk '{print int($2/1024)}') MB)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
