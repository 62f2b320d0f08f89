#!/usr/bin/env bash
# The test suite needs PostgreSQL on 127.0.0.1:5432 (or TEST_POSTGRES_URL), Chromium, nginx.
set -euo pipefail

if [ -z "${TEST_POSTGRES_URL:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; trying to start it"
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || {
    echo "PostgreSQL is required for the tests (set TEST_POSTGRES_URL to use another server)" >&2
    exit 1
  }
fi

# The browser tests drive Debian's Chromium (CHROMIUM names another binary).
if [ -z "${CHROMIUM:-}" ]; then
  "$(dirname "$0")/need-apt.sh" chromium chromium
fi

# The reports browser test creates its analytics database with psql; the deployment test runs
# Debian's nginx (with its brotli_static module, as production), backs up with pg_dump and starts the service as its user with setpriv.
"$(dirname "$0")/need-apt.sh" psql postgresql-client pg_dump postgresql-client nginx nginx-light setpriv util-linux \
  /usr/lib/nginx/modules/ngx_http_brotli_static_module.so libnginx-mod-http-brotli-static
