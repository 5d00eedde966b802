#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/with-keyring.sh PROGRAM [ARGS...]
#
# Runs PROGRAM on a private session bus with its own gnome-keyring, whose
# login collection is new, unlocked and the default, in a temporary HOME and
# XDG_DATA_HOME: the developer's keyring is never seen, and no password prompt
# is ever needed (one would hang a headless run). Exits with PROGRAM's status.
set -eu

if [ "$#" -eq 0 ]; then
  echo "usage: $0 PROGRAM [ARGS...]" >&2
  exit 2
fi

if [ "${1:-}" != "--in-private-session" ]; then
  for tool in dbus-run-session gnome-keyring-daemon gdbus; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$0: $tool is missing; the keyring tests need it" >&2
      exit 1
    fi
  done
  # Nothing of the caller's session may leak in: the bus and keyring are ours.
  unset GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
  exec dbus-run-session -- /bin/sh "$0" --in-private-session "$@"
fi
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pixverse-keyring.XXXXXX")
keyring_pid=""

cleanup ()
{
  if [ -n "$keyring_pid" ]; then
    kill "$keyring_pid" 2>/dev/null || true
    wait "$keyring_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -m 700 "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
export HOME="$tmp/home"
export XDG_DATA_HOME="$tmp/data"
export XDG_CONFIG_HOME="$tmp/config"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_RUNTIME_DIR="$tmp/runtime"

# With no keyrings yet, --unlock makes the login keyring with the password
# read from stdin, unlocked; gnome-keyring then answers the "default" alias
# with it, so storing to the default collection never prompts. --foreground
# keeps the daemon our child, so we know whom to stop. The tests' G_DEBUG is
# not for it: its own harmless warnings would kill it under fatal-warnings.
printf '%s' "test" |
  env -u G_DEBUG -u G_MESSAGES_DEBUG \
  gnome-keyring-daemon --foreground --unlock --components=secrets >&2 &
keyring_pid=$!

if ! gdbus wait --session --timeout 15 org.freedesktop.secrets; then
  echo "$0: gnome-keyring did not appear on the session bus" >&2
  exit 1
fi

# Fail loudly now rather than hang later on a prompt.
default=$(gdbus call --session --dest org.freedesktop.secrets \
  --object-path /org/freedesktop/secrets \
  --method org.freedesktop.Secret.Service.ReadAlias default)
case "$default" in
  *"/org/freedesktop/secrets/collection/login'"*) ;;
  *)
    echo "$0: the default collection is not the login keyring: $default" >&2
    exit 1
    ;;
esac
locked=$(gdbus call --session --dest org.freedesktop.secrets \
  --object-path /org/freedesktop/secrets/collection/login \
  --method org.freedesktop.DBus.Properties.Get \
  org.freedesktop.Secret.Collection Locked)
case "$locked" in
  *false*) ;;
  *)
    echo "$0: the login keyring is locked: $locked" >&2
    exit 1
    ;;
esac

# Tells the tests they may empty this keyring: it is not the developer's.
export PIXVERSE_PRIVATE_KEYRING=1

status=0
"$@" || status=$?
exit "$status"
