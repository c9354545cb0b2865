# shellcheck shell=bash
# Shared helpers for the tests/vm scripts (sourced, not run).

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$VM_DIR/../.." && pwd)
# Everything generated lives under build/ (git-ignored); the cache survives
# `make clean` only if you keep build/vm/cache.
VM_CACHE=${VMTEST_CACHE:-$ROOT/build/vm/cache}

# One line on stderr, non-zero exit.  Every user-visible failure goes here.
die() {
	echo "vmtest: $*" >&2
	exit 1
}

note() {
	echo "vmtest: $*" >&2
}
