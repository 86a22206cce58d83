#!/usr/bin/env bash
# Decide against a no-op call on one server, with an outside generator (h2load): server CPU per call (from
# /proc/<pid>/stat, before and after each run), throughput ratio and peak RSS. Decide and grpc.health.v1.Health/Check
# alternate on the same server for a number of rounds, after a warm-up.
#   load-tests/h2load/compare.sh [requests-per-run] [rounds] [extra server args...]
# e.g. load-tests/h2load/compare.sh 200000 3 --Pdp:Audit:Durability=Buffered
set -euo pipefail
cd "$(dirname "$0")/../.."
requests=${1:-200000}
rounds=${2:-3}
shift $(( $# >= 2 ? 2 : $# ))
. load-tests/h2load/server.sh
start_server "${PDP_BENCH_GRPC_PORT:-50161}" "${PDP_BENCH_ADMIN_PORT:-8492}" "$@"

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
peak() { awk '/VmHWM/ {print $2}' "/proc/$server/status"; }
run() { # run <method> <body> <n> -> prints "<req/s> <cpu-us-per-call> <errors>"
  local before after out
  before=$(cpu)
  out=$(h2load -n "$3" -c 8 -m 16 -t 1 -d "$work/$2" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$grpc/$1" 2>&1)
  after=$(cpu)
  local rps fail
  rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  fail=$(sed -n 's/^requests: .* \([0-9]*\) failed.*/\1/p' <<<"$out")
  python3 -c "print(f'$rps {($after - $before) * 1e6 / $ticks / $3:.1f} $fail')"
}
decide=pdp.v1.DecisionService/Decide
health=grpc.health.v1.Health/Check
# The fixed body must decide (not be refused): one call through h2load shows the grpc-status.
status=$(h2load -n 1 -c 1 -d "$work/decide.bin" -H 'content-type: application/grpc' -H 'te: trailers' -v "http://127.0.0.1:$grpc/$decide" 2>&1 | sed -n 's/.*grpc-status: \([0-9]*\).*/\1/p' | head -1)
[ "${status:-0}" = 0 ] || { echo "Decide answered grpc-status $status" >&2; exit 1; }
echo "warm-up"; run "$health" health.bin "$requests" >/dev/null; run "$decide" decide.bin "$requests" >/dev/null
printf '%-6s %12s %12s %14s %14s %8s %8s\n' round noop_req_s decide_req_s noop_cpu_us decide_cpu_us cpu_x thr_ratio
for r in $(seq "$rounds"); do
  read -r hr hc hf < <(run "$health" health.bin "$requests")
  read -r dr dc df < <(run "$decide" decide.bin "$requests")
  python3 -c "print(f'{$r:<6} {$hr:12.0f} {$dr:12.0f} {$hc:14.1f} {$dc:14.1f} {$dc/$hc:8.2f} {$dr/$hr:8.3f}   failed {$hf}/{$df}')"
done
echo "peak RSS $(( $(peak) / 1024 )) MB; load $(cut -d' ' -f1-3 /proc/loadavg); trail $(wc -l <"$work/audit.jsonl") records in the active file"
