#!/usr/bin/env bash
# Resident memory over a long run at maximum load: N Decide calls (h2load, -c 8 -m 16, the fixed body of
# decide_body.py) in 10 equal chunks back to back, the server's VmRSS and peak (VmHWM) after each, so growth over the
# second half shows. Durable trail, metrics on, shipped policies, Release build.
#   load-tests/h2load/memory.sh [calls] [extra server args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
calls=${1:-1000000}
shift $(( $# >= 1 ? 1 : 0 ))
. load-tests/h2load/server.sh
start_server "${PDP_BENCH_GRPC_PORT:-50162}" "${PDP_BENCH_ADMIN_PORT:-8493}" "$@"
kb() { awk -v k="$1" '$1 == k":" {print int($2/1024)}' "/proc/$server/status"; }
echo "ready: rss $(kb VmRSS) MB"
printf '%-8s %10s %9s %9s %8s\n' chunk decisions req_s rss_mb peak_mb
chunk=$(( calls / 10 ))
for i in $(seq 10); do
  rps=$(h2load -n "$chunk" -c 8 -m 16 -t 1 -d "$work/decide.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$grpc/pdp.v1.DecisionService/Decide" 2>&1 | sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p')
  printf '%-8s %10s %9.0f %9s %8s\n' "$i" "$(( i * chunk ))" "$rps" "$(kb VmRSS)" "$(kb VmHWM)"
done
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
