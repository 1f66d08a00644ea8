#!/usr/bin/env bash
# Replays the hostile cases of issue 12 against the real binary, on SQLite and/or PostgreSQL,
# and prints one table row per backend. Every count but "cases" must be 0.
#
#   scripts/hostile.sh [sqlite|postgres|both]        (default: both)
#
# ODDSWATCH_BIN        the binary (default: target/release/oddswatch, built when missing)
# ODDSWATCH_TEST_POSTGRES_URL
#                      a server where a scratch database may be created and dropped
#                      (default: postgres://postgres@127.0.0.1:5432/test; trust auth)
#
# Columns: cases run; 5xx answers; error answers whose body is not {"error": "..."}; outputs
# (stdout, stderr, bodies, the server's log lines) showing a secret; CLI exit codes other than
# expected; HTTP statuses other than expected; stderr carrying colour codes, a backtrace hint,
# server notices or anything at all after a successful command.
# Needs bash, curl, jq and psql (for the PostgreSQL half).
set -uo pipefail

cd "$(dirname "$0")/.."
BACKENDS=${1:-both}
BIN=${ODDSWATCH_BIN:-target/release/oddswatch}
PG_ADMIN=${ODDSWATCH_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
if [[ ! -x $BIN ]]; then
    cargo build --release --quiet || exit 1
fi

# Secrets planted in every run; none may ever be printed.
DB_PASSWORD='Hostile0Pw'
TOKEN='tok3n-Hostile-Secret'
API_KEY='apikey-Hostile-Secret'
SECRETS=("$DB_PASSWORD" "$TOKEN" "$API_KEY" "Hostile0" "0Pw")

WORK=$(mktemp -d)
SANDBOX_ENV=(PATH="$PATH" HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/config"
    XDG_DATA_HOME="$WORK/home/data" USER=hostile LANG=C.UTF-8)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

declare -i CASES FIVE NONJSON SECRETS_SEEN WRONG_EXIT WRONG_STATUS DIRTY
reset_counts() { CASES=0 FIVE=0 NONJSON=0 SECRETS_SEEN=0 WRONG_EXIT=0 WRONG_STATUS=0 DIRTY=0; }
note() { echo "  $*" >>"$WORK/notes"; }

shows_secret() { # file
    local s
    for s in "${SECRETS[@]}"; do
        grep -qF -- "$s" "$1" && return 0
    done
    return 1
}

# A sandboxed environment: its own home, no ODDSWATCH_* from the caller, no RUST_LOG.
sandbox() {
    env -i "${SANDBOX_ENV[@]}" "$@"
}

# cli EXPECTED_EXIT [VAR=value ...] -- ARGS...: runs the binary on the backend's database.
cli() {
    local expected=$1 envs=() code
    shift
    while [[ $1 != -- ]]; do envs+=("$1"); shift; done
    shift
    CASES+=1
    # A command that should have refused its input may instead run until stopped (a server, the
    # simulator): 30 s, then it counts as a wrong exit code (124).
    sandbox ODDSWATCH_DATABASE_URL="$DB_URL" ODDSWATCH_BOOKS_THEODDSAPI_API_KEY="$API_KEY" "${envs[@]}" \
        timeout 30 "$BIN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    code=$?
    if [[ $code != "$expected" ]]; then
        WRONG_EXIT+=1
        note "exit $code (expected $expected): $* :: $(head -c 300 "$WORK/err")"
    fi
    if shows_secret "$WORK/out" || shows_secret "$WORK/err"; then
        SECRETS_SEEN+=1
        note "secret shown: $*"
    fi
    if grep -q $'\e\[' "$WORK/err" || grep -qiE 'backtrace|RUST_BACKTRACE|_sqlx_migrations|slow statement' "$WORK/err" ||
        { [[ $code == 0 ]] && [[ -s $WORK/err ]]; }; then
        DIRTY+=1
        note "stderr: $* :: $(head -c 300 "$WORK/err")"
    fi
}

# http EXPECTED_STATUS METHOD PATH [curl args...]: one request to the API (with the token unless
# the arguments carry their own Authorization header).
http() {
    local expected=$1 method=$2 path=$3 status auth=(-H "Authorization: Bearer $TOKEN")
    shift 3
    [[ "$*" == *Authorization:* ]] && auth=()
    CASES+=1
    status=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "${auth[@]}" "$@" \
        "http://127.0.0.1:$PORT$path")
    judge "$expected" "$status" "$method $path"
}

