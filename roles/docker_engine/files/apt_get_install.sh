# Run as: sh -ec "$(cat apt_get_install.sh)" sh PACKAGE...
# Installs the packages from the distribution without their recommends (the role lists the
# ones the engine uses), adding docker-cli to docker.io where the distribution has it (Debian
# 13's docker.io only recommends it). It ends by printing the state docker.service was left in
# (the package starts the engine), so that on a fresh host the service task need not look again.
apt-get -q -o DPkg::Lock::Timeout=120 update
case " $* " in
  *" docker.io"*) apt-cache show docker-cli >/dev/null 2>&1 && set -- "$@" docker-cli ;;
esac
apt-get -q -y --no-install-recommends -o DPkg::Lock::Timeout=120 -o Dpkg::Options::=--force-confdef \
  -o Dpkg::Options::=--force-confold install "$@"
systemctl show --property=ActiveState --property=UnitFileState docker.service 2>/dev/null || true
