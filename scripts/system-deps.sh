#!/usr/bin/env bash
# The system programs the test suite uses beyond Python, from Debian's packages:
#   openssh-server  /usr/sbin/sshd             the SFTP arrival tests start a real OpenSSH server
#   Java 17         java                       the Spark parity test runs PySpark on local Java
#   chromium        /usr/bin/chromium          the web app's browser tests (Playwright)
#   postgresql      /usr/lib/postgresql/*/bin  tests that start a throwaway PostgreSQL server
# As root on a machine with apt-get, installs whatever is missing.  Otherwise it installs
# nothing and says, for each missing program, which tests will skip and why.
# Usage: scripts/system-deps.sh [--check]   (--check: only report, never install)
set -euo pipefail

have_sshd() { [ -x /usr/sbin/sshd ]; }
have_java() { command -v java >/dev/null 2>&1; }
have_chromium() { [ -x /usr/bin/chromium ]; }
have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

# name | check | Debian package | the tests that need it
NEEDS=(
  "openssh-server|have_sshd|openssh-server|tests/arrival/test_sftp.py and the SFTP cases of tests/arrival/test_run.py (a real sshd on 127.0.0.1)"
  "Java 17|have_java|openjdk-17-jre-headless|tests/warehouse/test_spark_parity.py (PySpark needs a Java runtime)"
  "Chromium|have_chromium|chromium|tests/web/browser (Playwright drives /usr/bin/chromium)"
  "PostgreSQL 15|have_postgres|postgresql|tests that start a throwaway PostgreSQL server (initdb/pg_ctl)"
)

missing_pkgs=()
for need in "${NEEDS[@]}"; do
  IFS='|' read -r _ check pkg _ <<<"$need"
  "$check" || missing_pkgs+=("$pkg")
done

if [ ${#missing_pkgs[@]} -gt 0 ] && [ "${1:-}" != "--check" ] && [ "$(id -u)" = 0 ] \
   && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages the tests need: ${missing_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing_pkgs[@]}"
fi

for need in "${NEEDS[@]}"; do
  IFS='|' read -r name check pkg tests <<<"$need"
  if ! "$check"; then
    if [ "$(id -u)" != 0 ]; then why="not running as root, so it cannot be installed here"
    elif ! command -v apt-get >/dev/null 2>&1; then why="no apt-get on this machine"
    else why="--check given"; fi
    echo "note: $name is missing ($why; Debian package '$pkg'): these will SKIP: $tests" >&2
  fi
done