# raw EXPECTED_STATUS LABEL < bytes: sends stdin as-is on a fresh connection. (Feed it with a
# redirection, not a pipe: a pipe would run it in a subshell and lose the counts.)
raw() {
    local expected=$1 label=$2 status
    CASES+=1
    if ! exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
        : >"$WORK/body"
        judge "$expected" 000 "$label (cannot connect)"
        return
    fi
    cat >&3 2>/dev/null
    timeout 10 cat <&3 >"$WORK/answer" 2>/dev/null
    exec 3<&-
    status=$(head -c 12 "$WORK/answer" | cut -c10-12)
    sed '1,/^\r$/d' "$WORK/answer" >"$WORK/body"
    judge "$expected" "${status:-000}" "$label"
}

judge() { # expected actual label
    local expected=$1 status=$2 label=$3
    [[ $status == 5* ]] && { FIVE+=1; note "$status: $label"; }
    # (jq accepts an empty body as "no input", so emptiness is checked first.)
    if [[ $status -ge 400 ]] && ! { [[ -s $WORK/body ]] && jq -e '.error | type == "string"' "$WORK/body" >/dev/null 2>&1; }; then
        NONJSON+=1
        note "non-JSON $status: $label :: $(head -c 200 "$WORK/body")"
    fi
    shows_secret "$WORK/body" && { SECRETS_SEEN+=1; note "secret in body: $label"; }
    if [[ $status != "$expected" ]]; then
        WRONG_STATUS+=1
        note "status $status (expected $expected): $label :: $(head -c 200 "$WORK/body")"
    fi
}

cli_cases() {
    local long_q long_comment
    long_q=$(printf 'q%.0s' {1..300})
    long_comment=$(printf 'c%.0s' {1..1500})
    cli 0 -- migrate
    cli 0 -- demo-data --alerts 3000 --seed 12
    cli 0 -- migrate
    cli 0 -- alerts stats
    cli 0 -- alerts list --limit 3
    cli 0 -- alerts list --json --limit 2
    cli 0 -- alerts list -q "' OR 1=1 --"
    cli 0 -- config print
    cli 0 -- config path
    # 1. passwords in every URL shape
    local shape
    for shape in "postgres:trader:$DB_PASSWORD@127.0.0.1:1/odds" "postgres//trader:$DB_PASSWORD@127.0.0.1:1/odds" \
        "mysql://trader:$DB_PASSWORD@127.0.0.1:1/odds"; do
        cli 2 ODDSWATCH_DATABASE_URL="$shape" -- config print
        cli 2 -- --database-url "$shape" config path
    done
    for shape in "postgres://trader:Hostile0/Pw@127.0.0.1:1/odds" "postgres://trader:Hostile0?Pw@127.0.0.1:1/odds" \
        "postgres://trader:Hostile0#Pw@127.0.0.1:1/odds" "postgres://trader:$DB_PASSWORD@127.0.0.1:1/odds" \
        "postgres://127.0.0.1:1/odds?user=trader&password=$DB_PASSWORD"; do
        cli 0 -- --database-url "$shape" config print
        cli 0 -- --database-url "$shape" config path
        cli 1 -- --database-url "$shape" migrate
    done
    # 2 and 3. limits and control characters
    cli 2 -- alerts list --offset 18446744073709551615
    cli 2 -- alerts list -q "$long_q"
    cli 2 -- alerts list -q $'a\x01b'
    cli 2 -- alerts list --book $'bet\x1bpawa'
    cli 2 -- alerts ack 1 --comment "$long_comment"
    cli 2 -- alerts ack 1 --comment $'laid\toff'
    cli 2 -- alerts list --limit 0
    cli 2 -- alerts list --limit 201
    cli 2 -- alerts list --severity huge
    cli 2 -- alerts show abc
    cli 1 -- alerts show 999999999
    cli 2 -- serve --bind 0.0.0.0:0
    cli 2 ODDSWATCH_API_BIND=0.0.0.0:0 -- serve
    cli 2 ODDSWATCH_BOOKS_BETPAWA_ENABLED=false ODDSWATCH_BOOKS_SPORTYBET_ENABLED=false \
        ODDSWATCH_BOOKS_BET9JA_ENABLED=false -- scrape
    cli 2 -- sim --events 0
    cli 2 -- sim --events 20001
    # 4 and 8. configuration messages
    mkdir -p "$WORK/home"
    printf '[scrape]\ninterval_secs = -5\n' >"$WORK/bad.toml"
    cli 2 -- --config "$WORK/bad.toml" alerts stats
    grep -q "scrape.interval_secs = -5 (from $WORK/bad.toml): must be between 1 and 86400" "$WORK/err" ||
        { WRONG_EXIT+=1; note "config message: $(cat "$WORK/err")"; }
    cli 2 ODDSWATCH_SCRAPE_INTERVAL_SECS=-5 -- alerts stats
    cli 2 ODDSWATCH_LOG_LEVEL=verbose -- alerts stats
    cli 2 ODDSWATCH_BOOKS_THEODDSAPI_ENABLED=true ODDSWATCH_BOOKS_THEODDSAPI_API_KEY= -- alerts stats
    cli 2 ODDSWATCH_DETECTION_WARNING_PCT=12 -- alerts stats
    cli 2 ODDSWATCH_NO_SUCH_KEY=1 -- alerts stats
    cli 2 ODDSWATCH_API_TOKEN="$TOKEN" ODDSWATCH_API_BIND=nowhere -- config print
}

