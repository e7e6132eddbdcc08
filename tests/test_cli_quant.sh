#!/bin/sh
# test_cli_quant.sh: end-to-end checks of `qarray quantize-tensor`, `levels`
# and `sawb-fit`: exact outputs on hand-computed inputs, and for every bad
# input one "qarray: ..." line on stderr, a non-zero exit and no output
# file. Run from the repository root; uses ./build/qarray.
Q=./build/qarray
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# mknpy FILE DESCR SHAPE FORTRAN PAYLOAD: a version 1.0 .npy file, header
# laid out as numpy writes it; PAYLOAD is a printf format of octal escapes.
mknpy() {
    dict="{'descr': '$2', 'fortran_order': $4, 'shape': $3, }"
    len=${#dict}
    pad=$(( (64 - (10 + len + 1) % 64) % 64 ))
    hlen=$((len + pad + 1))
    {
        printf '\223NUMPY\001\000'
        printf "\\$(printf '%o' $((hlen % 256)))\\$(printf '%o' $((hlen / 256)))"
        printf '%s' "$dict"
        printf "%${pad}s" ''
        printf '\n'
        printf "$5"
    } > "$1"
}

# float32 little-endian bytes
F0='\000\000\000\000'; F1='\000\000\200\077'; FM1='\000\000\200\277'
F2='\000\000\000\100'; F3='\000\000\100\100'; F05='\000\000\000\077'
F025='\000\000\200\076'; FM025='\000\000\200\276'; F7='\000\000\340\100'
FM2='\000\000\000\300'; F04='\315\314\314\076'; F26='\146\146\046\100'
F15='\000\000\300\077'; FM03='\232\231\231\276'; F01='\315\314\314\075'
F037='\024\256\275\076'; F08='\315\314\114\077'; F074='\244\160\075\077'

# expect_fail NAME OUTFILE CMD...: non-zero exit, one stderr line starting
# with "qarray: ", and OUTFILE not created
expect_fail() {
    name=$1 out=$2
    shift 2
    if "$@" > "$T/stdout" 2> "$T/stderr"; then
        fail "$name: exit 0"
        return
    fi
    [ "$(wc -l < "$T/stderr")" -eq 1 ] || fail "$name: stderr is not one line: $(cat "$T/stderr")"
    grep -q '^qarray: ' "$T/stderr" || fail "$name: message: $(cat "$T/stderr")"
    [ -e "$out" ] && fail "$name: output file left behind"
    ls "$T" | grep -q '\.tmp\.' && fail "$name: temporary file left behind"
    rm -f "$out"
    echo "ok: $name: $(cat "$T/stderr")"
}

# --- good inputs, exact outputs ---------------------------------------
# PACT, 2 bits, alpha 3: step 1, round half to even (1.5 -> 2)
mknpy "$T/x.npy" '<f4' '(6,)' False "$FM1$F0$F04$F15$F26$F7"
$Q quantize-tensor --method pact --bits 2 --alpha 3 -i "$T/x.npy" -o "$T/y.npy" \
    --codes "$T/c.npy" > "$T/out" || fail "pact: exit status"
mknpy "$T/want.npy" '<f4' '(6,)' False "$F0$F0$F0$F2$F3$F3"
cmp -s "$T/y.npy" "$T/want.npy" || fail "pact: values"
mknpy "$T/wantc.npy" '|u1' '(6,)' False '\000\000\000\002\003\003'
cmp -s "$T/c.npy" "$T/wantc.npy" || fail "pact: codes"
grep -q '^pact 2-bit unsigned: 6 values, alpha 3, scale 1, zero_point 0, codes |u1' "$T/out" \
    || fail "pact: summary: $(cat "$T/out")"

# APoT, 3 bits signed (sign + {0, 1/4, 1/2, 1}), alpha 1, shape (2, 3)
mknpy "$T/x.npy" '<f4' '(2, 3)' False "$FM2$FM03$F01$F037$F08$F074"
$Q quantize-tensor --method apot --bits 3 --signed --alpha 1 -i "$T/x.npy" \
    -o "$T/y.npy" --codes "$T/c.npy" > "$T/out" || fail "apot: exit status"
mknpy "$T/want.npy" '<f4' '(2, 3)' False "$FM1$FM025$F0$F025$F1$F05"
cmp -s "$T/y.npy" "$T/want.npy" || fail "apot: values"
mknpy "$T/wantc.npy" '|u1' '(2, 3)' False '\000\002\003\004\006\005'
cmp -s "$T/c.npy" "$T/wantc.npy" || fail "apot: codes (indices into the 7 levels)"

# every method runs on the same input and writes an output
for m in pact cgpact dorefa sawb apot pot uniform lloyd faq lsq; do
    rm -f "$T/y.npy"
    $Q quantize-tensor --method $m --bits 4 -i "$T/x.npy" -o "$T/y.npy" > /dev/null \
        || fail "$m: exit status"
    [ -s "$T/y.npy" ] || fail "$m: no output"
done
$Q quantize-tensor --method apot --bits 4 --signed --wn -i "$T/x.npy" -o "$T/y.npy" \
    > /dev/null || fail "apot --wn"

# levels: 4-bit unsigned APoT has 16 levels, the smallest positive 1/48
$Q levels --method apot --bits 4 > "$T/lv" || fail "levels: exit status"
[ "$(grep -vc '^#' "$T/lv")" -eq 16 ] || fail "levels: count"
grep -qx '1 0.020833334' "$T/lv" || fail "levels: 1/48"
$Q levels --method apot --bits 3 | awk '!/^#/ {printf "%s ", $2}' > "$T/lv3"
[ "$(cat "$T/lv3")" = "0 0.100000001 0.200000003 0.300000012 0.400000006 0.600000024 0.800000012 1 " ] \
    || fail "levels: 3-bit set: $(cat "$T/lv3")"
[ "$($Q levels --method pot --bits 3 --signed | grep -vc '^#')" -eq 7 ] || fail "levels: pot"

$Q sawb-fit --samples 20000 > "$T/fit" || fail "sawb-fit: exit status"
grep -q '^2  *[0-9.]*  *[0-9.]*  *3.120  *2.064' "$T/fit" || fail "sawb-fit: table"

for c in quantize-tensor levels sawb-fit; do
    $Q $c --help | grep -q '^usage: qarray '"$c" || fail "$c --help"
done

# Lloyd levels fitted to data scaled by alpha = 1e36 span 1e-36: the
# bucket scale of the level table is no float. It segfaulted; now the
# levels are searched and the values come back.
mknpy "$T/l.npy" '<f4' '(6,)' False "$FM1$F0$F04$F15$F26$F7"
$Q quantize-tensor --method lloyd --bits 4 --alpha 1e36 -i "$T/l.npy" -o "$T/ly.npy" \
    > "$T/out" 2>&1 || fail "lloyd alpha 1e36: $(cat "$T/out")"
grep -q '^lloyd 4-bit unsigned: 6 values, alpha 1e+36' "$T/out" || fail "lloyd alpha 1e36: $(cat "$T/out")"
# the largest alpha the option documents is accepted by the quantizer too
$Q quantize-tensor --method uniform --bits 4 --alpha 3e38 -i "$T/l.npy" -o "$T/ly.npy" \
    > "$T/out" 2>&1 || fail "alpha 3e38: $(cat "$T/out")"

# --- bad inputs ---------------------------------------------------------
O="$T/out.npy"
expect_fail "unknown method" "$O" $Q quantize-tensor --method foo --bits 4 -i "$T/x.npy" -o "$O"
expect_fail "bits 9" "$O" $Q quantize-tensor --method apot --bits 9 -i "$T/x.npy" -o "$O"
expect_fail "bits 0" "$O" $Q quantize-tensor --method pact --bits 0 -i "$T/x.npy" -o "$O"
expect_fail "bits 12" "$O" $Q quantize-tensor --method uniform --bits 12 -i "$T/x.npy" -o "$O"
expect_fail "bits text" "$O" $Q quantize-tensor --method pact --bits four -i "$T/x.npy" -o "$O"
expect_fail "apot 6 unsigned" "$O" $Q quantize-tensor --method apot --bits 6 -i "$T/x.npy" -o "$O"
expect_fail "sawb 6 bits" "$O" $Q quantize-tensor --method sawb --bits 6 -i "$T/x.npy" -o "$O"
expect_fail "alpha 0" "$O" $Q quantize-tensor --method pact --bits 4 --alpha 0 -i "$T/x.npy" -o "$O"
expect_fail "alpha -1" "$O" $Q quantize-tensor --method apot --bits 4 --alpha -1 -i "$T/x.npy" -o "$O"
expect_fail "alpha nan" "$O" $Q quantize-tensor --method lsq --bits 4 --alpha nan -i "$T/x.npy" -o "$O"
expect_fail "alpha for sawb" "$O" $Q quantize-tensor --method sawb --bits 4 --alpha 1 -i "$T/x.npy" -o "$O"
# alpha is a float: values that would become inf or 0 are refused by range
expect_fail "alpha 1e39" "$O" $Q quantize-tensor --method pact --bits 4 --alpha 1e39 -i "$T/x.npy" -o "$O"
grep -q "'1e39' is not a number in 1e-30..3e+38" "$T/stderr" || fail "alpha 1e39: message"
expect_fail "alpha 1e-46" "$O" $Q quantize-tensor --method pact --bits 4 --alpha 1e-46 -i "$T/x.npy" -o "$O"
# NaN in the data: the message names the file
FNAN='\000\000\300\177'
mknpy "$T/nan.npy" '<f4' '(3,)' False "$F0$FNAN$F1"
expect_fail "NaN input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/nan.npy" -o "$O"
grep -q "^qarray: $T/nan.npy: data: element 1 is NaN" "$T/stderr" || fail "NaN input: message"
expect_fail "signed pact" "$O" $Q quantize-tensor --method pact --bits 4 --signed -i "$T/x.npy" -o "$O"
expect_fail "wn for pact" "$O" $Q quantize-tensor --method pact --bits 4 --wn -i "$T/x.npy" -o "$O"
expect_fail "missing -o" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/x.npy"
expect_fail "missing --method" "$O" $Q quantize-tensor --bits 4 -i "$T/x.npy" -o "$O"
expect_fail "unknown flag" "$O" $Q quantize-tensor --method pact --bits 4 --frob -i "$T/x.npy" -o "$O"
expect_fail "no such input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/none.npy" -o "$O"
mknpy "$T/f8.npy" '<f8' '(2,)' False "$F0$F0$F0$F0"
expect_fail "float64 input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/f8.npy" -o "$O"
grep -q "descr: dtype '<f8' is not supported" "$T/stderr" || fail "float64: message"
mknpy "$T/i4.npy" '<i4' '(2,)' False "$F0$F0"
expect_fail "int32 input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/i4.npy" -o "$O"
mknpy "$T/be.npy" '>f4' '(2,)' False "$F0$F0"
expect_fail "big-endian input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/be.npy" -o "$O"
mknpy "$T/tr.npy" '<f4' '(4,)' False "$F0$F0$F0"
expect_fail "truncated input" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/tr.npy" -o "$O"
grep -q 'data: truncated' "$T/stderr" || fail "truncated: message"
mknpy "$T/fo.npy" '<f4' '(2, 2)' True "$F0$F0$F0$F0"
expect_fail "fortran order" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/fo.npy" -o "$O"
mknpy "$T/empty.npy" '<f4' '(0,)' False ""
expect_fail "empty shape" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/empty.npy" -o "$O"
printf 'not an npy file' > "$T/txt.npy"
expect_fail "not npy" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/txt.npy" -o "$O"
head -c 9 "$T/x.npy" > "$T/short.npy"
expect_fail "cut header" "$O" $Q quantize-tensor --method pact --bits 4 -i "$T/short.npy" -o "$O"
expect_fail "output folder missing" "$T/no/dir/o.npy" \
    $Q quantize-tensor --method pact --bits 4 -i "$T/x.npy" -o "$T/no/dir/o.npy"
expect_fail "codes folder missing" "$O" \
    $Q quantize-tensor --method pact --bits 4 -i "$T/x.npy" -o "$O" --codes "$T/no/c.npy"
expect_fail "levels lloyd" "$O" $Q levels --method lloyd --bits 4
expect_fail "levels apot 7 signed" "$O" $Q levels --method apot --bits 7 --signed
expect_fail "levels no bits" "$O" $Q levels --method apot
expect_fail "sawb-fit samples" "$O" $Q sawb-fit --samples 10

if [ "$fails" -ne 0 ]; then
    echo "test_cli_quant.sh: $fails failure(s)"
    exit 1
fi
echo "test_cli_quant.sh: all passed"
