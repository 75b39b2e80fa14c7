#!/usr/bin/env bash
# Scaling and retry figures on a many-core machine without .NET, from the repository root:
#   dotnet publish perf -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true -o publish/perf
#   (copy the tree with publish/perf to the machine)   OUT=/some/folder bash perf/device-run.sh
# Writes scaling.json, scaling-tree-16-sets.json, retry.json, memory.json, the printed tables (*.txt) and lscpu.txt into $OUT.
set -euo pipefail

BIN="${PERF_BIN:-publish/perf/FastIova.Perf}"
OUT="${OUT:-perf-results}"
THREADS="${PERF_THREADS:-1,2,4,8,16}"
SECONDS_PER_ROW="${PERF_SECONDS:-2}"
ROUNDS="${PERF_ROUNDS:-1}" # scaling rounds, interleaved; the tables then give medians (3 fits a 10-minute command)
LIVE="${PERF_LIVE:-1000,100000,1000000}"

if [[ ! -x "$BIN" ]]; then
  echo "device-run: $BIN not found; publish it first (see the top of this script)" >&2
  exit 1
fi
mkdir -p "$OUT"

{ lscpu 2>/dev/null || nproc; } | tee "$OUT/lscpu.txt" | head -20

echo "== scaling (threads $THREADS, $SECONDS_PER_ROW s per row, $ROUNDS rounds)"
"$BIN" scaling --threads "$THREADS" --seconds "$SECONDS_PER_ROW" --rounds "$ROUNDS" --json "$OUT/scaling.json" | tee "$OUT/scaling.txt"

# Sixteen tree threads take the lock in long turns, each working its 32 ranges among the others' 480: one thread with
# sixteen working sets in turns meets that tree with no hand-overs (perf/README.md, stop 21), so the 16-thread tree
# row can be read against it: what is missing between the two is what the hand-overs cost.
echo "== tree path on one thread with sixteen working sets in turns"
"$BIN" scaling --threads 1 --impl fastiova-tree --working-sets 16 --seconds "$SECONDS_PER_ROW" --rounds "$ROUNDS" --json "$OUT/scaling-tree-16-sets.json" | tee "$OUT/scaling-tree-16-sets.txt"

echo "== retry (live $LIVE)"
"$BIN" retry --live "$LIVE" --json "$OUT/retry.json" | tee "$OUT/retry.txt"

echo "== memory (1M live ranges)"
"$BIN" memory --live 1000000 --json "$OUT/memory.json" | tee "$OUT/memory.txt"
