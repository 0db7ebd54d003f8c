#!/usr/bin/env bash
# Run a real single-node Apache Kafka 4.x (KRaft, combined broker+controller)
# without Docker. Jars come from Maven Central via deploy/kafka/pom.xml.
#
#   deploy/kafka/run-kafka.sh start [--port 19092] [--dir var/kafka]
#       resolve jars (cached), write server.properties, format storage (first
#       time only), start the JVM in the background, wait until it answers a
#       metadata request, then print KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:PORT.
#   deploy/kafka/run-kafka.sh stop [--dir var/kafka]
#       SIGTERM, SIGKILL after 30 s, remove the pid file.
#   deploy/kafka/run-kafka.sh available
#       exit 0 if java (>= 17) and mvn exist and the jars resolve.
#
# Env: NUANXIN_KAFKA_JARS (jar cache, default <repo>/.cache/kafka-jars),
#      NUANXIN_KAFKA_VERSION (default: kafka.version in pom.xml),
#      KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m),
#      KAFKA_JVM_OPTS (default -XX:+UseG1GC -XX:TieredStopAtLevel=1), KAFKA_START_TIMEOUT (90 s).
# The data dir keeps its data across stop/start; delete it for a fresh cluster.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JARS="${NUANXIN_KAFKA_JARS:-$ROOT/.cache/kafka-jars}"
VERSION="${NUANXIN_KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/pom.xml")}"
PORT=19092
DIR="$ROOT/var/kafka"

log() { echo "run-kafka: $*" >&2; }
die() { log "$*"; exit 1; }

check_tools() {
  command -v java >/dev/null || die "java not found (need Java >= 17)"
  command -v mvn >/dev/null || die "mvn not found (needed to fetch Kafka jars from Maven Central)"
  local major; major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Java >= 17 required, found '${major:-unknown}'"
}
# Copy kafka_2.13 and its runtime deps into $JARS, unless already there for this version+pom.
resolve_jars() {
  local stamp; stamp="$VERSION $(cksum <"$HERE/pom.xml")"
  [[ -f "$JARS/.resolved" && "$(cat "$JARS/.resolved")" == "$stamp" ]] && return 0
  log "resolving Kafka $VERSION jars from Maven Central into $JARS"
  rm -rf "$JARS.tmp" && mkdir -p "$JARS.tmp"
  if ! mvn -q -B -f "$HERE/pom.xml" -Dkafka.version="$VERSION" dependency:copy-dependencies \
       -DincludeScope=runtime -DoutputDirectory="$JARS.tmp" >"$JARS.mvn.log" 2>&1; then
    tail -n 30 "$JARS.mvn.log" >&2; rm -rf "$JARS.tmp"; return 1
  fi
  rm -f "$JARS.mvn.log"
  echo "$stamp" >"$JARS.tmp/.resolved"
  rm -rf "$JARS" && mv "$JARS.tmp" "$JARS"
}
java_cmd() { # java with the Kafka classpath, into the array JAVA_CMD. C1-only JIT halves startup.
  read -r -a JAVA_CMD <<<"java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} ${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:TieredStopAtLevel=1}"
  JAVA_CMD+=(-Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/log4j2.properties" -Dkafka.logs.dir="$DIR" -cp "$JARS/*")
}
running_pid() { # print the pid if the pid file names a live Kafka JVM
  local pid; pid="$(cat "$DIR/kafka.pid" 2>/dev/null)" || return 1
  [[ -n "$pid" ]] && grep -qs kafka.Kafka "/proc/$pid/cmdline" && echo "$pid"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

is_ready() { # does the broker answer a metadata request?
  local py="$ROOT/.venv/bin/python"
  if [[ -x "$py" ]] && "$py" -c 'import aiokafka' 2>/dev/null; then
    "$py" - "127.0.0.1:$PORT" >/dev/null 2>&1 <<'EOF'
import asyncio, sys
from aiokafka import AIOKafkaClient
async def main():  # bootstrap() sends a MetadataRequest and raises if there is no answer
    c = AIOKafkaClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    try: await c.bootstrap(); assert c.cluster.brokers()
    finally: await c.close()
asyncio.run(main())
EOF
  else # no venv: port open + the broker's own "started" line
    port_open "$PORT" && grep -q "Kafka Server started" "$DIR/kafka.log"
  fi
}

new_cluster_id() { # 16 random bytes, URL-safe base64, as Kafka spells a cluster id
  # One that begins with '-' is read as an option by the format tool (a start in 64 failed so).
  local cid=-
  while [[ "$cid" == -* ]]; do cid="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"; done
  echo "$cid"
}

write_config() {
  cat >"$DIR/server.properties" <<EOF
# written by deploy/kafka/run-kafka.sh
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$((PORT + 1))
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$((PORT + 1))
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/data
num.partitions=3
auto.create.topics.enable=true
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# one partition per internal topic: the first group/transaction is ready much sooner
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.num.partitions=1
EOF
}

start() {
  check_tools
  mkdir -p "$DIR"
  if running_pid >/dev/null; then  # report the port it really runs on
    PORT="$(sed -n 's|^advertised.listeners=PLAINTEXT://127.0.0.1:||p' "$DIR/server.properties")"
    log "already running (pid $(running_pid), dir $DIR)"
    echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT"; return 0
  fi
  for p in "$PORT" $((PORT + 1)); do
    if port_open "$p"; then die "port $p already in use (another Kafka? try --port N)"; fi
  done
  resolve_jars || die "could not resolve Kafka $VERSION jars with mvn"
  write_config; java_cmd
  if [[ ! -f "$DIR/data/meta.properties" ]]; then
    "${JAVA_CMD[@]}" kafka.tools.StorageTool format -t "$(new_cluster_id)" -c "$DIR/server.properties" \
      >"$DIR/format.log" 2>&1 || { tail -n 30 "$DIR/format.log" >&2; die "storage format failed"; }
  fi
  : >"$DIR/kafka.log"
  nohup "${JAVA_CMD[@]}" kafka.Kafka "$DIR/server.properties" </dev/null >>"$DIR/kafka.log" 2>&1 &
  echo $! >"$DIR/kafka.pid"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-90}))
  until is_ready; do
    if ! kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null || ((SECONDS > deadline)); then
      tail -n 40 "$DIR/kafka.log" >&2
      stop >/dev/null 2>&1 || true
      die "Kafka did not start on 127.0.0.1:$PORT (log: $DIR/kafka.log)"
    fi
    sleep 1
  done
  log "Kafka $VERSION up (pid $(cat "$DIR/kafka.pid"), log $DIR/kafka.log)"
  echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT"
}

stop() {
  local pid
  pid="$(running_pid)" || { rm -f "$DIR/kafka.pid"; log "not running (dir $DIR)"; return 0; }
  kill -TERM "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then log "SIGKILL $pid"; kill -KILL "$pid"; fi
  rm -f "$DIR/kafka.pid"; log "stopped (pid $pid)"
}

# Sourced (by the tests), define the functions only.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0

cmd="${1:-}"; shift || true
while (($#)); do
  case "$1" in
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --dir) DIR="$(mkdir -p "${2:?--dir needs a path}" && cd "$2" && pwd)"; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
case "$cmd" in
  start) start ;;
  stop) stop ;;
  available) check_tools && resolve_jars >/dev/null 2>&1 ;;
  *) die "usage: $0 start [--port N] [--dir D] | stop [--dir D] | available" ;;
esac
