#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target in fuzz/ (or those in
# FUZZ_TARGETS), one after the other, each for FUZZ_SECONDS (60 by default)
# or FUZZ_RUNS executions, whichever ends first (either alone: only that
# bound). Installs cargo-fuzz when missing; needs a nightly toolchain.
#
# Each run starts from the committed seed corpus (fuzz/corpus/<target>, read
# only) and writes what it learns to fuzz/scratch/<target> (ignored by git),
# so a run never dirties the tree. A crash stops the run with the input in
# fuzz/artifacts/<target>/: make it a unit test, fix it, and commit the input
# into fuzz/corpus/<target>/ (the replay in `make test` then keeps it fixed).
#
# No sanitizer (`-s none`): the code under test is safe Rust (unsafe_code is
# forbidden), so AddressSanitizer would only slow each execution several
# times over; panics, overflows (overflow-checks on), timeouts and
# out-of-memory are caught without it. FUZZ_NICE sets the niceness (0).
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain=${FUZZ_TOOLCHAIN:-nightly}
if ! cargo "+$toolchain" --version >/dev/null 2>&1; then
	echo "fuzz: no $toolchain toolchain; install it with: rustup toolchain install $toolchain" >&2
	exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)" >&2
	cargo install cargo-fuzz --locked
fi

seconds=${FUZZ_SECONDS:-}
runs=${FUZZ_RUNS:-}
if [ -z "$seconds" ] && [ -z "$runs" ]; then
	seconds=60
fi
if [ -n "${FUZZ_TARGETS:-}" ]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
else
	targets=()
	for file in fuzz/fuzz_targets/*.rs; do
		name=${file##*/}
		targets+=("${name%.rs}")
	done
fi
nice=(nice -n "${FUZZ_NICE:-0}")

echo "fuzz: building ${#targets[@]} targets (cargo +$toolchain fuzz build -s none)" >&2
if [ -n "${FUZZ_TARGETS:-}" ]; then
	for target in "${targets[@]}"; do
		"${nice[@]}" cargo "+$toolchain" fuzz build -s none "$target"
	done
else
	"${nice[@]}" cargo "+$toolchain" fuzz build -s none
fi

summary=()
for target in "${targets[@]}"; do
	scratch=fuzz/scratch/$target
	mkdir -p "$scratch" "fuzz/artifacts/$target"
	echo "fuzz: $target for ${seconds:-unbounded} s or ${runs:-unbounded} runs" >&2
	log=$(mktemp)
	started=$(date +%s)
	set +e
	"${nice[@]}" cargo "+$toolchain" fuzz run -s none "$target" "$scratch" "fuzz/corpus/$target" -- \
		-max_total_time="${seconds:-0}" -runs="${runs:--1}" -print_final_stats=1 2>&1 |
		tee "$log" | grep --line-buffered -E '^#[0-9]+.*(INITED|pulse|DONE)|^Done|^==|panicked|ERROR|SUMMARY' >&2
	status=${PIPESTATUS[0]}
	set -e
	elapsed=$(($(date +%s) - started))
	executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# The corpus libFuzzer kept in memory at the end (inputs, size).
	corpus=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
	summary+=("$(printf '%-16s %14s executions %7s s  corpus %12s  %s' "$target" "${executions:-?}" "$elapsed" "$corpus" \
		"$([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)")")")
	if [ "$status" -ne 0 ]; then
		tail -n 40 "$log" >&2
		rm -f "$log"
		printf 'fuzz: %s\n' "${summary[@]}" >&2
		echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/ (replay: cargo +$toolchain fuzz run -s none $target <file>)" >&2
		exit 1
	fi
	rm -f "$log"
done
printf 'fuzz: %s\n' "${summary[@]}"
