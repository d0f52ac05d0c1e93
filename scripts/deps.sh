#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine (run as root):
# Apache ZooKeeper 3.8 (the reference server, and zkCli.sh), the C client
# shell cli_mt, kazoo for Debian's python3, netcat for the 4lw checks, and
# the log4j/slf4j jars internal/ztest puts on Apache's classpath, and
# Prometheus (server and promtool) for the exporter's tests; the tests run
# their own Prometheus on a loopback port, never the packaged service.
# Never installs zookeeperd: that package starts a system ZooKeeper service.
# When everything is already installed it does nothing, so repeated runs
# stay fast.
set -euo pipefail

pkgs=(
  zookeeper            # /usr/share/java/zookeeper.jar, zkCli.sh
  zookeeper-bin        # /usr/lib/zookeeper/bin/cli_mt
  python3-kazoo        # kazoo for /usr/bin/python3
  netcat-openbsd       # echo ruok | nc
  default-jre-headless # java for the server and zkCli.sh
  libslf4j-java        # slf4j-log4j12.jar
  liblog4j1.2-java     # log4j-1.2.jar
  prometheus           # prometheus and promtool for the exporter's tests
)
if [ "${1:-}" = "--with-packaging" ]; then
  pkgs+=(rpm) # rpm -qpl to inspect the built RPM
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all present (${pkgs[*]})"
  exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: need root to apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
