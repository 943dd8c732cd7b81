# apt.sh: sourced by the scripts that need Debian packages.
# apt_install PKG... installs the packages that are missing, running
# apt-get update once first (a fresh machine has no package lists).
apt_install() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	echo "installing Debian packages: ${missing[*]}" >&2
	if [ -z "${INFERD_APT_UPDATED:-}" ]; then
		"${sudo[@]}" apt-get update -q >&2
		export INFERD_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
