#!/usr/bin/env bash
# Runs chaos experiments from cron, as a test suite: every run's journal is
# kept in a history folder, a JUnit file describes the last run, and an HTML
# report covers the whole history.
#
#   # crontab -e: every 30 minutes, as a user that may write $CHAOS_STATE
#   */30 * * * *  /usr/local/bin/chaos-cron.sh /etc/chaos/experiments/*.yaml
#
# Environment (all optional):
#   CHAOS_STATE   folder for history/, junit.xml, journal.json, the log and
#                 the lock (default /var/lib/chaos)
#   CHAOS_REPORT  the HTML report (default $CHAOS_STATE/report.html; point
#                 it at a web server's folder to publish it)
#   CHAOS_LOCK    the lock file (default $CHAOS_STATE/cron.lock)
#
# Exit code: chaos run's under --exit-codes detailed (0 completed, 3 not in
# the steady state before the method, 4 deviated, 5 failed, 6 aborted,
# 7 interrupted, 8 invalid; the worst of all experiments), 75 when the
# previous run still holds the lock, 2 for a usage error.
set -u

state="${CHAOS_STATE:-/var/lib/chaos}"
history="$state/history"
junit="$state/junit.xml"
report="${CHAOS_REPORT:-$state/report.html}"
lock="${CHAOS_LOCK:-$state/cron.lock}"

log() {
  echo "chaos-cron: $*"
  logger -t chaos-cron -- "$*" 2>/dev/null || true
}

if [ "$#" -eq 0 ]; then
  echo "usage: $0 EXPERIMENT..." >&2
  exit 2
fi
mkdir -p "$history" || exit 2

# One run at a time: when cron fires while the previous run is still going
# (a slow experiment, a long rollback), this one steps aside.
exec 9>"$lock"
if ! flock -n 9; then
  log "skipped: a previous run still holds $lock"
  exit 75
fi

# With one experiment, its journal also goes to $state/journal.json; with
# several, only to the history (one file each).
journal=()
if [ "$#" -eq 1 ]; then
  journal=(--journal-path "$state/journal.json")
fi

chaos --log-file "$state/chaostoolkit.log" run \
  --exit-codes detailed \
  --history "$history" \
  --junit "$junit" \
  ${journal[@]+"${journal[@]}"} \
  "$@"
code=$?

case "$code" in
  0) what="completed" ;;
  2) what="usage error" ;;
  3) what="not in the steady state before the method" ;;
  4) what="deviated" ;;
  5) what="failed" ;;
  6) what="aborted" ;;
  7) what="interrupted" ;;
  8) what="invalid experiment" ;;
  *) what="unexpected" ;;
esac
log "chaos run exited $code ($what)"

# The report of the whole history. `chaos report` arrived after `chaos run`:
# an older binary without it still runs the experiments.
if chaos report --help >/dev/null 2>&1; then
  if chaos report --export-format html "$history" "$report"; then
    log "report of the history: $report"
  else
    log "could not write the report $report"
  fi
else
  log "this chaos has no 'report' command: no HTML report"
fi

exit "$code"