http_cases() {
    local long_q zoe big
    long_q=$(printf 'q%.0s' {1..300})
    big=$(printf '{"ids":[%s1]}' "$(printf '1,%.0s' {1..40000})")
    http 200 GET /api/alerts
    http 200 GET /api/alerts/stats
    http 200 GET /api/health
    http 200 GET /api/openapi.json
    http 200 GET '/api/alerts?status=new&severity=critical,elevated&limit=200'
    # SQL injection stays harmless
    http 200 GET "/api/alerts?q=%27%20OR%201%3D1%20--"
    http 200 GET "/api/alerts?bookmaker=x%27%20OR%20%271%27%3D%271"
    http 200 GET "/api/alerts?q=%C3%A9v%C3%A9nement"
    # 2. control characters
    local p
    for p in 'q=%00' 'q=Arse%00nal' 'q=%01' 'q=%1B%5B31m' 'q=a%0Ab' 'bookmaker=%00' 'bookmaker=bet%00pawa' "q=$long_q"; do
        http 400 GET "/api/alerts?$p"
    done
    http 400 PATCH /api/alerts/1 -H 'content-type: application/json' -d '{"acknowledged":true,"comment":"a\u0000b"}'
    http 400 PATCH /api/alerts/1 -H 'content-type: application/json' -d '{"acknowledged":true,"comment":"\u001b[2J"}'
    http 400 POST /api/alerts/acknowledge -H 'content-type: application/json' -d '{"ids":[1,2],"comment":"x\u0000"}'
    # parameters
    for p in limit=0 limit=201 limit=ten offset=-1 offset=18446744073709551615 eventId=x severity=huge \
        status=%00 alertType=x sort=random color=red 'limit=5&limit=6'; do
        http 400 GET "/api/alerts?$p"
    done
    http 400 GET /api/alerts/abc
    http 400 GET /api/alerts/99999999999999999999
    http 404 GET /api/alerts/-1
    http 404 GET /api/alerts/424242424
    http 404 GET /api/nothing
    http 405 DELETE /api/alerts/1
    http 422 PATCH /api/alerts/1 -H 'content-type: application/json' -d '{"acknowledged":"yes"}'
    http 422 PATCH /api/alerts/1 -H 'content-type: application/json' -d '{"acknowledged":'
    http 415 PATCH /api/alerts/1 -d '{"acknowledged":true}'
    http 400 POST /api/alerts/acknowledge -H 'content-type: application/json' -d '{"ids":[]}'
    http 413 POST /api/alerts/acknowledge -H 'content-type: application/json' -d "$big"
    jq -e '.error | contains("64 KiB")' "$WORK/body" >/dev/null || { NONJSON+=1; note "413 without the cap"; }
    # 7. tokens
    http 401 GET /api/alerts/stats -H 'Authorization:'
    http 401 GET /api/alerts/stats -H 'Authorization: Bearer wrong'
    http 401 GET /api/alerts/stats -H "Authorization: Bearer  $TOKEN"
    http 401 GET /api/alerts/stats -H "Authorization: Basic $TOKEN"
    http 401 GET /api/alerts/stats -H "Authorization: Bearer ${TOKEN%?}"
    http 200 GET /api/alerts/stats -H "Authorization: bearer $TOKEN"
    http 200 GET /api/alerts/stats -H "Authorization: BEARER $TOKEN"
    # 8. user names, on an alert that can still be acknowledged
    local id
    id=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/alerts?status=new&limit=1" |
        jq '.alerts[0].id')
    zoe=$(printf 'Zo\xc3\xab')
    http 200 PATCH "/api/alerts/$id" -H 'content-type: application/json' -H "X-Oddswatch-User: $zoe" -d '{"acknowledged":true}'
    jq -e --arg zoe "$zoe" '.acknowledgedBy == $zoe' "$WORK/body" >/dev/null ||
        { WRONG_STATUS+=1; note "Zoë not recorded: $(cat "$WORK/body")"; }
    http 400 PATCH "/api/alerts/$id" -H 'content-type: application/json' -H $'X-Oddswatch-User: ada\tlovelace' -d '{"acknowledged":false}'
    http 400 PATCH "/api/alerts/$id" -H 'content-type: application/json' -H "X-Oddswatch-User: $(printf 'u%.0s' {1..65})" -d '{"acknowledged":false}'
    # 5. protocol-level errors
    raw 400 garbage < <(printf '\x16\x03\x01garbage\r\n\r\n')
    raw 400 'Content-Length: -5' < <(printf 'POST /api/alerts/acknowledge HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n')
    raw 400 'bad header name' < <(printf 'GET /api/alerts HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n')
    raw 400 'bad version' < <(printf 'GET /api/alerts HTTP/9.9\r\n\r\n')
    raw 414 'URI too long' < <(printf 'GET /api/alerts?q=%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(printf 'a%.0s' {1..70000})")
    raw 431 'too many headers' < <(
        printf 'GET /api/alerts HTTP/1.1\r\nHost: x\r\n'
        for i in {1..150}; do printf 'X-H%d: v\r\n' "$i"; done
        printf '\r\n'
    )
    http 414 GET "/api/alerts?q=$(printf 'a%.0s' {1..70000})"
}

