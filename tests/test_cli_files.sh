#!/bin/sh
# Files in and out, end to end: no command replaces one of its inputs or
# writes two outputs to one file (however the file is named: a link, a
# hard link, "./x"); a link is written through, a device or a FIFO gets
# the stream and stays what it is; a full disk gives exit status 1 and
# leaves nothing under a result's name (a file, a VCD, a result folder);
# the VCD is the same for the same run; `train --resume` without a
# checkpoint yet starts the run.
#
# Full disks: a private device node of /dev/full (mknod) for single files,
# and a 64 KiB tmpfs for folders, mounted in a private mount namespace
# (unshare -m) so nothing outlives the test. Both need root; without it
# those cases are skipped and said so.
set -u
Q=$(pwd)/build/qarray
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
skipped=""
no() { echo "FAIL: $*"; fail=1; }
RUN="$Q run -c arch/tiny.cfg -w resnet20 --bits 4 --engine analytic"

# $1: exit status wanted, $2: text the message must hold, then the command.
expect() {
    want=$1 msg=$2
    shift 2
    "$@" > "$T/out.txt" 2>&1
    got=$?
    [ "$got" -eq "$want" ] || no "exit $got, not $want: $*: $(cat "$T/out.txt")"
    grep -q -- "$msg" "$T/out.txt" || no "'$msg' not in: $(cat "$T/out.txt")"
}

# ---- outputs that are inputs, or each other: refused before any work ----
$Q net -w resnet20 -o "$T/t.csv" > /dev/null 2>&1 || no "net export"
cp "$T/t.csv" "$T/t.orig"
ln -s t.csv "$T/t_link.csv"
ln "$T/t.csv" "$T/t_hard.csv"
for o in "$T/t.csv" "$T/t_link.csv" "$T/t_hard.csv" "$T/./t.csv"; do
    expect 2 "qarray: --out: '$o' is also the input --topo: writing it would replace what is read" \
        $Q run -c arch/tiny.cfg --topo "$T/t.csv" --engine analytic -o "$o"
done
expect 2 "is also the input --topo" $Q net --topo "$T/t.csv" -o "$T/t_link.csv"
cmp -s "$T/t.csv" "$T/t.orig" || no "the topology CSV was changed"
[ -L "$T/t_link.csv" ] || no "the link to the topology CSV was replaced"
expect 2 "qarray: --out: '$T/v.csv' is also written by --vcd" \
    $Q run -c arch/tiny.cfg -w resnet20 -o "$T/v.csv" --vcd "$T/v.csv"
expect 2 "qarray: --out: '$T/d/layers.csv' is also written by --vcd" \
    $Q run -c arch/tiny.cfg -w resnet20 -o "$T/d" --vcd "$T/d/layers.csv"
expect 2 "qarray: --out: 'arch/tiny.cfg' is also the input --arch" \
    $Q run -c arch/tiny.cfg -w resnet20 -o arch/tiny.cfg
cp quant/train/recipes/fp32.cfg "$T/r.cfg"
cp "$T/r.cfg" "$T/r.orig"
expect 2 "qarray: --export: '$T/r.cfg' is also the input --recipe" \
    $Q train -c "$T/r.cfg" --export "$T/r.cfg"
expect 2 "qarray: --out: '$T/r.cfg' is also the input --recipe" $Q train -c "$T/r.cfg" -o "$T/r.cfg"
expect 2 "qarray: --export: '$T/m.st' is also written by --out" \
    $Q train -c "$T/r.cfg" -o "$T/m.st" --export "$T/m.st"
cmp -s "$T/r.cfg" "$T/r.orig" || no "the recipe was changed"
printf '\223NUMPY\001\000\166\000' > "$T/x.npy"
expect 2 "qarray: --codes: '$T/y.npy' is also written by --out" \
    $Q quantize-tensor --method pact --bits 4 -i "$T/x.npy" -o "$T/y.npy" --codes "$T/y.npy"
expect 2 "qarray: --out: '$T/x.npy' is also the input --in" \
    $Q quantize-tensor --method pact --bits 4 -i "$T/x.npy" -o "$T/x.npy"
# An input among the files of a result folder.
$RUN -o "$T/res" > /dev/null 2>&1 || no "run -o res"
cp "$T/res/config.cfg" "$T/config.orig"
expect 2 "qarray: --out: '$T/res/config.cfg' is also the input --arch" \
    $Q run -c "$T/res/config.cfg" -w resnet20 --bits 4 --engine analytic -o "$T/res"
cmp -s "$T/res/config.cfg" "$T/config.orig" || no "the input config.cfg was replaced"
# Found only while running: the files of a study's folder name no option.
printf 'name = "s";\narch = "%s";\nout = "%s";\nworkload = "resnet20";\nbits = 4;\n' \
    "$T/res/config.cfg" "$T/res" > "$T/s.cfg"
expect 1 "qarray: $T/res/config.cfg: cannot write: it is an input of this command" \
    $Q sweep -s "$T/s.cfg" --engine analytic -j 1 --no-plot
cmp -s "$T/res/config.cfg" "$T/config.orig" || no "the study's chip file was replaced"

