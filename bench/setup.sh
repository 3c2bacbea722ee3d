# Sourced by bench/run.sh and bench/pgo.sh: checks for wrk, raises the
# descriptor limit, makes the temporary directory $bin for the binaries and
# stops every server the script started when it exits.
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true
bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bin"' EXIT
