#!/usr/bin/env bash
# Load benchmark: gowaitress (default options) against a plain net/http
# server with the same handler, driven by wrk on loopback, alternating
# A B, B A, ... Prints the median requests/s of each and the median of the
# rounds' ratios, then the resident memory of each server holding IDLE idle
# keep-alive connections (each a fresh process, medians of ROUNDS).
#
#   bash bench/run.sh            # ROUNDS=7 DURATION=3s IDLE=5000
#   PGO=off bash bench/run.sh    # servers built without default.pgo
#   PIN=1 bash bench/run.sh      # servers on the first half of the CPUs,
#                                # wrk on the other half (taskset)
#   BASELINE=gowaitress bash bench/run.sh
#                                # A/A: a second gowaitress in net/http's
#                                # place; the ratios show the method's own
#                                # spread on this machine (ideally 1.00)
# PIN=1 keeps the load generator off the servers' cores, so that the
# ratios show the servers' own cost rather than how they share CPUs with
# wrk (most useful with many cores). Off by default: the target is
# measured without it.
# Both servers are one binary, built as `go build` builds the gowaitress
# binary: with the profile default.pgo (profile-guided optimisation; see
# bench/pgo.sh), which applies to net/http's code as much as to ours.
# One row is information, not a target: hello with 256 connections again,
# against a gowaitress with connection_limit = 1000 (the default, 100,
# leaves 156 of the 256 connections waiting in the listen backlog).
# Needs wrk (Debian: apt-get install wrk). Not a test: numbers depend on
# the machine; the target is a ratio of at least 0.9 on every scenario.
# For profiling, the same scenarios run in-process as Go benchmarks:
#   go test ./server -run '^$' -bench 'Serve/' -benchmem -cpuprofile cpu.out
#   go test ./server -run '^$' -bench ServeRatio     # reports "ratio"
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-7}
DURATION=${DURATION:-3s}
THREADS=${THREADS:-2}
IDLE=${IDLE:-5000}
PIN=${PIN:-0}
PGO=${PGO:-default.pgo}
BASELINE=${BASELINE:-nethttp} # the server in net/http's place (B)
case "$BASELINE" in
nethttp) BNAME=net/http ;;
gowaitress) BNAME="gowaitress" ;;
*) echo "BASELINE must be nethttp or gowaitress" >&2; exit 1 ;;
esac
A=127.0.0.1:18080 # gowaitress
B=127.0.0.1:18081 # net/http (or BASELINE)
C=127.0.0.1:18082 # gowaitress with connection_limit = 1000 (one informational row)
srvcpu=() wrkcpu=()
if [ "$PIN" = 1 ]; then
  ncpu=$(nproc); half=$((ncpu / 2))
  (( half >= 1 )) || { echo "PIN=1 needs at least 2 CPUs" >&2; exit 1; }
  srvcpu=(taskset -c "0-$((half - 1))"); wrkcpu=(taskset -c "$half-$((ncpu - 1))")
fi
. bench/setup.sh
go build -pgo="$PGO" -o "$bin/benchserver" ./bench/cmd/benchserver
go build -o "$bin/idleconns" ./bench/cmd/idleconns
# The kernel's TCP settings change the cost of many small writes (each
# socket write is at most send_bytes): bbr without the fq qdisc paces
# inside TCP with a timer, which makes each write dearer than with cubic.
echo "cpus $(nproc)${srvcpu[*]:+ (servers: ${srvcpu[*]}, wrk: ${wrkcpu[*]})}, pgo $PGO, tcp_congestion_control $(cat /proc/sys/net/ipv4/tcp_congestion_control 2>/dev/null || echo ?), default_qdisc $(cat /proc/sys/net/core/default_qdisc 2>/dev/null || echo ?)"
"${srvcpu[@]}" "$bin/benchserver" -server gowaitress -addr $A & PA=$!
"${srvcpu[@]}" "$bin/benchserver" -server "$BASELINE" -addr $B & PB=$!
"${srvcpu[@]}" "$bin/benchserver" -server gowaitress -addr $C -connection-limit 1000 & PC=$!
sleep 1

