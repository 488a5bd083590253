#!/usr/bin/env bash
# Start the secured Kafka of docker/compose.sasl.yaml.
#
# KRaft stores SCRAM users in the cluster metadata, so the first user (the admin, whose password
# comes from KAFKA_ADMIN_PASSWORD) must be written when the volume is formatted: nobody could log
# in to create it later. Then the image's own start script takes over (it sees the volume is
# formatted and leaves it alone).
set -euo pipefail
: "${CREDITFLOW_KAFKA_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD}"

if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  /etc/kafka/docker/configure
  /opt/kafka/bin/kafka-storage.sh format --ignore-formatted \
    --cluster-id "$CLUSTER_ID" -c /opt/kafka/config/server.properties \
    --add-scram "SCRAM-SHA-256=[name=admin,password=${CREDITFLOW_KAFKA_ADMIN_PASSWORD}]"
fi

# The healthcheck logs in as the admin; the file stays inside the container, owner-only.
umask 077
cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${CREDITFLOW_KAFKA_ADMIN_PASSWORD}";
PROPERTIES
umask 022

exec /etc/kafka/docker/run
