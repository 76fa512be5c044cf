#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests and for trying the job scripts:
# munged, slurmctld and slurmd with a configuration of their own in STATE_DIR (nothing under
# /etc is changed apart from the munge key the munge package creates).
#
#   scripts/slurm/cluster.sh start STATE_DIR   # prints `export SLURM_CONF=...` on success
#   scripts/slurm/cluster.sh stop STATE_DIR
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and munge packages
# (`apt-get install slurm-wlm munge`).
set -euo pipefail
cmd="${1:?usage: cluster.sh start|stop STATE_DIR}"
state="${2:?usage: cluster.sh start|stop STATE_DIR}"
mkdir -p "$state"
state=$(cd "$state" && pwd)
conf="$state/slurm.conf"

stop() {
  # The daemons' pids, kept by start (the daemons remove their own pid files while exiting).
  [ -f "$state/daemons.pids" ] || return 0
  pids=$(cat "$state/daemons.pids")
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 20); do
    alive=""
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.5
  done
  [ -n "$alive" ] && kill -9 $alive 2>/dev/null || true
  rm -f "$state/daemons.pids"
}

case "$cmd" in
stop)
  stop
  exit 0
  ;;
start) ;;
*)
  echo "usage: cluster.sh start|stop STATE_DIR" >&2
  exit 2
  ;;
esac

[ "$(id -u)" = 0 ] || { echo "cluster.sh: needs root" >&2; exit 3; }
for b in munged slurmctld slurmd sinfo; do
  command -v "$b" >/dev/null || { echo "cluster.sh: $b not found (apt-get install slurm-wlm munge)" >&2; exit 3; }
done

host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p "$state/spool" "$state/ctld" "$state/log" "$state/munge"

# munge: the key the package made, else one of our own.
key=/etc/munge/munge.key
if [ ! -s "$key" ]; then
  key="$state/munge/munge.key"
  dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
  chmod 400 "$key"
fi
chown root "$key" 2>/dev/null || true
munged --force --key-file="$key" --socket="$state/munge/socket" \
  --pid-file="$state/munged.pid" --log-file="$state/log/munged.log" --seed-file="$state/munge/seed"

cat >"$conf" <<CONF
ClusterName=scriptorium-ci
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$state/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF

export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf"
for d in munged slurmctld slurmd; do
  for _ in $(seq 1 20); do [ -s "$state/$d.pid" ] && break; sleep 0.2; done
  cat "$state/$d.pid" >>"$state/daemons.pids"
done
# Wait until the node is idle (ready to run jobs).
for _ in $(seq 1 60); do
  if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 1
done
echo "cluster.sh: the node did not become idle; logs in $state/log" >&2
sinfo >&2 || true
tail -20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
stop
exit 1