TICK=$(getconf CLK_TCK)
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system
# rps prints the requests/s and the server's CPU time (user + system) per
# request in microseconds, read from /proc around the run.
rps() { # addr pid path wrk-args...
  local addr=$1 pid=$2 path=$3; shift 3
  local c0 c1 out
  c0=$(cputicks "$pid")
  out=$("${wrkcpu[@]}" wrk -t"$THREADS" -d"$DURATION" "$@" "http://$addr$path" 2>/dev/null)
  c1=$(cputicks "$pid")
  awk -v c=$((c1 - c0)) -v tick="$TICK" '/requests in/ {n = $1} /^Requests\/sec:/ {r = $2}
    END {printf "%s %.3f\n", r, (n > 0 ? c * 1e6 / tick / n : 0)}' <<<"$out"
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# Each round runs both servers back to back, in the order A B, then B A in
# the next round (the load of a shared machine drifts over seconds; a
# round's two runs see nearly the same machine). The ratio printed is the
# median of the rounds' ratios; the requests/s are the medians of each
# server's runs. "cpu/req" is information, not a target: the median of the
# rounds' ratios of server CPU time per request, gowaitress to net/http
# (below 1: gowaitress spends less). It is the servers' process time, which
# on loopback includes kernel work for wrk's side (a send runs the
# receiver's TCP input in the sender's context, or wrk's ACK runs our
# pending transmits in its own): for small responses it follows the
# servers' own cost; for 1 MiB responses it mostly shows where the kernel
# did the work (gowaitress sends in send_bytes pieces itself; net/http's
# one large write is largely transmitted from wrk's ACKs).
scenario() { # name path wrk-args...
  local name=$1; shift
  local ra=() rb=() rr=() cr=() a b ca cb
  for r in $(seq "$ROUNDS"); do
    if (( r % 2 )); then
      read -r a ca < <(rps $A $PA "$@"); read -r b cb < <(rps $B $PB "$@")
    else
      read -r b cb < <(rps $B $PB "$@"); read -r a ca < <(rps $A $PA "$@")
    fi
    ra+=("$a"); rb+=("$b")
    rr+=("$(awk -v a="$a" -v b="$b" 'BEGIN {print a / b}')")
    cr+=("$(awk -v a="$ca" -v b="$cb" 'BEGIN {print (b > 0 ? a / b : 0)}')")
  done
  local ma mb mr mc
  ma=$(printf '%s\n' "${ra[@]}" | median)
  mb=$(printf '%s\n' "${rb[@]}" | median)
  mr=$(printf '%s\n' "${rr[@]}" | median)
  mc=$(printf '%s\n' "${cr[@]}" | median)
  printf '%-28s gowaitress %12.0f  %s %12.0f  ratio %.2f  (rounds %s)  cpu/req %.2f\n' "$name" "$ma" "$BNAME" "$mb" "$mr" \
    "$(printf '%s\n' "${rr[@]}" | sort -g | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}')" "$mc"
}

scenario "hello, 64 connections" /hello -c64
scenario "hello, 256 connections" /hello -c256
# waitress's default connection_limit is 100: above, 156 of wrk's 256
# connections wait in the listen backlog. Not a target row: the same
# scenario with room for all of them.
A=$C PA=$PC scenario "  same, limit 1000 (info)" /hello -c256
scenario "hello, pipelined x16" /hello -c64 -s bench/pipeline.lua
scenario "1 MiB responses" /big -c64
scenario "64 KiB uploads" /upload -c64 -s bench/upload.lua

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
idle() { # addr pid
  local before after
  kill -USR1 "$2"; sleep 0.5 # both servers: collect garbage first
  before=$(rss "$2")
  local out; out=$(mktemp)
  "$bin/idleconns" -addr "$1" -n "$IDLE" >"$out" </dev/null & local ic=$!
  for _ in $(seq 600); do grep -q ready "$out" && break; sleep 0.2; done
  # Idle for 2 s, as keep-alive connections between a browser's page
  # loads (gowaitress parks connections idle for 1 s; see server/park.go).
  sleep 2
  kill -USR1 "$2"; sleep 1
  after=$(rss "$2")
  kill $ic 2>/dev/null || true
  wait $ic 2>/dev/null || true
  rm -f "$out"
  echo $(( (after - before) * 1024 / IDLE ))
}
[ "${IDLE}" = 0 ] && exit 0
# Each server is measured as a fresh process, A B A B: a server that has
# just served the load scenarios keeps memory the idle connections then
# reuse (goroutine descriptors and stacks of ended goroutines, touched heap
# pages), which made it look about 400 B per connection cheaper.
# connection_limit must leave room for the idle connections.
kill $PA $PB $PC; wait $PA $PB $PC 2>/dev/null || true
ia=() ib=()
for _ in $(seq "$ROUNDS"); do
  "$bin/benchserver" -server gowaitress -addr $A -connection-limit $((IDLE + 100)) 2>/dev/null & PA=$!
  sleep 1
  ia+=("$(idle $A $PA)")
  kill $PA; wait $PA 2>/dev/null || true
  "$bin/benchserver" -server "$BASELINE" -addr $B -connection-limit $((IDLE + 100)) 2>/dev/null & PB=$!
  sleep 1
  ib+=("$(idle $B $PB)")
  kill $PB; wait $PB 2>/dev/null || true
done
ma=$(printf '%s\n' "${ia[@]}" | median)
mb=$(printf '%s\n' "${ib[@]}" | median)
printf '%-28s gowaitress %8.0f B   %s %8.0f B per idle connection  ratio %.3f\n' "idle keep-alive memory" "$ma" "$BNAME" "$mb" "$(awk -v a="$ma" -v b="$mb" 'BEGIN {print a / b}')"
