#!/usr/bin/env bash
# The fault pass of issue 11, reproducible: the release binary against the simulator's fault
# modes, a PostgreSQL outage through a loopback proxy, and kill -9 in the middle of a cycle.
# Prints one Markdown table row per scenario:
#
#   crashes      the pipeline died on its own (non-zero exit after SIGTERM, a panic, or no exit
#                within 15 s of SIGTERM); the deliberate kill -9 does not count
#   false avail. availability alerts that should not exist: availability alerts of the run that
#                the fault-free reference run of the same seed did not raise (matched on event,
#                market, line and suspended/returned; see "How false alerts are counted")
#   lost         batches lost: "DATA LOST" log lines plus dead letters still on disk after a
#                restart has replayed them
#   cycle max    the longest cycle (`total_ms` of the "cycle done" log lines), or "stalled" when
#                the run did not finish its cycles within its time bound
#   peak RSS     maximum resident set size of the pipeline process(es) (/usr/bin/time -v)
#
# How false alerts are counted: the simulator's market moves its own availability (markets
# suspend and return at random), one model step per home-book discovery request. The reference
# run and every scenario use the same seed; BetPawa (the home book) runs with `retries = 0` so
# that a faulty discovery answer is not retried and the model takes exactly one step per cycle
# in every run. The reference runs more cycles than any scenario, so every true availability
# alert of a scenario is among the reference's; anything else is an alert the faults made up.
#
# Usage: scripts/faults.sh            (all scenarios, about 5 minutes)
#        scripts/faults.sh baseline reshaped kill9   (some of them)
# Environment: FAULTS_BIN (default target/release/oddswatch), FAULTS_EVENTS (200),
# FAULTS_CYCLES (3), FAULTS_INTERVAL (5 s), FAULTS_BUDGET (120 s), FAULTS_RATE (0.1), FAULTS_SEED (42),
# FAULTS_OUTAGE_SECS (25), ODDSWATCH_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test; only the outage scenario uses it, through a proxy:
# the real server is never stopped). Everything listens on 127.0.0.1 only.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FAULTS_BIN:-$ROOT/target/release/oddswatch}
EVENTS=${FAULTS_EVENTS:-200}
CYCLES=${FAULTS_CYCLES:-3}
INTERVAL=${FAULTS_INTERVAL:-5}
RATE=${FAULTS_RATE:-0.1}
SEED=${FAULTS_SEED:-42}
OUTAGE=${FAULTS_OUTAGE_SECS:-25}
PG_ADMIN=${ODDSWATCH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
# Per run: every cycle within interval + the per-book cycle budget (books.*.budget_secs,
# FAULTS_BUDGET, default 120 s as shipped), plus start-up; a run past it is "stalled".
BUDGET=${FAULTS_BUDGET:-120}
BOUND=$(( CYCLES * (INTERVAL + BUDGET) + 20 ))

[ -x "$BIN" ] || { echo "no binary at $BIN: run cargo build --release first" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oddswatch-faults.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# start_sim DIR FLAGS... : starts `oddswatch sim` on a free port, sets SIM_PID and SIM_URL.
start_sim() {
    local dir=$1; shift
    "$BIN" sim --port 0 --seed "$SEED" --events "$EVENTS" "$@" >"$dir/sim.out" 2>"$dir/sim.err" &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for _ in $(seq 100); do
        SIM_URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/sim.out" 2>/dev/null | head -1 || true)
        [ -n "$SIM_URL" ] && return 0
        sleep 0.1
    done
    echo "the simulator did not start: $(cat "$dir/sim.err")" >&2
    return 1
}

# write_config DIR DATABASE_URL : the pipeline pointed at the simulator, logs and data in DIR.
write_config() {
    local dir=$1 url=$2
    cat >"$dir/config.toml" <<EOF
[database]
url = "$url"

[log]
dir = "$dir/logs"

[scrape]
simulator = false
interval_secs = $INTERVAL

[books.betpawa]
base_url = "$SIM_URL"
retries = 0

[books.sportybet]
base_url = "$SIM_URL"

[books.bet9ja]
base_url = "$SIM_URL"
EOF
}

# start_scrape DIR TAG : `oddswatch scrape` under /usr/bin/time; sets SCRAPE_PID (the pipeline).
start_scrape() {
    local dir=$1 tag=$2
    XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/cfg" \
        /usr/bin/time -v -o "$dir/time-$tag.txt" \
        "$BIN" --config "$dir/config.toml" scrape >"$dir/out-$tag.log" 2>"$dir/err-$tag.log" &
    local timer=$!
    PIDS+=("$timer")
    SCRAPE_PID=""
    for _ in $(seq 50); do
        SCRAPE_PID=$(pgrep -P "$timer" || true)
        [ -n "$SCRAPE_PID" ] && break
        sleep 0.1
    done
    TIMER_PID=$timer
}

cycles_done() { grep -c 'cycle done' "$1" 2>/dev/null || true; }

# wait_cycles LOG N SECONDS : waits until LOG shows N finished cycles; 1 when it times out.
wait_cycles() {
    local file=$1 n=$2 limit=$3 waited=0
    while [ "$(cycles_done "$file")" -lt "$n" ]; do
        [ "$waited" -ge $(( limit * 10 )) ] && return 1
        sleep 0.1
        waited=$(( waited + 1 ))
    done
}

# stop_scrape DIR TAG : SIGTERM; a crash is a pipeline still running 15 s later, an exit other
# than 0, or a panic in its log.
stop_scrape() {
    local dir=$1 tag=$2 waited=0 forced=0
    kill -TERM "$SCRAPE_PID" 2>/dev/null || true
    while kill -0 "$SCRAPE_PID" 2>/dev/null; do
        if [ "$waited" -ge 150 ]; then
            kill -KILL "$SCRAPE_PID" 2>/dev/null || true
            forced=1
            break
        fi
        sleep 0.1
        waited=$(( waited + 1 ))
    done
    wait "$TIMER_PID" 2>/dev/null || true
    if [ "$forced" = 1 ] || ! grep -q 'Exit status: 0' "$dir/time-$tag.txt" 2>/dev/null; then
        CRASHES=$(( CRASHES + 1 ))
    fi
    if grep -q 'panicked' "$dir/err-$tag.log"; then
        CRASHES=$(( CRASHES + 1 ))
    fi
}

rss_mb() {
    grep -h 'Maximum resident set size' "$@" 2>/dev/null | awk '{ if ($6 > m) m = $6 } END { printf "%.0f", m / 1024 }'
}

max_cycle() {
    grep -h 'cycle done' "$@" 2>/dev/null | sed -n 's/.*total_ms=\([0-9]*\).*/\1/p' |
        awk '{ if ($1 > m) m = $1 } END { if (NR) printf "%.1f s", m / 1000; else print "-" }'
}

# availability_keys DIR DATABASE_URL : one line per availability alert: event market line change.
availability_keys() {
    local dir=$1 url=$2
    local sql="SELECT e.sr_id || ' ' || a.market_id || ' ' || COALESCE(CAST(a.line AS TEXT), '-') || ' ' || a.availability FROM alerts a JOIN events e ON e.id = a.event_id WHERE a.alert_type = 'availability'"
    case "$url" in
        sqlite://*) sqlite3 "${url#sqlite://}" "$sql" ;;
        *) psql -qAt "$url" -c "$sql" ;;
    esac | sed 's/\.0 / /' | sort
}

# false_alerts KEYS : lines of KEYS beyond their count in the reference (a multiset difference).
false_alerts() {
    python3 - "$1" "$WORK/reference.keys" <<'EOF'
import collections, sys
run = collections.Counter(open(sys.argv[1]).read().split("\n"))
ref = collections.Counter(open(sys.argv[2]).read().split("\n"))
run.pop("", None)
print(sum((run - ref).values()))
EOF
}

# lost DIR : DATA LOST lines plus dead letters left once a restart has replayed them.
lost_batches() {
    local dir=$1 url=$2
    local letters
    letters=$(find "$dir/data" -path '*dead-letters*' -type f 2>/dev/null | wc -l)
    if [ "$letters" -gt 0 ]; then
        # A short run replays them at start (and its first cycle proves the store answers).
        start_scrape "$dir" replay
        wait_cycles "$dir/err-replay.log" 1 "$BOUND" || true
        stop_scrape "$dir" replay
        letters=$(find "$dir/data" -path '*dead-letters*' -type f 2>/dev/null | wc -l)
    fi
    local data_lost
    data_lost=$(cat "$dir"/err-*.log 2>/dev/null | grep -c 'DATA LOST' || true)
    echo $(( letters + data_lost ))
}

row() {
    printf '| %s | %s | %s | %s | %s | %s MB |\n' "$1" "$2" "$3" "$4" "$5" "$6"
}

# run_sim_scenario NAME SIM_FLAGS... : the common shape: N cycles on SQLite, then SIGTERM.
run_sim_scenario() {
    local name=$1; shift
    local dir="$WORK/$name"
    mkdir -p "$dir"
    CRASHES=0
    start_sim "$dir" "$@"
    write_config "$dir" "sqlite://$dir/odds.db"
    local cycles=$CYCLES
    [ "$name" = reference ] && cycles=$(( CYCLES + 3 ))
    start_scrape "$dir" run
    local status=ok
    wait_cycles "$dir/err-run.log" "$cycles" "$BOUND" || status=stalled
    stop_scrape "$dir" run
    kill "$SIM_PID" 2>/dev/null || true
    availability_keys "$dir" "sqlite://$dir/odds.db" >"$dir/keys"
    if [ "$name" = reference ]; then
        cp "$dir/keys" "$WORK/reference.keys"
        log "reference: $(wc -l <"$dir/keys") availability alerts in $cycles cycles"
        return
    fi
    local cycle
    cycle=$(max_cycle "$dir"/err-*.log)
    [ "$status" = stalled ] && cycle="stalled (>${BOUND} s for $CYCLES cycles)"
    row "$name" "$CRASHES" "$(false_alerts "$dir/keys")" "$(lost_batches "$dir" "sqlite://$dir/odds.db")" \
        "$cycle" "$(rss_mb "$dir"/time-*.txt)"
}

# A TCP proxy on loopback in front of PostgreSQL, to be stopped and started again.
proxy() {
    python3 - "$1" "$2" <<'EOF' &
import asyncio, sys
listen, target = int(sys.argv[1]), int(sys.argv[2])
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except Exception:
        pass
    finally:
        w.close()
async def handle(cr, cw):
    try:
        sr, sw = await asyncio.open_connection("127.0.0.1", target)
    except Exception:
        cw.close()
        return
    await asyncio.gather(pipe(cr, sw), pipe(sr, cw))
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen, reuse_address=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
EOF
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    sleep 0.5
}

run_outage() {
    local name=db-outage dir="$WORK/db-outage"
    mkdir -p "$dir"
    CRASHES=0
    local db="oddswatch_faults_$$"
    local pg_port pg_base
    pg_port=$(python3 -c "import urllib.parse,sys; print(urllib.parse.urlparse(sys.argv[1]).port or 5432)" "$PG_ADMIN")
    pg_base=${PG_ADMIN%/*}
    psql -qAt "$PG_ADMIN" -c "CREATE DATABASE $db" >/dev/null
    local port
    port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    local url="${pg_base/127.0.0.1:$pg_port/127.0.0.1:$port}/$db"
    proxy "$port" "$pg_port"
    start_sim "$dir" --fault-rate 0
    write_config "$dir" "$url"
    start_scrape "$dir" run
    local status=ok
    wait_cycles "$dir/err-run.log" 1 "$BOUND" || status=stalled
    log "db-outage: PostgreSQL unreachable for $OUTAGE s"
    kill "$PROXY_PID" 2>/dev/null || true
    wait "$PROXY_PID" 2>/dev/null || true
    sleep "$OUTAGE"
    proxy "$port" "$pg_port"
    log "db-outage: PostgreSQL back"
    wait_cycles "$dir/err-run.log" "$CYCLES" "$BOUND" || status=stalled
    stop_scrape "$dir" run
    kill "$SIM_PID" 2>/dev/null || true
    availability_keys "$dir" "$url" >"$dir/keys"
    local lost cycle
    lost=$(lost_batches "$dir" "$url")
    cycle=$(max_cycle "$dir"/err-*.log)
    [ "$status" = stalled ] && cycle="stalled (>${BOUND} s)"
    row "$name (${OUTAGE} s, postgres)" "$CRASHES" "$(false_alerts "$dir/keys")" "$lost" "$cycle" \
        "$(rss_mb "$dir"/time-*.txt)"
    kill "$PROXY_PID" 2>/dev/null || true
    psql -qAt "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
}

run_kill9() {
    local name=kill9 dir="$WORK/kill9"
    mkdir -p "$dir"
    CRASHES=0
    start_sim "$dir" --fault-rate 0
    write_config "$dir" "sqlite://$dir/odds.db"
    start_scrape "$dir" first
    local status=ok
    wait_cycles "$dir/err-first.log" 1 "$BOUND" || status=stalled
    # Into the next cycle (its run row says it started), then kill -9 while it fetches and
    # writes.
    local waited=0
    while [ "$(sqlite3 "$dir/odds.db" "SELECT COUNT(*) FROM scrape_runs WHERE status = 'running'" 2>/dev/null || echo 0)" -lt 1 ] &&
        [ "$waited" -lt $(( (INTERVAL + 5) * 20 )) ]; do
        sleep 0.05
        waited=$(( waited + 1 ))
    done
    sleep 0.4
    kill -KILL "$SCRAPE_PID" 2>/dev/null || true
    wait "$TIMER_PID" 2>/dev/null || true
    grep -q 'panicked' "$dir/err-first.log" && CRASHES=$(( CRASHES + 1 ))
    start_scrape "$dir" restart
    wait_cycles "$dir/err-restart.log" $(( CYCLES - 1 )) "$BOUND" || status=stalled
    stop_scrape "$dir" restart
    kill "$SIM_PID" 2>/dev/null || true
    availability_keys "$dir" "sqlite://$dir/odds.db" >"$dir/keys"
    local cycle
    cycle=$(max_cycle "$dir"/err-*.log)
    [ "$status" = stalled ] && cycle="stalled (>${BOUND} s)"
    row "kill -9 mid-cycle + restart" "$CRASHES" "$(false_alerts "$dir/keys")" \
        "$(lost_batches "$dir" "sqlite://$dir/odds.db")" "$cycle" "$(rss_mb "$dir"/time-*.txt)"
}

ALL=(baseline slow server-error truncated malformed drip retry-after reshaped oversize db-outage kill9)
if [ "$#" -gt 0 ]; then SCENARIOS=("$@"); else SCENARIOS=("${ALL[@]}"); fi

log "work dir $WORK; $EVENTS events, $CYCLES cycles of ${INTERVAL} s, fault rate $RATE, seed $SEED"
run_sim_scenario reference --fault-rate 0
echo
echo "| scenario | crashes | false availability alerts | batches lost | cycle time (max) | peak RSS |"
echo "|---|---|---|---|---|---|"
for scenario in "${SCENARIOS[@]}"; do
    log "scenario $scenario"
    case "$scenario" in
        baseline) run_sim_scenario baseline --fault-rate 0 ;;
        # 50 MB bodies: a lower rate keeps the run short; each one still hits the body cap.
        oversize) run_sim_scenario oversize --fault-rate "$(python3 -c "print(min($RATE, 0.02))")" --fault oversize ;;
        slow | server-error | truncated | malformed | drip | retry-after | reshaped | too-many-requests)
            run_sim_scenario "$scenario" --fault-rate "$RATE" --fault "$scenario" ;;
        db-outage) run_outage ;;
        kill9) run_kill9 ;;
        *) echo "unknown scenario $scenario; known: ${ALL[*]}" >&2; exit 2 ;;
    esac
done