# 6. slow clients: SLOW connections send half a request; how long until the server closes them?
slow_clients() {
    local n=200 started ended pids=()
    started=$(date +%s%N)
    for ((i = 0; i < n; i++)); do
        (
            exec 3<>"/dev/tcp/127.0.0.1/$PORT" || exit
            printf 'GET /api/alerts HTTP/1.1\r\nHost: x\r\nX-Half: ' >&3
            timeout 60 cat <&3 >/dev/null
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    ended=$(date +%s%N)
    SLOW_SECS=$(awk -v ns=$((ended - started)) 'BEGIN { printf "%.1f", ns / 1e9 }')
    http 200 GET /api/alerts/stats
}

run_backend() {
    local backend=$1 pgdb=
    reset_counts
    : >"$WORK/notes"
    rm -rf "$WORK/home"
    mkdir -p "$WORK/home"
    case $backend in
    sqlite) DB_URL="sqlite://$WORK/hostile.db" ;;
    postgres)
        pgdb="oddswatch_hostile_$$"
        psql -q "$PG_ADMIN" -c "CREATE DATABASE $pgdb" >/dev/null || return 1
        # Trust authentication ignores the password; it is there to be leaked, or not.
        DB_URL="${PG_ADMIN%/*}/$pgdb"
        DB_URL="${DB_URL/:\/\/postgres@/://postgres:$DB_PASSWORD@}"
        ;;
    esac
    cli_cases
    PORT=$((20000 + RANDOM % 20000))
    # env execs the binary, so $! is the server itself and the kill below reaches it.
    env -i "${SANDBOX_ENV[@]}" ODDSWATCH_DATABASE_URL="$DB_URL" ODDSWATCH_API_TOKEN="$TOKEN" \
        "$BIN" serve --bind "127.0.0.1:$PORT" >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    for _ in {1..100}; do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/api/health" && break
        sleep 0.1
    done
    http_cases
    slow_clients
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    if shows_secret "$WORK/server.out" || shows_secret "$WORK/server.err"; then
        SECRETS_SEEN+=1
        note "secret in the server's output"
    fi
    if [[ -n $pgdb ]]; then
        psql -q "$PG_ADMIN" -c "DROP DATABASE $pgdb WITH (FORCE)" >/dev/null
    fi
    printf '| %-8s | %5d | %3d | %15d | %12d | %16d | %12d | %12d | %15s |\n' "$backend" "$CASES" "$FIVE" "$NONJSON" \
        "$SECRETS_SEEN" "$WRONG_EXIT" "$WRONG_STATUS" "$DIRTY" "$SLOW_SECS"
    cat "$WORK/notes" >&2
}

echo '| backend  | cases | 5xx | non-JSON errors | secrets seen | wrong exit codes | wrong status | dirty stderr | slow closed (s) |'
echo '|----------|------:|----:|----------------:|-------------:|-----------------:|-------------:|-------------:|----------------:|'
case $BACKENDS in
sqlite | postgres) run_backend "$BACKENDS" ;;
both) run_backend sqlite && run_backend postgres ;;
*) echo "usage: $0 [sqlite|postgres|both]" >&2 && exit 2 ;;
esac
