#!/usr/bin/env bash
# Makes sure MariaDB and Redis answer on 127.0.0.1, starting them when installed but stopped.
# Used by `npm start`, `npm test`, `npm run bench` and CI (.ci/run).
set -euo pipefail
DB_HOST="${DB_HOST:-127.0.0.1}"; DB_PORT="${DB_PORT:-3306}"; DB_USER="${DB_USER:-root}"; DB_PASSWORD="${DB_PASSWORD:-}"
REDIS_HOST=127.0.0.1; REDIS_PORT=6379

mysql_up() { mysqladmin --connect-timeout=2 -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" ${DB_PASSWORD:+-p"$DB_PASSWORD"} ping >/dev/null 2>&1; }
redis_up() { redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
wait_for() { local what=$1 check=$2; for _ in $(seq 1 60); do $check && return 0; sleep 0.5; done; echo "ensure-services: $what did not answer within 30 s" >&2; return 1; }

if ! command -v mysqladmin >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "ensure-services: the MariaDB and Redis clients are missing. Install them with:" >&2
  echo "  apt-get update && apt-get install -y mariadb-server mariadb-client redis-server" >&2
  exit 1
fi

if ! mysql_up; then
  if [ -x /usr/sbin/mariadbd ]; then
    echo "ensure-services: starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for MariaDB mysql_up
  else
    echo "ensure-services: MariaDB is not answering on $DB_HOST:$DB_PORT and is not installed." >&2
    echo "  Install it: apt-get update && apt-get install -y mariadb-server" >&2
    exit 1
  fi
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "ensure-services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
    wait_for Redis redis_up
  else
    echo "ensure-services: Redis is not answering on $REDIS_HOST:$REDIS_PORT and is not installed." >&2
    echo "  Install it: apt-get update && apt-get install -y redis-server" >&2
    exit 1
  fi
fi
