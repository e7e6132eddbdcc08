#!/bin/sh
# Under an address-space limit (ulimit -v, as batch systems set), every
# command either works or ends with an error, and none spins. OpenBLAS's
# thread pool, started when the library loaded, retried a failing
# allocation forever and exit waited for it: even `qarray area` hung at
# 100% CPU. OpenBLAS is now loaded only when training builds a network,
# single-threaded (quant/train/blas.c). Each command runs under `timeout`.
set -u
Q=$(pwd)/build/qarray
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
no() { echo "FAIL: $*"; fail=1; }

ldd "$Q" | grep -q openblas && no "qarray links OpenBLAS at start-up: $(ldd "$Q" | grep openblas)"

# $1: the limit in KiB, $2: 0 (must succeed) or 1 (must fail with a
# message), then the command.
limited() {
    lim=$1 want=$2
    shift 2
    (ulimit -v "$lim" && exec timeout 120 "$@") > "$T/out.txt" 2>&1
    rc=$?
    if [ $rc -eq 124 ]; then
        no "hung under ulimit -v $lim: $*"
    elif [ "$want" -eq 0 ] && [ $rc -ne 0 ]; then
        no "failed under ulimit -v $lim (exit $rc): $*: $(tail -n 2 "$T/out.txt")"
    elif [ "$want" -eq 1 ] && { [ $rc -eq 0 ] || ! grep -q -e "^qarray: " -e "^libgomp: " "$T/out.txt"; }; then
        no "no error under ulimit -v $lim (exit $rc): $*: $(tail -n 2 "$T/out.txt")"
    fi
}

cat > "$T/r.cfg" << 'CFG'
model: { arch = "cnn"; width = 0.25; };
data: { synthetic = 200; };
train: { epochs = 1; batch = 50; seed = 2; lr = 0.1; };
quant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };
CFG
for lim in 150000 60000; do
    limited $lim 0 "$Q" area
    limited $lim 0 "$Q" net -w resnet50
    limited $lim 0 "$Q" levels --method apot --bits 4
    limited $lim 0 "$Q" run -c arch/tiny.cfg -w resnet20 --engine analytic
    limited $lim 0 "$Q" run -c arch/tiny.cfg -w resnet20
done
limited 150000 0 env OMP_NUM_THREADS=2 "$Q" train -c "$T/r.cfg" -o "$T/ck"
# Too little to load OpenBLAS or start OpenMP's threads: an error, not a hang.
# qarray links oneDNN, which needs about 15 MB more address space to start
# (under 50000 KiB the loader or the C++ runtime stops it before main): the
# limit leaves room for that and still none for OpenBLAS.
limited 60000 1 env OMP_NUM_THREADS=2 "$Q" train -c "$T/r.cfg"

[ $fail -eq 0 ] && echo "test_cli_ulimit.sh: ok"
exit $fail
