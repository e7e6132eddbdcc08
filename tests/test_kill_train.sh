#!/bin/sh
# Nothing lost: `qarray train` (a small synthetic run, 4 epochs, the
# checkpoint rewritten after each, then the integer model exported) is
# killed with SIGKILL at moments spread over its run. After every kill the
# exported model, if present, must be byte-identical to the uninterrupted
# run's, and the checkpoint, if present, must load: `--resume` from it must
# finish with a checkpoint and a model byte-identical to the uninterrupted
# run's. Temporaries a killed write leaves (NAME.tmp.PID) are counted.
set -u
Q=${QARRAY:-./build/qarray}
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_kill_train.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=1
fail=0
no() { echo "FAIL: $*"; fail=1; }
cat > "$T/tiny.cfg" <<'CFG'
model: { arch = "cnn"; width = 1.0; };
data: { synthetic = 600; };
train: { epochs = 4; batch = 50; seed = 2; lr = 0.1; };
quant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };
CFG

t0=$(date +%s%N)
$Q train -c "$T/tiny.cfg" -o "$T/ref/t.ckpt" --export "$T/ref/t.safetensors" \
    > /dev/null 2>&1 || { echo "FAIL: reference run"; exit 1; }
ms=$(( ($(date +%s%N) - t0) / 1000000 + 5 ))

kills=4
tmps=0
resumed=0
i=1
while [ $i -le $kills ]; do
    at=$((ms * i / (kills + 1)))
    rm -rf "$T/k"
    mkdir -p "$T/k"
    setsid $Q train -c "$T/tiny.cfg" -o "$T/k/t.ckpt" \
        --export "$T/k/t.safetensors" > /dev/null 2>&1 &
    pid=$!
    sleep "$(awk "BEGIN { print $at / 1000 }")"
    kill -KILL -- -$pid 2> /dev/null
    wait $pid 2> /dev/null
    tmps=$((tmps + $(find "$T/k" -name '*.tmp.*' | wc -l)))
    if [ -f "$T/k/t.safetensors" ] && ! cmp -s "$T/k/t.safetensors" "$T/ref/t.safetensors"; then
        no "kill at $at ms: t.safetensors is incomplete or differs"
    fi
    if [ -f "$T/k/t.ckpt" ]; then
        resumed=$((resumed + 1))
        $Q train -c "$T/tiny.cfg" -o "$T/k/t.ckpt" --export "$T/k/t.safetensors" \
            --resume > "$T/log" 2>&1 || no "kill at $at ms: resume failed: $(tail -n 1 "$T/log")"
        for f in t.ckpt t.safetensors; do
            cmp -s "$T/k/$f" "$T/ref/$f" || no "kill at $at ms: $f after --resume differs"
        done
    fi
    i=$((i + 1))
done

[ $fail -eq 0 ] && echo "test_kill_train.sh: ok ($kills kills over ${ms} ms, $resumed resumed from a checkpoint, $tmps temporaries left by killed writes)"
exit $fail
