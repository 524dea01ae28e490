#!/usr/bin/env bash
# Times bench/queue/search.yaml in-process and on N queue workers (default 2) on this machine, and
# checks that both give the same trials.csv (all columns but seconds). Needs redis-server.
#   bench/queue/run.sh [workers]       ARCHAI_TS='node dist/cli/main.js' by default
set -euo pipefail
cd "$(dirname "$0")/../.."
workers=${1:-2}
cli=${ARCHAI_TS:-node dist/cli/main.js}
out=$(mktemp -d /tmp/archai-ts-queue-bench-XXXXXX)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$out/redis.log" &
redis=$!
pids=()
trap 'kill "${pids[@]}" "$redis" 2>/dev/null || true' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
export ARCHAI_TS_REDIS_URL=redis://127.0.0.1:$port/0

seconds() { local t0; t0=$(date +%s.%N); "$@" >/dev/null 2>>"$out/errors.log"; awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $t0 }"; }
echo "in-process:        $(seconds $cli search --config bench/queue/search.yaml --out "$out/in-process" --quiet) s"
for i in $(seq "$workers"); do
  $cli worker --queue >"$out/worker-$i.log" 2>&1 &
  pids+=($!)
done
until [ "$(grep -l 'waiting for searches' "$out"/worker-*.log 2>/dev/null | wc -l)" = "$workers" ]; do sleep 0.2; done
echo "queue, $workers workers: $(seconds $cli search --config bench/queue/search.yaml --out "$out/queue" --queue --quiet) s (workers started beforehand)"
same() { cut -d, -f1-$(($(head -1 "$1" | tr , '\n' | wc -l) - 1)) "$1"; }
if diff <(same "$out/in-process/trials.csv") <(same "$out/queue/trials.csv") >/dev/null; then
  echo "trials.csv: the same but for seconds ($(($(wc -l <"$out/queue/trials.csv") - 1)) rows)"
else
  echo "trials.csv: DIFFERENT"; diff "$out/in-process/trials.csv" "$out/queue/trials.csv" || true; exit 1
fi
echo "$out"
