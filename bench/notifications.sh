#!/usr/bin/env bash
# bench/notifications.sh: notifications per second that dothi delivers to a webhook while
# it takes durable attribute updates, beside the rate the same receiver (the bare Beast
# server, answering 204) takes notification-sized POSTs from wrk in the same run.
#
#   bash bench/notifications.sh          # ~1 minute
#   BENCH_QUICK=1 bash bench/notifications.sh
#
# Knobs (env): ENTITIES (10000), DURATION (10s), CONNS (16).
# One subscription watches pm25 of every AirQualityObserved; each PATCH changes pm25, so
# each acknowledged update should give one notification. The delivery rate counts from the
# start of the load until the queue has drained.
source "$(dirname "$0")/lib.sh"

ENTITIES="${ENTITIES:-10000}"
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-16}"
if [[ "$BENCH_QUICK" == 1 ]]; then DURATION=3s; ENTITIES=1000; fi
ensure_dothi
command -v wrk >/dev/null || { log "wrk missing: apt-get install wrk"; exit 1; }

# notifications OUTCOME: dothi_notifications_total{outcome="OUTCOME"} from /metrics
notifications() {
  curl -s "$DOTHI_URL/metrics" | awk -v o="outcome=\"$1\"" 'index($1, o) > 0 { print $2 }'
}

# --- baseline: the receiver alone ----------------------------------------------------------
RPORT=$(free_port)
start_bare "$RPORT"
log "bare receiver: wrk -t1 -c$CONNS -d$DURATION POST (notification body)"
wrk -t1 -c"$CONNS" -d"$DURATION" -s "$BENCH_DIR/wrk/post_notification.lua" "$BARE_URL/notify" \
  >"$BENCH_TMP/wrk_receiver.txt"
RECV_RPS=$(wrk_rps "$BENCH_TMP/wrk_receiver.txt")

# --- dothi: PATCH load with one subscription notifying the receiver -----------------------
DATA="$BENCH_TMP/notifications-data"
rm -rf "$DATA"
start_dothi notifications "$DATA"
node "$BENCH_DIR/ngsi_load.js" upsert --url "$DOTHI_URL" --count "$ENTITIES" --batch 1000 \
  --conns 2 --types aq >/dev/null
code=$(curl -s -o "$BENCH_TMP/sub.out" -w '%{http_code}' -X POST "$DOTHI_URL/ngsi-ld/v1/subscriptions" \
  -H 'Content-Type: application/json' -d "{\"type\":\"Subscription\",\"entities\":[{\"type\":\"AirQualityObserved\"}],
  \"watchedAttributes\":[\"pm25\"],\"notification\":{\"attributes\":[\"pm25\"],
  \"endpoint\":{\"uri\":\"$BARE_URL/notify\"}}}")
[[ "$code" == 201 ]] || { log "subscription not created: $code $(cat "$BENCH_TMP/sub.out")"; exit 1; }
d0=$(notifications delivered)
t0=$(date +%s.%N)
log "dothi: wrk -t1 -c$CONNS -d$DURATION PATCH /entities/{id}/attrs (each one notifies)"
BENCH_N="$ENTITIES" BENCH_MIN_VALUE=1000 wrk -t1 -c"$CONNS" -d"$DURATION" \
  -s "$BENCH_DIR/wrk/patch_attrs.lua" "$DOTHI_URL" >"$BENCH_TMP/wrk_patch.txt"
UPD=$(wrk_requests "$BENCH_TMP/wrk_patch.txt")
UPD_RPS=$(wrk_rps "$BENCH_TMP/wrk_patch.txt")
# Drained when delivered + dropped + failed-for-good stops growing (bounded: 120 s).
prev=-1
for _ in $(seq 1 1200); do
  q=$(notifications queued); d=$(notifications delivered); x=$(notifications dropped)
  [[ "$d" == "$prev" && $(echo "$d - $d0 + $x >= $UPD" | bc) == 1 ]] && break
  [[ $(echo "$d + $x >= $q" | bc) == 1 && "$d" == "$prev" ]] && break
  prev=$d
  sleep 0.1  # polling a counter, not synchronising a test
done
t1=$(date +%s.%N)
DELIVERED=$(( $(notifications delivered) - d0 ))
DROPPED=$(notifications dropped)
FAILED=$(notifications failed)
SECS=$(echo "$t1 - $t0" | bc -l)
NOTIF_RPS=$(echo "$DELIVERED / $SECS" | bc -l)
stop_pid "$DOTHI_PID"
stop_pid "$BARE_PID"

echo
echo "== bench/notifications.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  load avg $(cut -d" " -f1-3 /proc/loadavg)"
echo "entities: $ENTITIES AirQualityObserved; one subscription on pm25; wrk -t1 -c$CONNS -d$DURATION"
printf "bare receiver, wrk POST (keep-alive):  %10.0f req/s\n" "$RECV_RPS"
printf "durable PATCH updates during the run:  %10.0f updates/s (%d updates)\n" "$UPD_RPS" "$UPD"
printf "notifications delivered:               %10.0f /s  (%d in %.1f s until drained; dropped %s, failed attempts %s)\n" \
  "$NOTIF_RPS" "$DELIVERED" "$SECS" "$DROPPED" "$FAILED"
printf "ratio to the bare receiver:            %10s\n" "$(ratio "$NOTIF_RPS" "$RECV_RPS")"
