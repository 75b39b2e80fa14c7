#!/usr/bin/env bash
# Mutation check of the Coyote suite: plants known concurrency bugs in a copy of the library and reports, per seed,
# which test caught each one and after how many iterations.
#
#   tests/Concurrency/mutations.sh [--list FILE] [--only NAME[,NAME...]] [--seeds S[,S...]] [--no-baseline]
#                                  [--tsv FILE] [--keep]
#
# Each mutation in the list (default: tests/Concurrency/mutations.txt) is a (file, exact old text, new text) triple.
# The old text must occur exactly once in the file, or the script stops: a mutation that no longer applies is a
# mutation that tests nothing. Each mutated copy is built once and its tests run once per seed (FASTIOVA_COYOTE_SEED,
# default 0,7777,123456789): a mutation counts as caught only if every seed catches it. --tsv appends one line per
# (mutation, seed, catching test) for the README's table. FASTIOVA_COYOTE_SCALE passes through to the tests.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
list="$here/mutations.txt"
only=""
seeds="0,7777,123456789"
tsv=""
baseline=1
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --list) list="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --tsv) tsv="$2"; shift 2 ;;
    --no-baseline) baseline=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -f "$list" ]] || { echo "no mutation list at $list" >&2; exit 2; }
IFS=',' read -r -a seed_list <<<"$seeds"
[[ ${#seed_list[@]} -gt 0 ]] || { echo "--seeds needs at least one seed" >&2; exit 2; }
for s in "${seed_list[@]}"; do [[ "$s" =~ ^[0-9]+$ ]] || { echo "bad seed '$s'" >&2; exit 2; }; done
[[ -n "$tsv" ]] && tsv="$(realpath -m "$tsv")"

work="$(mktemp -d "${TMPDIR:-/tmp}/fastiova-mutations.XXXXXX")"
[[ $keep == 1 ]] || trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Parses the list into $work/mutations/<name>/{file,old,new,filter}; fails on a malformed block.
python3 - "$list" "$work/mutations" <<'PY'
import os, sys
src, out = sys.argv[1], sys.argv[2]
lines = open(src, encoding="utf-8").read().split("\n")
i, names = 0, []
def fail(msg):
    sys.exit(f"{src}:{i+1}: {msg}")
while i < len(lines):
    line = lines[i]
    if not line.startswith("=== mutation "):
        if line.strip() and not line.startswith("#"):
            fail(f"expected '=== mutation NAME', got: {line}")
        i += 1
        continue
    name = line[len("=== mutation "):].strip()
    if not name or "/" in name or name in names:
        fail(f"bad or duplicate name '{name}'")
    names.append(name)
    fields, section, body = {"filter": ""}, None, {"old": [], "new": []}
    i += 1
    while i < len(lines) and lines[i] != "=== end":
        l = lines[i]
        if l in ("--- old", "--- new"):
            section = l[4:]
        elif section:
            body[section].append(l)
        elif ":" in l:
            k, v = l.split(":", 1)
            fields[k.strip()] = v.strip()
        elif l.strip() and not l.startswith("#"):
            fail(f"unexpected line in {name}: {l}")
        i += 1
    if i == len(lines):
        fail(f"mutation {name} has no '=== end'")
    if "file" not in fields or not body["old"]:
        fail(f"mutation {name} needs 'file:' and a '--- old' section")
    d = os.path.join(out, name)
    os.makedirs(d)
    for k in ("file", "filter", "todo"):
        open(os.path.join(d, k), "w").write(fields.get(k, ""))
    open(os.path.join(d, "old"), "w").write("\n".join(body["old"]))
    open(os.path.join(d, "new"), "w").write("\n".join(body["new"]))
    open(os.path.join(out, "order"), "a").write(name + "\n")
    i += 1
PY

# A copy of the working tree (tracked and untracked, not ignored: no bin/ or obj/).
copy_repo() {
  local dest="$1"
  mkdir -p "$dest"
  (cd "$root" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$dest"
}

# Replaces the one occurrence of old with new in file; exit 3 when it occurs zero or several times.
apply_mutation() {
  python3 - "$1" "$2/old" "$2/new" <<'PY'
import sys
path, old, new = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
text = open(path, encoding="utf-8").read()
n = text.count(old)
if n != 1:
    sys.stderr.write(f"old text occurs {n} times in {path} (must be exactly once):\n{old}\n")
    sys.exit(3)
open(path, "w", encoding="utf-8").write(text.replace(old, new))
PY
}

# Builds the Concurrency project in $1; echoes build-failed or built.
build_suite() {
  if dotnet build "$1/tests/Concurrency" -c Release >"$2.build.log" 2>&1; then echo built; else echo build-failed; fi
}

# Tests the built project in $1 with filter $2 under seed $3; leaves the log and found.tsv in $4.
run_suite() {
  local repo="$1" filter="$2" seed="$3" out="$4" rc=0
  local traces="$repo/tests/Concurrency/bin/Release/net10.0/coyote-traces"
  local -a args=(test "$repo/tests/Concurrency" -c Release --no-build)
  [[ -n "$filter" ]] && args+=(--filter "$filter")
  rm -f "$traces/found.tsv" "$traces/explored.tsv"
  local started=$SECONDS
  FASTIOVA_COYOTE_SEED="$seed" dotnet "${args[@]}" >"$out.test.log" 2>&1 || rc=$?
  echo "$((SECONDS - started))" >"$out.secs"
  # The harness self tests plant bugs of their own on purpose; only the library's bugs count here.
  grep -v '^SelfTest\.' "$traces/found.tsv" >"$out.found.tsv" 2>/dev/null || :
  if grep -q "Test Run Aborted" "$out.test.log"; then echo "aborted"; elif [[ $rc == 0 ]]; then echo "passed"; else echo "failed"; fi
}

summary="$work/summary.txt"
: >"$summary"
status=0

if [[ $baseline == 1 && -z "$only" ]]; then
  echo "== baseline (no mutation)"
  copy_repo "$work/baseline"
  [[ "$(build_suite "$work/baseline" "$work/baseline")" == built ]] || { echo "The unmutated suite does not build; see $work/baseline.build.log" >&2; keep=1; exit 1; }
  for seed in "${seed_list[@]}"; do
    result="$(run_suite "$work/baseline" "" "$seed" "$work/baseline-$seed")"
    echo "   seed $seed: $result in $(cat "$work/baseline-$seed.secs" 2>/dev/null || echo ?)s"
    if [[ $result != passed ]]; then
      echo "The unmutated suite does not pass under seed $seed ($result); see $work/baseline-$seed.test.log" >&2
      grep -E "^\s+Failed |Error Message" -A3 "$work/baseline-$seed.test.log" | head -40 >&2 || true
      keep=1; exit 1
    fi
  done
  rm -rf "$work/baseline"
fi

while read -r name; do
  [[ -n "$only" && ",$only," != *",$name,"* ]] && continue
  m="$work/mutations/$name"
  file="$(cat "$m/file")"; filter="$(cat "$m/filter")"
  echo "== $name ($file)"
  if [[ -s "$m/todo" ]]; then
    echo "   TODO: $(cat "$m/todo")"; printf '%s\tTODO\t%s\n' "$name" "$(cat "$m/todo")" >>"$summary"; continue
  fi
  dir="$work/run-$name"
  copy_repo "$dir"
  [[ -f "$dir/$file" ]] || { echo "   $file does not exist" >&2; exit 3; }
  apply_mutation "$dir/$file" "$m" || { echo "   mutation $name does not apply: fix mutations.txt" >&2; exit 3; }
  if [[ "$(build_suite "$dir" "$work/$name")" != built ]]; then
    echo "   the mutated library does not build: see $work/$name.build.log"; status=1
    printf '%s\tBUILD-FAILED\t\n' "$name" >>"$summary"; rm -rf "$dir"; continue
  fi
  caught=0; detail=""
  for seed in "${seed_list[@]}"; do
    out="$work/$name-$seed"
    result="$(run_suite "$dir" "$filter" "$seed" "$out")"
    secs="$(cat "$out.secs" 2>/dev/null || echo ?)"
    if [[ $result == passed ]]; then
      echo "   seed $seed: SURVIVED, every test passed (${secs}s)"
      detail+="seed $seed: survived; "
      [[ -n "$tsv" ]] && printf '%s\t%s\tSURVIVED\t\t\t%s\n' "$name" "$seed" "$secs" >>"$tsv"
    elif [[ -s "$out.found.tsv" ]]; then
      caught=$((caught + 1))
      # scenario, strategy, seed, iteration, seconds, first line of the bug, max steps, mean steps
      while IFS=$'\t' read -r scenario strategy coyote_seed iteration took bug maxsteps meansteps; do
        echo "   seed $seed: caught by $scenario/$strategy at iteration $iteration (${took}s, Coyote seed $coyote_seed, ~${meansteps} steps/iteration): $bug"
        [[ -n "$tsv" ]] && printf '%s\t%s\t%s/%s\t%s\t%s\t%s\n' "$name" "$seed" "$scenario" "$strategy" "$iteration" "$took" "$bug" >>"$tsv"
      done <"$out.found.tsv"
      best="$(sort -t$'\t' -k4,4n "$out.found.tsv" | head -1 | awk -F'\t' '{print $1"/"$2"@"$4}')"
      detail+="seed $seed: $(wc -l <"$out.found.tsv") tests, first $best; "
    else
      # Failed, but not through a Coyote bug report: show what failed. Not a catch: the suite must name the bug.
      echo "   seed $seed: tests failed ($result) without a Coyote bug report:"
      grep -E "^\s+Failed " "$out.test.log" | head -5 | sed 's/^/   /' || true
      detail+="seed $seed: failed otherwise ($result); "
      [[ -n "$tsv" ]] && printf '%s\t%s\tFAILED-OTHERWISE\t\t\t%s\n' "$name" "$seed" "$result" >>"$tsv"
    fi
  done
  if [[ $caught == "${#seed_list[@]}" ]]; then
    printf '%s\tCAUGHT\t%s\n' "$name" "$detail" >>"$summary"
  else
    status=1
    printf '%s\tCAUGHT-BY-%s-OF-%s-SEEDS\t%s\n' "$name" "$caught" "${#seed_list[@]}" "$detail" >>"$summary"
  fi
  rm -rf "$dir"
done <"$work/mutations/order"

echo
echo "== summary (mutation, outcome, detail)"
column -t -s$'\t' "$summary" 2>/dev/null || cat "$summary"
[[ $keep == 1 ]] && echo "work folder kept: $work"
exit $status
