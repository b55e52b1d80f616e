# What the two guests share (guest.sh, and secureboot-guest.sh of the
# Secure Boot test): the module and backend names and the way a check is
# reported.  The host copies it into the share beside the guest script,
# which sources it from there.
# shellcheck shell=bash disable=SC2034

MODULES="kds kds_list kds_hash kds_rbtree kds_xarray kds_maple"
BACKENDS="list hash rbtree xarray maple"

# The apt output of an install, for later checks.
APTLOG=/root/kds-apt.log

tap() {
	echo "KDS-TAP $1 $2"
}

# check NAME COMMAND [ARG]...: one test line; the command's output is log.
check() {
	local name=$1 t0=$SECONDS
	shift
	echo "--- $name"
	if "$@"; then
		tap ok "$name"
	else
		tap "not ok" "$name"
	fi
	echo "    ($((SECONDS - t0)) s)"
}

# Each line prefixed with the seconds since the phase began.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%4d| %s\n' "$SECONDS" "$line"
	done
}
