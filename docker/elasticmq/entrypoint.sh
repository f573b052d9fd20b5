#!/bin/sh
# Queue URLs carry the node address, and AWS SDK v3 follows them: advertise the Toxiproxy listener.
set -eu
mkdir -p /data
cat > /opt/elasticmq/elasticmq.conf <<CONF
include classpath("application.conf")
node-address { protocol = http, host = "${ELASTICMQ_ADVERTISED_HOST}", port = ${ELASTICMQ_ADVERTISED_PORT}, context-path = "" }
rest-sqs { enabled = true, bind-port = ${ELASTICMQ_PORT}, bind-hostname = "0.0.0.0", sqs-limits = strict }
rest-stats { enabled = false }
generate-node-address = false
queues-storage { enabled = true, path = "/data/queues.conf" }
messages-storage { enabled = true, uri = "jdbc:h2:/data/elasticmq-h2;WRITE_DELAY=0" }
aws { region = "us-east-1", accountId = "000000000000" }
CONF
exec java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Dconfig.file=/opt/elasticmq/elasticmq.conf \
  -cp '/opt/elasticmq/libs/*' org.elasticmq.server.Main
