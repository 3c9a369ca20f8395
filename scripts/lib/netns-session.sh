# Shared by the scripts/record-*.sh recorders: the checks before recording and the cleanup of
# what a recording leaves behind. Source it after setting PREFIX (the namespaces' name prefix)
# and NAME (the script's name for messages); it defines WORK and PIDS, installs the traps,
# removes what an interrupted earlier run left and makes WORK a fresh temporary folder.
#
#   require_root_and_tools "why root is needed" "apt-get hint" tool...

require_root_and_tools() {
  local why=$1 hint=$2 tool
  shift 2
  if [[ $(id -u) -ne 0 ]]; then
    echo "$NAME: must run as root ($why)" >&2
    exit 1
  fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$NAME: $tool is required ($hint)" >&2; exit 1; }
  done
}

WORK=""
PIDS=()

list_our_namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX-" || true
}

cleanup() {
  local pid ns
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  # Processes still inside our namespaces (e.g. from an interrupted earlier run) are ours too.
  for ns in $(list_our_namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
  done
  for ns in $(list_our_namespaces); do ip netns del "$ns" 2>/dev/null || true; done
  if [[ -n $WORK && -d $WORK ]]; then rm -rf "$WORK"; fi
}

start_session() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  cleanup
  WORK=$(mktemp -d "/tmp/$PREFIX.XXXXXX")
}
