#!/usr/bin/env bash
# The review-plane figures of docs/benchmarks.md ("Review plane (PostgreSQL store)") in one command. Builds Release,
# starts two servers at once on loopback, each with its own fresh durable trail: L with the local review store, P with
# the PostgreSQL store on a fresh database. Then:
#   1. the `decided` scenario (allow/deny only), closed loop, alternately L, P for several rounds after a warm-up of
#      both: per-round and mean throughput, server CPU µs per call, and the P/L ratio (same run, same load);
#   2. the `human` scenario (require-human only): closed-loop maximum on P, then open loop at half of it on P and on L;
#   3. the `mixed` scenario on P, sampling pdp_decision_log_backlog_records every 0.5 s; at the end the shipping lag
#      histogram (pdp_decision_log_lag_seconds) from /metrics, p50/p99 to bucket resolution.
#   load-tests/run-review-plane-benchmarks.sh [measure-seconds] [warm-up-seconds] [workers] [rounds]
# PostgreSQL: $PDP_TEST_POSTGRES (an Npgsql connection string; the role needs CREATEDB). Without it, the script runs
# itself under .ci/postgres (a throwaway cluster on port $PDP_BENCH_PG_PORT, default 55439).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PDP_TEST_POSTGRES:-}" ]]; then
  exec bash .ci/postgres "${PDP_BENCH_PG_PORT:-55439}" bash "$0" "$@"
fi
duration=${1:-20}
warmup=${2:-30}
workers=${3:-16}
rounds=${4:-3}
out=load-tests/results
mkdir -p "$out"

for project in src/Pdp.Server load-tests/Pdp.LoadGen; do
  dotnet build -c Release "$project" -v q -nologo >/dev/null || { echo "build of $project failed" >&2; exit 1; }
done
work=$(mktemp -d /tmp/pdp-review-bench.XXXXXX)

