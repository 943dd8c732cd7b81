# shellcheck shell=bash
# steps.sh: sourced by scripts that run in named steps (scripts/test.sh).
#
#   steps_begin NAME   starts the clock and, on exit, prints the summary
#   step TEXT...       ends the step before it and announces this one with
#                      the time elapsed since steps_begin:
#                        == [03:12] go vet
#
# The summary lists every step with its duration, the total, and, when the
# script fails, the step it failed in:
#   == test: summary
#      4s  system packages
#    1m02s go vet
#    ...
#   14m31s total
# Directories added to the steps_cleanup array are removed on exit, and
# processes whose PIDs are in steps_kill are stopped (services the tests
# started, such as MinIO).

_steps_names=()
_steps_secs=()
_steps_current=
_steps_started=0
_steps_begun=0
_steps_label=
steps_cleanup=()
steps_kill=()

# _steps_fmt SECONDS: 42s, 3m07s or 1h02m03s.
_steps_fmt() {
	local s=$1
	if [ "$s" -ge 3600 ]; then
		printf '%dh%02dm%02ds' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
	elif [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

_steps_end() {
	[ -n "$_steps_current" ] || return 0
	_steps_names+=("$_steps_current")
	_steps_secs+=($((SECONDS - _steps_started)))
	_steps_current=
}

step() {
	_steps_end
	_steps_current=$*
	_steps_started=$SECONDS
	local e=$((SECONDS - _steps_begun))
	printf '\n== [%02d:%02d] %s\n' $((e / 60)) $((e % 60)) "$*"
}

_steps_summary() {
	local rc=$? failed=$_steps_current i
	_steps_end
	printf '\n== %s: summary\n' "$_steps_label"
	for i in "${!_steps_names[@]}"; do
		printf '%8s  %s\n' "$(_steps_fmt "${_steps_secs[$i]}")" "${_steps_names[$i]}"
	done
	printf '%8s  total\n' "$(_steps_fmt $((SECONDS - _steps_begun)))"
	if [ "$rc" -ne 0 ]; then
		printf '%s: FAILED (exit %d) in step: %s\n' "$_steps_label" "$rc" "${failed:-(before the first step)}"
	else
		printf '%s: ok\n' "$_steps_label"
	fi
	[ ${#steps_kill[@]} -eq 0 ] || { kill "${steps_kill[@]}" 2>/dev/null; wait "${steps_kill[@]}" 2>/dev/null; } || true
	[ ${#steps_cleanup[@]} -eq 0 ] || rm -rf "${steps_cleanup[@]}"
	return "$rc"
}

steps_begin() {
	_steps_label=$1
	_steps_begun=$SECONDS
	trap _steps_summary EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
