#!/usr/bin/env bash
# Relay Console backups: the PostgreSQL database, the analytics database when one is
# configured, and DATA_DIR (uploads, attachments, downloaded reports).
#
#   backup.sh [--env-file FILE] backup
#                               one backup into BACKUP_DIR/<date-time>/, then removes the
#                               backups older than BACKUP_KEEP_DAYS days
#   backup.sh [--env-file FILE] restore DIR
#                               puts DIR back: both databases (the main one's schema
#                               replaced by the backup's) and DATA_DIR (the current one kept beside it as
#                               DATA_DIR.before-restore-<date-time>). Stop relay-console first.
#
# Reads the server's settings from the environment (relay-console-backup.service passes the
# .env) or from --env-file (by hand: --env-file /opt/relay-console/.env): DB_* or DATABASE_URL, ANALYTICS_DB_* or ANALYTICS_DATABASE_URL, DATA_DIR, and
# BACKUP_DIR (default /var/lib/relay-console-backups), BACKUP_KEEP_DAYS (default 14).
# Each backup holds relay_app.dump (pg_dump custom format), analytics.dump when configured,
# data.tar.gz and SHA256SUMS; it is written under a .partial name and renamed when complete.
set -euo pipefail
umask 0027

die() { echo "backup.sh: $*" >&2; exit 1; }

# KEY=VALUE lines as systemd and the server read them (no shell evaluation: a value may hold
# spaces or $); a variable already in the environment wins.
if [ "${1:-}" = --env-file ]; then
  [ -r "${2:-}" ] || die "cannot read the env file '${2:-}'"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    [ -n "${!key+set}" ] || export "$key=$value"
  done < "$2"
  shift 2
fi