# A fresh database for P, on the cluster of PDP_TEST_POSTGRES (its Database key replaced).
db="pdp_bench_$(date +%s)_$$"
read -r pg_conninfo pg_connection < <(python3 - "$PDP_TEST_POSTGRES" "$db" <<'EOF'
import sys
pairs = dict(p.split("=", 1) for p in sys.argv[1].split(";") if "=" in p)
keys = {k.lower(): v for k, v in pairs.items()}
info = f"host={keys.get('host', '127.0.0.1')} port={keys.get('port', '5432')} user={keys.get('username', keys.get('user id', 'postgres'))} dbname={keys.get('database', 'postgres')}"
pairs = {k: v for k, v in pairs.items() if k.lower() != "database"}
pairs["Database"] = sys.argv[2]
print(info.replace(" ", "|"), ";".join(f"{k}={v}" for k, v in pairs.items()))
EOF
)
pg_conninfo=${pg_conninfo//|/ }
psql "$pg_conninfo" -qAt -c "CREATE DATABASE $db" >/dev/null

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$pg_conninfo" -qAt -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME GRPC ADMIN [extra server args...]: prints the pid.
start() {
  local name=$1 grpc=$2 admin=$3
  shift 3
  mkdir -p "$work/$name"
  dotnet src/Pdp.Server/bin/Release/net10.0/Pdp.Server.dll --Pdp:Audit:Path="$work/$name/audit.jsonl" --Pdp:InstanceId="bench-$name" \
    --Pdp:GrpcPort="$grpc" --Pdp:AdminPort="$admin" --Pdp:AuthZen:Port=0 --Logging:LogLevel:Default=Warning "$@" >"$work/$name/server.log" 2>&1 &
  echo $!
}
l_grpc=${PDP_BENCH_L_GRPC_PORT:-50161}; l_admin=${PDP_BENCH_L_ADMIN_PORT:-8491}
p_grpc=${PDP_BENCH_P_GRPC_PORT:-50162}; p_admin=${PDP_BENCH_P_ADMIN_PORT:-8492}
l_pid=$(start local "$l_grpc" "$l_admin"); pids+=("$l_pid")
p_pid=$(start postgres "$p_grpc" "$p_admin" --Pdp:Review:Store=postgres --Pdp:Review:Postgres:ConnectionString="$pg_connection"); pids+=("$p_pid")
for admin in "$l_admin" "$p_admin"; do
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null || { echo "server on admin port $admin not ready:" >&2; cat "$work"/*/server.log >&2; exit 1; }
done

# CPU seconds the whole PostgreSQL cluster has used: the postmaster (with its reaped children) plus live backends.
# P's shipping costs the database CPU on these same two cores, which the Pdp server's own CPU figure does not show.
pg_data=$(psql "$pg_conninfo" -qAt -c "select setting from pg_settings where name='data_directory'")
pg_master=$(head -n 1 "$pg_data/postmaster.pid")
pg_cpu() {
  python3 - "$pg_master" <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
master = sys.argv[1]
m = fields(master)
total = sum(int(x) for x in m[11:15])  # utime stime cutime cstime
for pid in os.listdir("/proc"):
    if pid.isdigit() and pid != master:
        try:
            f = fields(pid)
        except OSError:
            continue
        if f[1] == master:
            total += int(f[11]) + int(f[12])
print(total / tick)
PY
}
loadgen() { dotnet load-tests/Pdp.LoadGen/bin/Release/net10.0/pdp-loadgen.dll --out "$out" --quiet "$@"; }
field() { python3 -c "import json,sys; r=json.load(open('$out/latest.json')); s=r['scenarios'][0]; o=s['operations'][0]; print($1)"; }
metric() { curl -fs "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
# Waits (up to 60 s) until P has shipped everything, so its shipping does not run into the next round of L.
drain() {
  for _ in $(seq 600); do [[ "$(metric "$p_admin" pdp_decision_log_backlog_records)" == "0" ]] && return 0; sleep 0.1; done
  echo "warning: P's backlog did not drain within 60 s" >&2
}
summary="$work/summary.txt"
note() { echo "$*" | tee -a "$summary"; }
note "review-plane benchmarks, commit $(git rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'), ${workers} workers, ${duration} s per round"

# 1. decided: warm both servers (their JIT needs 30-40 s of load), then alternate L, P.
for target in "$l_grpc" "$p_grpc"; do
  loadgen --target "http://127.0.0.1:$target" --scenario decided --mode closed --concurrency "$workers" --duration 5 --warmup "$warmup" >/dev/null
done
drain
note ""
note "decided (allow/deny only), closed loop:"
note "round store calls/s server_cpu_us_per_call postgres_cpu_us_per_call p50_ms p99_ms errors load_avg"
l_sum=0; p_sum=0; lc_sum=0; pc_sum=0
for round in $(seq "$rounds"); do
  for store in L P; do
    if [[ $store == L ]]; then target=$l_grpc; pid=$l_pid; else target=$p_grpc; pid=$p_pid; fi
    pg0=$(pg_cpu)
    loadgen --target "http://127.0.0.1:$target" --server-pid "$pid" --scenario decided --mode closed --concurrency "$workers" --duration "$duration" --warmup 3 >/dev/null
    pg1=$(pg_cpu)
    cp "$out/latest.json" "$out/review-plane-decided-$round-$store.json"
    tput=$(field "o['throughput_per_s']"); cpu=$(field "s['server_cpu_us_per_unit']")
    # PostgreSQL CPU per measured call (its warm-up's share included, so a slight overestimate).
    pgus=$(python3 -c "print(round(($pg1-$pg0)*1e6/$(field "o['calls']")))")
    note "$round $store $tput $cpu $pgus $(field "o['p50_ms']") $(field "o['p99_ms']") $(field "o['errors']") $(field "r['machine']['load_average_at_end']")"
    if [[ $store == L ]]; then l_sum=$(python3 -c "print($l_sum+$tput)"); lc_sum=$(python3 -c "print($lc_sum+$cpu)"); else p_sum=$(python3 -c "print($p_sum+$tput)"); pc_sum=$(python3 -c "print($pc_sum+$cpu)"); drain; fi
  done
done
note "$(python3 -c "l=$l_sum/$rounds; p=$p_sum/$rounds; lc=$lc_sum/$rounds; pc=$pc_sum/$rounds; print(f'mean: L {l:,.0f}/s {lc:.0f} us/call, P {p:,.0f}/s {pc:.0f} us/call; P/L throughput {p/l:.3f}, P/L server CPU per call {pc/lc:.3f}')")"

# 2. human: closed-loop maximum on P, then open loop at half of it on P and on L.
loadgen --target "http://127.0.0.1:$p_grpc" --server-pid "$p_pid" --scenario human --mode closed --concurrency "$workers" --duration "$duration" --warmup 5 >/dev/null
cp "$out/latest.json" "$out/review-plane-human-closed-P.json"
hmax=$(field "o['throughput_per_s']")
note ""
note "human (require-human only), closed loop on P: $hmax/s, server CPU $(field "s['server_cpu_us_per_unit']") us/call, p50 $(field "o['p50_ms']") ms, p99 $(field "o['p99_ms']") ms, errors $(field "o['errors']"), load $(field "r['machine']['load_average_at_end']")"
# A moderate rate: each require-human Decide appends to the fleet review chain, one commit at a time (the chain head's
# row lock), so near the closed-loop maximum queueing reaches admission control (RESOURCE_EXHAUSTED). The fraction is
# a setting so a run at half the maximum can be reproduced too; errors are reported in the table, not fatal.
rate=$(python3 -c "print(max(1, round($hmax * ${PDP_BENCH_HUMAN_RATE_FRACTION:-0.35})))")
note "human, open loop at $rate/s (latency from the intended send):"
note "store calls p50_ms p90_ms p99_ms p99.9_ms max_ms errors server_cpu_us_per_call postgres_cpu_us_per_call load_avg"
for store in P L; do
  if [[ $store == L ]]; then target=$l_grpc; pid=$l_pid; else target=$p_grpc; pid=$p_pid; fi
  pg0=$(pg_cpu)
  loadgen --target "http://127.0.0.1:$target" --server-pid "$pid" --scenario human --mode open --rate "$rate" --duration "$duration" --warmup 5 >/dev/null || true
  pg1=$(pg_cpu)
  cp "$out/latest.json" "$out/review-plane-human-open-$store.json"
  pgus=$(python3 -c "print(round(($pg1-$pg0)*1e6/$(field "o['calls']")))")
  note "$store $(field "o['calls']") $(field "o['p50_ms']") $(field "o['p90_ms']") $(field "o['p99_ms']") $(field "o['p999_ms']") $(field "o['max_ms']") $(field "o['errors']") $(field "s['server_cpu_us_per_unit']") $pgus $(field "r['machine']['load_average_at_end']")"
done
drain

# 3. mixed on P: backlog sampled during the run, then the lag histogram.
lag_before=$(curl -fs "http://127.0.0.1:$p_admin/metrics" | grep '^pdp_decision_log_lag_seconds' || true)
echo "$lag_before" >"$work/lag-before.txt"
(while :; do metric "$p_admin" pdp_decision_log_backlog_records || true; sleep 0.5; done) >"$work/backlog.txt" 2>/dev/null &
sampler=$!
loadgen --target "http://127.0.0.1:$p_grpc" --server-pid "$p_pid" --scenario mixed --mode closed --concurrency "$workers" --duration "$duration" --warmup 5 >/dev/null
cp "$out/latest.json" "$out/review-plane-mixed-P.json"
mixed_line="mixed on P, closed loop: $(field "o['throughput_per_s']")/s, errors $(field "o['errors']"), load $(field "r['machine']['load_average_at_end']")"
drain
kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
curl -fs "http://127.0.0.1:$p_admin/metrics" | grep '^pdp_decision_log_lag_seconds' >"$work/lag-after.txt"
note ""
note "$mixed_line"
python3 - "$work/lag-before.txt" "$work/lag-after.txt" "$work/backlog.txt" <<'EOF' | tee -a "$summary"
import re, sys
# The histogram's buckets are cumulative; the run's own distribution is after minus before (both scraped from /metrics).
def buckets(path):
    result = {}
    for line in open(path):
        m = re.match(r'pdp_decision_log_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
        if m:
            result[float("inf") if m.group(1) == "+Inf" else float(m.group(1))] = float(m.group(2))
    return result
before, after = buckets(sys.argv[1]), buckets(sys.argv[2])
edges = sorted(after)
counts = [after[e] - before.get(e, 0) for e in edges]
total = counts[-1] if counts else 0
def quantile(q):
    # The upper edge of the first bucket holding the q-th record: an upper bound, to bucket resolution.
    for edge, count in zip(edges, counts):
        if count >= q * total:
            return edge
    return float("nan")
backlog = [float(x) for x in open(sys.argv[3]) if x.strip()]
print(f"shipping lag over the run ({total:.0f} records): p50 <= {quantile(0.5)} s, p99 <= {quantile(0.99)} s (bucket upper edges)")
print("  buckets (le: records): " + ", ".join(f"{e}: {c:.0f}" for e, c in zip(edges, counts)))
print(f"backlog: max {max(backlog, default=0):.0f} records over {len(backlog)} samples (every 0.5 s)")
EOF
cp "$summary" "$out/review-plane-summary.txt"
echo "summary: $out/review-plane-summary.txt"
