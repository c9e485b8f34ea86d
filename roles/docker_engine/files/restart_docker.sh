# Run as: sh -c "$(cat restart_docker.sh)" sh SECONDS
# Restarts docker and waits for it at most SECONDS: `systemctl restart` alone waits as long as
# dockerd stays "activating", for ever with some settings (the unit has TimeoutStartSec=0).
# Success is a new invocation of the unit that is active and running; on failure (the unit
# failed, or the time ran out) it prints dockerd's own error lines since the restart to stderr.
set -u
since=$(date +%s)
before=$(systemctl show --property=InvocationID --value docker.service)
systemctl daemon-reload
systemctl reset-failed docker.service 2>/dev/null || true
systemctl --no-block restart docker.service
end=$((since + $1))
while [ "$(date +%s)" -lt "$end" ]; do
  now=$(systemctl show --property=InvocationID,ActiveState,SubState docker.service | sort | tr '\n' ' ')
  case "$now" in
    *"ActiveState=active InvocationID=$before "*) ;;
    *"ActiveState=active InvocationID="*" SubState=running "*) exit 0 ;;
    *"ActiveState=failed "*) break ;;
  esac
  sleep 1
done
state=$(systemctl show --property=ActiveState --value docker.service)
echo "docker.service was $state after $(( $(date +%s) - since )) s; dockerd said:" >&2
journalctl --no-pager -o cat _SYSTEMD_UNIT=docker.service --since "@$since" \
  | grep -v -e 'level=info' -e 'level=warning' -e 'level=debug' | awk '!seen[$0]++' | tail -n 8 >&2
exit 1
