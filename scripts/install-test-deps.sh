#!/usr/bin/env bash
# Installs what the test suites need beyond npm packages, from Debian's archive:
#   chromium     - the browser the console end-to-end tests drive (playwright-core, no download)
#   nftables, iproute2 - device isolation, tested inside network namespaces the tests create
#   yara, clamav, clamav-daemon - the agent's scan engines (signatures are made by the tests)
#   gcc, make, libc6-dev - build the agent's fanotify exec-control helper from source
#   p7zip-full, bubblewrap, strace - file collection and the deep-analysis sandbox
#   attr         - getfattr/setfattr: quarantine keeps and restores a file's extended attributes
#   postgresql   - only when no PostgreSQL answers on 127.0.0.1:5432 (the scale-out store suite)
# Run as root (or with sudo). Safe to run again.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps: run as root (sudo $0)" >&2
  exit 1
fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
have() { command -v "$1" >/dev/null 2>&1; }
have nft || need+=(nftables)
have ip || need+=(iproute2)
have yara || need+=(yara)
have clamscan || need+=(clamav)
have clamd || need+=(clamav-daemon)
have gcc || need+=(gcc libc6-dev)
have make || need+=(make)
have 7z || need+=(p7zip-full)
have bwrap || need+=(bubblewrap)
have strace || need+=(strace)
have getfattr || need+=(attr)
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up && ! command -v pg_ctlcluster >/dev/null; then need+=(postgresql); fi

if [ ${#need[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || echo "install-test-deps: apt-get update failed; trying the cached package lists" >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! pg_up; then
  # A PostgreSQL cluster exists but is stopped (or was just installed): start it with trust auth
  # on loopback, which is what the integration suite connects with.
  version=$(ls /etc/postgresql | sort -V | tail -1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "install-test-deps: PostgreSQL is still not answering on 127.0.0.1:5432" >&2; exit 1; }
echo "install-test-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), PostgreSQL on 127.0.0.1:5432 - ready"
