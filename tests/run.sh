#!/bin/sh
# Runs every test binary of the given build folders, then the CLI tests, and
# ends with one line "N passed, N failed". Exits non-zero if anything failed.
# ASan builds run with leak detection on. Tests run single-threaded: they
# check values, not speed (make bench does), and OpenMP or OpenBLAS threads
# spinning on a shared machine made them ten times slower.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
passed=0
failed=0
failures=""
for dir in "$@"; do
    for t in "$dir"/tests/test_*; do
        case "$t" in *.o|*.d) continue ;; esac
        [ -x "$t" ] || continue
        echo "== $t"
        if ASAN_OPTIONS=detect_leaks=1 "$t"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            failures="$failures $t"
        fi
    done
done
for s in tests/test_*.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    if sh "$s"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures $s"
    fi
done
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
