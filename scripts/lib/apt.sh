# shellcheck shell=bash
# apt.sh: sourced by the scripts that need Debian packages.
#
# apt_install [--with-recommends] PKG... installs the packages that are
# missing (nothing at all runs when every one is installed), without their
# recommended packages unless asked. Before the first install of a run it
# refreshes the package lists once (a fresh machine has none); the exported
# INFERD_APT_UPDATED keeps child scripts from doing it again.
#
# Another apt or dpkg process (unattended-upgrades, a second test run) holding
# the lock is waited for, up to INFERD_APT_LOCK_TIMEOUT seconds (default 600),
# instead of failing at once:
#   - apt-get install waits by itself with -o DPkg::Lock::Timeout=N (apt 2.6);
#   - apt-get update ignores that option for its lists lock
#     (/var/lib/apt/lists/lock), so it is retried while it says the lock is
#     held.
apt_install() {
	local missing=() p recommends=--no-install-recommends
	if [ "${1:-}" = --with-recommends ]; then
		recommends=--install-recommends
		shift
	fi
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	local timeout=${INFERD_APT_LOCK_TIMEOUT:-600}
	echo "installing Debian packages: ${missing[*]}" >&2
	if [ -z "${INFERD_APT_UPDATED:-}" ]; then
		_apt_update "$timeout" "${sudo[@]}"
		export INFERD_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "$recommends" \
		-o DPkg::Lock::Timeout="$timeout" "${missing[@]}" >&2
}

# _apt_update TIMEOUT [sudo]: apt-get update, retried every 5 s for up to
# TIMEOUT seconds while another process holds the package lists' lock.
_apt_update() {
	local timeout=$1 out rc start=$SECONDS said=
	shift
	while :; do
		rc=0
		out=$("$@" apt-get update -q -o DPkg::Lock::Timeout="$timeout" 2>&1) || rc=$?
		if [ $rc -eq 0 ]; then
			printf '%s\n' "$out" | tail -n 1 >&2
			return 0
		fi
		if ! grep -q 'Could not get lock' <<<"$out" || [ $((SECONDS - start)) -ge "$timeout" ]; then
			printf '%s\n' "$out" >&2
			return "$rc"
		fi
		if [ -z "$said" ]; then
			echo "apt-get update: another process holds the apt lock; waiting (up to ${timeout}s)" >&2
			said=1
		fi
		sleep 5
	done
}