backup_dir=${BACKUP_DIR:-/var/lib/relay-console-backups}
keep_days=${BACKUP_KEEP_DAYS:-14}
data_dir=${DATA_DIR:-}
[[ $keep_days =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_DAYS must be a number of days, not '$keep_days'"
[ -n "$data_dir" ] || die "DATA_DIR is not set (it is in the .env of the server)"
if [ "${USE_SQLITE:-0}" != 0 ] && [ -z "${DATABASE_URL:-}" ]; then
  die "the database is SQLite (USE_SQLITE); this script backs up PostgreSQL. Stop the service and copy DATA_DIR instead."
fi
case "${DATABASE_URL:-}" in
  ""|postgres://*|postgresql://*) ;;
  *) die "DATABASE_URL is not a PostgreSQL URL; this script backs up PostgreSQL" ;;
esac

# A connection URL's password moves to PGPASSWORD (percent-decoded), out of the command line
# that any local user can read in ps.
url_client() {
  local url=$1; shift
  if [[ $url =~ ^(postgres(ql)?://[^:/@]*):([^@]*)@(.*)$ ]]; then
    local password
    password=$(printf '%b' "${BASH_REMATCH[3]//%/\\x}")
    PGPASSWORD=$password "$@" --dbname="${BASH_REMATCH[1]}@${BASH_REMATCH[4]}"
  else
    "$@" --dbname="$url"
  fi
}

# Runs a PostgreSQL client against the main (main) or analytics (analytics) database. The
# password goes through PGPASSWORD, never on a command line.
pg() {
  local which=$1; shift
  if [ "$which" = main ]; then
    if [ -n "${DATABASE_URL:-}" ]; then
      url_client "$DATABASE_URL" "$@"
    else
      PGHOST=${DB_HOST:-127.0.0.1} PGPORT=${DB_PORT:-5432} PGUSER=${DB_USER:-relay_user} \
        PGPASSWORD=${DB_PASSWORD:-} "$@" --dbname="${DB_NAME:-relay_app}"
    fi
  else
    if [ -n "${ANALYTICS_DATABASE_URL:-}" ]; then
      url_client "$ANALYTICS_DATABASE_URL" "$@"
    else
      PGHOST=$ANALYTICS_DB_HOST PGPORT=${ANALYTICS_DB_PORT:-5432} PGUSER=${ANALYTICS_DB_USER:-} \
        PGPASSWORD=${ANALYTICS_DB_PASSWORD:-} PGSSLMODE=${ANALYTICS_DB_SSLMODE:-require} \
        "$@" --dbname="$ANALYTICS_DB_NAME"
    fi
  fi
}
analytics_configured() { [ -n "${ANALYTICS_DATABASE_URL:-}" ] || [ -n "${ANALYTICS_DB_NAME:-}" ]; }

backup() {
  command -v pg_dump > /dev/null || die "pg_dump is missing (Debian/Ubuntu package postgresql-client)"
  [ -d "$data_dir" ] || die "DATA_DIR $data_dir does not exist"
  mkdir -p "$backup_dir"
  local name partial
  name=$(date +%Y-%m-%dT%H%M%S)
  partial="$backup_dir/.$name.partial"
  rm -rf "$partial" && mkdir "$partial"
  trap 'rm -rf "$partial"' EXIT
  pg main pg_dump --format=custom --no-owner --file="$partial/relay_app.dump"
  if analytics_configured; then
    pg analytics pg_dump --format=custom --no-owner --file="$partial/analytics.dump"
  fi
  # A file the service writes meanwhile is taken as it was read (tar says 1, not an error).
  tar -C "$data_dir" --warning=no-file-changed --warning=no-file-removed -czf "$partial/data.tar.gz" . \
    || [ $? -eq 1 ] || die "tar of $data_dir failed"
  (cd "$partial" && sha256sum -- *.dump data.tar.gz > SHA256SUMS)
  mv "$partial" "$backup_dir/$name"
  trap - EXIT
  find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name '20*' -mtime +"$keep_days" -exec rm -rf {} +
  echo "backup $backup_dir/$name: $(du -sh "$backup_dir/$name" | cut -f1)"
}

restore() {
  local from=${1:-}
  [ -n "$from" ] || die "which backup? backup.sh restore $backup_dir/<date-time>"
  [ -f "$from/SHA256SUMS" ] || die "$from is not a complete backup (no SHA256SUMS)"
  command -v pg_restore > /dev/null || die "pg_restore is missing (Debian/Ubuntu package postgresql-client)"
  (cd "$from" && sha256sum --quiet -c SHA256SUMS) || die "$from is damaged: its checksums do not match"
  if command -v systemctl > /dev/null && systemctl is-active --quiet relay-console.service 2> /dev/null; then
    die "relay-console is running: sudo systemctl stop relay-console first"
  fi
  # The schema emptied and the backup's objects put back in one transaction: tables a newer
  # version added go too (a later migrate would trip on them), and a failure changes nothing.
  { echo "SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;"; pg_restore --no-owner --file=- "$from/relay_app.dump"; } \
    | pg main psql --quiet --no-psqlrc --single-transaction -v ON_ERROR_STOP=1 > /dev/null
  if [ -f "$from/analytics.dump" ]; then
    analytics_configured || die "the backup has an analytics database but ANALYTICS_DB_NAME is not set"
    pg analytics pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error "$from/analytics.dump"
  fi
  local stamp
  stamp=$(date +%Y-%m-%dT%H%M%S)
  if [ -d "$data_dir" ] && [ -n "$(ls -A "$data_dir")" ]; then
    mkdir "$data_dir.before-restore-$stamp"
    find "$data_dir" -mindepth 1 -maxdepth 1 -exec mv -t "$data_dir.before-restore-$stamp" {} +
    echo "the previous DATA_DIR is kept in $data_dir.before-restore-$stamp"
  fi
  mkdir -p "$data_dir"
  # Extracted as the owner of DATA_DIR, never as root: the archive is the service's to write,
  # so its owners and modes (a setuid file) must not be trusted.
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid="$(stat -c %u "$data_dir")" --regid="$(stat -c %g "$data_dir")" --clear-groups \
      tar -C "$data_dir" --no-same-owner --no-same-permissions -xzf "$from/data.tar.gz"
  else
    tar -C "$data_dir" --no-same-owner --no-same-permissions -xzf "$from/data.tar.gz"
  fi
  echo "restored $from"
}

case "${1:-}" in
  backup) backup ;;
  restore) restore "${2:-}" ;;
  *) die "usage: backup.sh [--env-file FILE] backup | restore BACKUP_DIR/<date-time>" ;;
esac
