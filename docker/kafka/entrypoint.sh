#!/bin/sh
# Writes server.properties from the environment (clients are advertised at the Toxiproxy listener),
# formats the KRaft storage once, and runs the broker in the foreground.
# Producers and consumers have listeners of their own, each advertising its own Toxiproxy proxy.
set -eu
mkdir -p /data/kafka
: "${KAFKA_PRODUCERS_PORT:=19095}" "${KAFKA_CONSUMERS_PORT:=19096}"
: "${KAFKA_PRODUCERS_ADVERTISED_PORT:=9095}" "${KAFKA_CONSUMERS_ADVERTISED_PORT:=9096}"
cat > /opt/kafka/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
listeners=PLAINTEXT://0.0.0.0:${KAFKA_CLIENT_PORT},PRODUCERS://0.0.0.0:${KAFKA_PRODUCERS_PORT},CONSUMERS://0.0.0.0:${KAFKA_CONSUMERS_PORT},INTERNAL://127.0.0.1:${KAFKA_INTERNAL_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${KAFKA_ADVERTISED_HOST}:${KAFKA_ADVERTISED_PORT},PRODUCERS://${KAFKA_ADVERTISED_HOST}:${KAFKA_PRODUCERS_ADVERTISED_PORT},CONSUMERS://${KAFKA_ADVERTISED_HOST}:${KAFKA_CONSUMERS_ADVERTISED_PORT},INTERNAL://127.0.0.1:${KAFKA_INTERNAL_PORT}
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PRODUCERS:PLAINTEXT,CONSUMERS:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
log.dirs=/data/kafka
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
if ls /opt/kafka/libs | grep -q '^log4j-core'; then
  printf '%s\n' 'status = warn' 'appender.console.type = Console' 'appender.console.name = STDOUT' \
    'appender.console.layout.type = PatternLayout' 'appender.console.layout.pattern = [%d] %p %m (%c)%n' \
    'rootLogger.level = INFO' 'rootLogger.appenderRef.stdout.ref = STDOUT' > /opt/kafka/log4j2.properties
  LOG_OPT="-Dlog4j2.configurationFile=/opt/kafka/log4j2.properties"
else
  printf '%s\n' 'log4j.rootLogger=INFO, stdout' 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender' \
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout' \
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n' > /opt/kafka/log4j.properties
  LOG_OPT="-Dlog4j.configuration=file:/opt/kafka/log4j.properties"
fi
if [ ! -f /data/kafka/meta.properties ]; then
  CLUSTER_ID=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  java "$LOG_OPT" -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format -t "$CLUSTER_ID" -c /opt/kafka/server.properties
fi
# shellcheck disable=SC2086
exec java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError "$LOG_OPT" \
  -cp '/opt/kafka/libs/*' kafka.Kafka /opt/kafka/server.properties