# ---- links, devices, FIFOs ----
ln -s real.csv "$T/dangling.csv"
$RUN -o "$T/dangling.csv" > /dev/null 2>&1 || no "run -o a dangling link"
[ -L "$T/dangling.csv" ] && [ -s "$T/real.csv" ] || no "the link's target was not written"
$RUN -o /dev/null > /dev/null 2>&1 || no "run -o /dev/null"
[ -c /dev/null ] || no "/dev/null is no longer a device"
n=$($RUN -o /dev/stdout 2> /dev/null | grep -c '^layer,op,')
[ "$n" -eq 1 ] || no "run -o /dev/stdout: the CSV header $n times"
mkfifo "$T/fifo"
(cat "$T/fifo" > "$T/from_fifo") &
$RUN -o "$T/fifo" > /dev/null 2>&1 || no "run -o FIFO"
wait
[ -p "$T/fifo" ] || no "the FIFO is no longer a FIFO"
grep -q '^layer,op,' "$T/from_fifo" || no "nothing came through the FIFO"

# ---- the VCD: deterministic, streamed, written through links ----
V="$Q run -c arch/tiny.cfg -w resnet20 --bits 4"
$V --vcd "$T/a.vcd" > /dev/null 2>&1 || no "vcd run 1"
$V --vcd "$T/b.vcd" > /dev/null 2>&1 || no "vcd run 2"
cmp -s "$T/a.vcd" "$T/b.vcd" || no "two identical runs gave different VCDs"
grep -q "not recorded" "$T/a.vcd" || no "the VCD has no fixed \$date"
ln -s c.vcd "$T/vlink.vcd"
$V --vcd "$T/vlink.vcd" > /dev/null 2>&1 || no "vcd through a link"
[ -L "$T/vlink.vcd" ] && cmp -s "$T/c.vcd" "$T/a.vcd" || no "the VCD link was not written through"
ls /tmp | grep -q "^qarray-vcd" && no "a VCD FIFO folder was left in /tmp"

# ---- full disks ----
if mknod "$T/full" c 1 7 2> /dev/null; then
    expect 1 "$T/full: write failed: No space left on device" $V --vcd "$T/full"
    [ -c "$T/full" ] || no "--vcd replaced the full device with a file"
    expect 1 "$T/full: write failed: No space left on device" $RUN -o "$T/full"
    [ -c "$T/full" ] || no "-o replaced the full device with a file"
else
    skipped="$skipped full-device"
fi
# A result folder on a file system that fills up: nothing left behind.
# The filler leaves 4 KiB: config.cfg fits, layers.csv and the VCD do not.
cat > "$T/full_disk.sh" << EOF
set -u
mount -t tmpfs -o size=64k tmpfs "$T/mnt" || exit 77
head -c 61440 /dev/zero > "$T/mnt/filler"
$RUN -o "$T/mnt/out" > "$T/mnt_out.txt" 2>&1
echo \$? > "$T/mnt_rc"
$V --vcd "$T/mnt/x.vcd" > "$T/mnt_vcd.txt" 2>&1
echo \$? > "$T/mnt_vcd_rc"
ls -A "$T/mnt" > "$T/mnt_ls"
EOF
mkdir "$T/mnt"
if command -v unshare > /dev/null && unshare -m sh "$T/full_disk.sh" 2> /dev/null; then
    [ "$(cat "$T/mnt_rc")" -eq 1 ] || no "run -o on a full disk: exit $(cat "$T/mnt_rc")"
    grep -q "No space left on device" "$T/mnt_out.txt" ||
        no "run -o on a full disk: $(cat "$T/mnt_out.txt")"
    grep -q "$T/mnt/out/" "$T/mnt_out.txt" ||
        no "the full-disk error does not name the result folder: $(cat "$T/mnt_out.txt")"
    [ "$(cat "$T/mnt_vcd_rc")" -eq 1 ] || no "--vcd on a full disk: exit $(cat "$T/mnt_vcd_rc")"
    [ "$(cat "$T/mnt_ls")" = "filler" ] ||
        no "left on the full disk: $(tr '\n' ' ' < "$T/mnt_ls")"
else
    skipped="$skipped full-tmpfs"
fi

# ---- train --resume before the first checkpoint: starts the run ----
cat > "$T/tiny.cfg" << 'EOF'
model: { arch = "cnn"; width = 1.0; };
data: { synthetic = 200; };
train: { epochs = 1; batch = 50; seed = 2; lr = 0.1; };
EOF
$Q train -c "$T/tiny.cfg" -o "$T/none/ck.bin" --resume > "$T/resume.txt" 2>&1 ||
    no "train --resume without a checkpoint: $(cat "$T/resume.txt")"
grep -q "no checkpoint .* yet: starting from the beginning" "$T/resume.txt" ||
    no "train --resume without a checkpoint said: $(cat "$T/resume.txt")"
[ -s "$T/none/ck.bin" ] || no "train --resume without a checkpoint wrote none"

[ -n "$skipped" ] && echo "test_cli_files.sh: skipped (not root):$skipped"
[ $fail -eq 0 ] && echo "test_cli_files.sh: ok"
exit $fail
