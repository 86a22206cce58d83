# Sourced by the h2load scripts: builds Release, writes the request bodies and starts one server on loopback with a
# fresh durable trail in a temp directory (stopped and removed on exit). Sets $work, $server, $grpc, $admin.
# PDP_SERVER_BIN=<path> runs that executable (a native AOT publish, docs/benchmarks.md) instead of the Release build.
#   start_server <grpc-port> <admin-port> [extra server args...]
start_server() {
  grpc=$1 admin=$2
  shift 2
  command -v h2load >/dev/null || { echo "h2load not found (apt-get install nghttp2-client)" >&2; exit 1; }
  local run=(dotnet src/Pdp.Server/bin/Release/net10.0/Pdp.Server.dll)
  if [ -n "${PDP_SERVER_BIN:-}" ]; then
    run=("$PDP_SERVER_BIN")
  else
    dotnet build -c Release src/Pdp.Server -v q -nologo >/dev/null || { echo "build failed" >&2; exit 1; }
  fi
  work=$(mktemp -d /tmp/pdp-h2load.XXXXXX)
  python3 load-tests/h2load/decide_body.py "$work"
  "${run[@]}" --Pdp:PolicyDir="$PWD/policies" --Pdp:Audit:Path="$work/audit.jsonl" \
    --Pdp:GrpcPort="$grpc" --Pdp:AdminPort="$admin" --Pdp:AuthZen:Port=0 --Logging:LogLevel:Default=Warning "$@" >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
  curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null || { echo "server not ready" >&2; cat "$work/server.log" >&2; exit 1; }
}
