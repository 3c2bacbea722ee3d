#!/usr/bin/env bash
# Regenerates default.pgo, the CPU profile `go build` uses for
# profile-guided optimisation of the gowaitress binary (the main package at
# the repository root; bench/run.sh builds its servers with it too).
#
#   bash bench/pgo.sh            # about 35 s of load; needs wrk
#
# The profile is of gowaitress with its default options serving the load
# scenarios of bench/run.sh: keep-alive requests, pipelining, large
# responses and uploads, which run the server's per-request machinery
# (parsing, buffering, net/http's serving loop, socket reads and writes)
# the way any application's requests do. Regenerate it after large changes
# to the server core; a stale profile still builds, it just helps less.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/setup.sh
addr=127.0.0.1:18089
go build -pgo=off -o "$bin/benchserver" ./bench/cmd/benchserver
"$bin/benchserver" -server gowaitress -addr $addr -cpuprofile "$bin/cpu.pgo" & pid=$!
sleep 1
load() { wrk -t2 "$@" >/dev/null; }
load -d10s -c64 "http://$addr/hello"
load -d5s -c256 "http://$addr/hello"
load -d5s -c64 -s bench/pipeline.lua "http://$addr/hello"
load -d5s -c64 "http://$addr/big"
load -d8s -c64 -s bench/upload.lua "http://$addr/upload"
kill -INT $pid
wait $pid || true
[ -s "$bin/cpu.pgo" ] || { echo "no profile written" >&2; exit 1; }
cp "$bin/cpu.pgo" default.pgo
echo "wrote default.pgo ($(wc -c < default.pgo) bytes)"
