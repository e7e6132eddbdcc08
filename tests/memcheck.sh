#!/bin/sh
# make memcheck: a representative set of unit tests and CLI runs under
# valgrind memcheck; every run must end with zero errors and zero leaks
# (definite, indirect and possible leaks count as errors). Prints one line
# per run and a final "N runs, N failed".
#
# SystemC runs every SC_THREAD on its own coroutine stack. Coroutine stacks
# lie closer together than valgrind's default --max-stackframe (2 MB), so
# valgrind takes a switch for a huge frame and reports the locals of the
# threads as uninitialised. Runs that reach SystemC therefore use a 32 KiB
# limit (a larger move of the stack pointer is a switch); this costs the
# checks of frames over 32 KiB, so the plain C runs keep the default.
set -u
B=${1:-build}
# oneDNN's generated kernels read padding they multiply by zero, which
# memcheck cannot see through (every sum they give reports as undefined):
# every product here runs on qarray's own exact loops instead.
export QARRAY_ONEDNN=off
VG="valgrind -q --error-exitcode=99 --leak-check=full \
--errors-for-leak-kinds=definite,indirect,possible \
--show-leak-kinds=definite,indirect,possible"
VG_SC="$VG --max-stackframe=32768"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
runs=0
failed=0
check() {
    name=$1
    shift
    runs=$((runs + 1))
    if "$@" > "$T/log" 2>&1; then
        echo "   ok   $name"
    else
        failed=$((failed + 1))
        echo "   FAIL $name"
        grep '^==[0-9]*==' "$T/log" | head -n 30
    fi
}

# Loaders, models, quantizers (no SystemC).
for t in test_arch_cfg test_topo_csv test_npy test_layer test_net \
         test_resnet test_analytic test_quantizer test_q_pact test_levels \
         test_study test_table test_qa test_safetensors test_args test_energy; do
    check "$t" $VG "$B/tests/$t"
done
# The trade-off row runs the integer reference, whose OpenMP pool threads
# would only add noise: one thread.
check test_tradeoff env OMP_NUM_THREADS=1 $VG "$B/tests/test_tradeoff"
# Every loader under allocation failures, both engines.
check test_oom $VG_SC "$B/tests/test_oom"
# The CLI end to end: both engines, the topology import/export, a tensor.
Q="$B/qarray"
check "qarray run (analytic)" $VG "$Q" run -c arch/tiny.cfg -w resnet20 \
    --bits 4 --batch 2 --engine analytic -o "$T/a"
check "qarray run (systemc)" $VG_SC "$Q" run -c arch/tiny.cfg -w resnet20 \
    --bits 4 --engine systemc -o "$T/s"
check "qarray net -o" $VG "$Q" net -w resnet50 -o "$T/r50.csv"
check "qarray net --topo" $VG "$Q" net --topo "$T/r50.csv"
check "qarray run bad config" sh -c "$VG $Q run -c tests/bad/arch_enum.cfg \
    -o $T/bad; [ \$? -eq 1 ]"
check "qarray quantize-tensor" $VG "$Q" quantize-tensor --method apot \
    --bits 4 --signed -i tests/fuzz/corpus/npy/f32_2x3.npy -o "$T/q.npy"
# A sweep with its points in-process (-j 1: a forked worker ends with
# _exit and memcheck would report the parent's blocks it inherited), its
# resume, and merge.
check "qarray sweep -j 1" $VG "$Q" sweep -s tests/studies/tiny.cfg -j 1 \
    -o "$T/sw"
check "qarray sweep --resume" $VG "$Q" sweep -s tests/studies/tiny.cfg \
    -j 1 --resume -o "$T/sw"
check "qarray merge" $VG "$Q" merge -s tests/studies/tiny.cfg -o "$T/sw" \
    "$T/sw/points.csv"
# Training: a tiny quantized run on the synthetic set, checkpoint and
# integer-model export, then its resume (one thread: OpenMP's pool threads
# would only add noise).
printf 'model: { arch = "cnn"; };\ndata: { synthetic = 100; test_subset = 20; };\ntrain: { epochs = 1; batch = 50; };\nquant: { w_method = "sawb"; a_method = "pact"; w_bits = 4; a_bits = 4; alpha_init = 3.0; };\n' > "$T/r.cfg"
check "qarray train" env OMP_NUM_THREADS=1 $VG "$Q" train -c "$T/r.cfg" \
    -o "$T/t.ckpt" --export "$T/t.safetensors"
check "qarray train --resume" env OMP_NUM_THREADS=1 $VG "$Q" train \
    -c "$T/r.cfg" -o "$T/t.ckpt" --export "$T/t.safetensors" --resume
echo "memcheck: $runs runs, $failed failed"
[ "$failed" -eq 0 ]
