# Shared by the benchmarks that run the main job against plain PyTorch: sourced after scripts/prerequisites.sh.

# Debian's PyTorch for /usr/bin/python3 (not a pyenv one), with the OpenMP OpenBLAS it runs best on.
ensure_system_pytorch() {
  if ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1 || ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
    apt_install python3-torch libopenblas0-openmp
  fi
}

# dtrain and the worker it starts, built once before anything is timed.
build_local_stack() {
  dotnet build src/Cli/Cli.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
  dotnet build src/Worker/Worker.csproj -c Release -nologo -v quiet -clp:"ErrorsOnly;NoSummary" >/dev/null
}

dtrain() { dotnet src/Cli/bin/Release/net10.0/linux-x64/dtrain.dll "$@"; }

# json_field JSON EXPR: a field of a JSON text, for example json_field "$line" "['runId']".
json_field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.argv[1])$2)" "$1"; }

# history_breakdown SERVER LINE STATUS_FILE: the run `dtrain train --json` reported on its last LINE, its history read
# from SERVER into STATUS_FILE and split by bench/overhead_breakdown.py into "name seconds" lines (printed).
history_breakdown() {
  local server="$1" line="$2" status="$3" id
  id="$(json_field "$line" "['runId']")"
  curl -sf "$server/runtime/webhooks/durabletask/instances/$id?showHistory=true&showHistoryOutput=true" >"$status"
  /usr/bin/python3 bench/overhead_breakdown.py "$status" "$(json_field "$line" "['wallSeconds']")" "$(json_field "$line" "['submissionSeconds']")"
}

# Refuses to measure beside a worker or Azurite left running by an earlier run: they take cores, and they map the same
# libraries, which lowers the measured tree's PSS (a short main job: 911 MiB alone, 849 MiB beside an idle worker).
refuse_stray_stack() {
  local stray
  stray="$(pgrep -af 'DurableTrainer.Worker.dll|azurite' || true)"
  if [ -n "$stray" ]; then
    echo "Not measuring: a worker or Azurite is already running (stop it first):" >&2
    echo "$stray" >&2
    exit 1
  fi
}

# A standing local stack on ports of its own, for benchmarks that submit several runs to it: Azurite on
# $1 (blob), $1+1 (queue), $1+2 (table), with its data in a temporary folder; start_worker adds workers to it.
# Sets stack_dir and stack_connection; stop_stack (set as the EXIT trap here) stops it all and removes the folder.
# Waits 3 s for Azurite to listen, unless $2 is "side-by-side": then the worker started next comes up beside Azurite
# (it retries storage until it answers), as dtrain's local stack starts them.
start_azurite() {
  local base="$1" mode="${2:-}"
  stack_dir="$(mktemp -d)"
  stack_worker_pids=()
  local key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  stack_connection="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$base/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$((base + 1))/devstoreaccount1;TableEndpoint=http://127.0.0.1:$((base + 2))/devstoreaccount1;"
  node "$azurite_bundle_dir/azurite.js" --silent --skipApiVersionCheck --disableTelemetry --location "$stack_dir/azurite" \
    --blobHost 127.0.0.1 --blobPort "$base" --queueHost 127.0.0.1 --queuePort "$((base + 1))" --tableHost 127.0.0.1 --tablePort "$((base + 2))" \
    >"$stack_dir/azurite.log" 2>&1 &
  stack_azurite_pid=$!
  trap stop_stack EXIT
  [ "$mode" = side-by-side ] || sleep 3
}

# start_worker PORT HUB [NAME=VALUE ...]: a worker on the stack, serving HTTP on PORT, in task hub HUB, with extra
# settings as environment variables (for example Training__Threads=1); waits until it answers.
start_worker() {
  local port="$1" hub="$2"
  shift 2
  (cd src/Worker/bin/Release/ready-to-run && exec env urls="http://127.0.0.1:$port" DurableTask__StorageConnectionString="$stack_connection" \
    DurableTask__HubName="$hub" "$@" dotnet DurableTrainer.Worker.dll) >"$stack_dir/worker-$port.log" 2>&1 &
  stack_worker_pids+=($!)
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && return 0; sleep 1; done
  echo "The worker on port $port did not start; its log: $stack_dir/worker-$port.log" >&2
  return 1
}

# Stops the stack's workers (all of them, or those given by pid).
stop_workers() {
  local pids=("$@")
  [ "${#pids[@]}" -gt 0 ] || pids=("${stack_worker_pids[@]}")
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stack_worker_pids=()
}

stop_stack() {
  [ "${#stack_worker_pids[@]}" -gt 0 ] && stop_workers
  kill "$stack_azurite_pid" 2>/dev/null; sleep 1; kill "$stack_azurite_pid" 2>/dev/null || true
  rm -rf "$stack_dir"
}

# The median of the numbers given, as separate arguments or as space-separated lists in them.
# shellcheck disable=SC2048,SC2086 # splitting the lists is the point
median() { printf '%s\n' $* | sort -g | awk '{v[NR]=$1} END{print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
