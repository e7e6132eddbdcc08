#!/bin/sh
# End-to-end tests of `qarray sweep`, `qarray merge` and `qarray plot` on
# the tiny study (analytic engine): the table and the plots (PNG sizes read
# from the PNG header, the rows of the data files gnuplot reads), the
# study database read with the sqlite3 shell, resume, shards merged,
# points that do not fit, and bad input: one line "qarray: ..." on stderr,
# non-zero exit, no partial output. Run from the repository root; QARRAY
# overrides the binary.
Q=${QARRAY:-build/qarray}
T=$(mktemp -d "${TMPDIR:-/tmp}/qa_cli_sweep.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# png_size FILE: "WIDTHxHEIGHT" from the IHDR chunk (bytes 16..23).
png_size() {
    od -An -tu1 -j16 -N8 "$1" |
        awk '{ printf "%dx%d", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8 }'
}

# expect_error CODE MESSAGE ARGS...: exit CODE, stderr = MESSAGE
expect_error() {
    code=$1
    want=$2
    shift 2
    "$Q" "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$code" ] || fail "qarray $*: exit $got, want $code"
    [ "$(cat "$T/err")" = "$want" ] ||
        fail "qarray $*: stderr '$(cat "$T/err")', want '$want'"
}

for c in sweep merge plot; do
    "$Q" $c --help | grep -q "^usage: qarray $c" || fail "$c --help"
done

# The study, two jobs: table, layer CSVs, plots.
S=tests/studies/tiny.cfg
"$Q" sweep -s $S -o "$T/run" -j 2 >"$T/out" 2>"$T/err" || fail "sweep: $(cat "$T/err")"
grep -q '^tiny: 32 points (32 run, 0 already done) in .* s, -j 2 -> ' "$T/out" ||
    fail "sweep summary: $(head -n 1 "$T/out")"
[ "$(wc -l <"$T/run/points.csv")" -eq 33 ] || fail "points.csv rows"
[ "$(ls "$T/run/layers" | wc -l)" -eq 32 ] || fail "layer CSVs"
head -n 1 "$T/run/points.csv" | grep -q '^point,workload,engine,batch,.*,bits,.*,energy_uj,e_mac_uj,.*,speedup,baseline_energy_uj,energy_gain,layers_csv$' ||
    fail "points.csv header"
sed -n 2p "$T/run/points.csv" | grep -q '^0,resnet20,analytic,1,2,65536,8x8,ws,linear,cols,unlimited,8,16/16,16,16,16,248350,' ||
    fail "points.csv row 0: $(sed -n 2p "$T/run/points.csv")"
for p in speedup:960x600 area:960x600 tops_mm2:960x600 \
         layers_cycles:1400x1000 layers_dram:1400x600 energy:1200x600 \
         energy_bits:960x600; do
    name=${p%%:*}
    size=${p#*:}
    [ -s "$T/run/plots/$name.png" ] || { fail "$name.png missing"; continue; }
    [ "$(png_size "$T/run/plots/$name.png")" = "$size" ] ||
        fail "$name.png is $(png_size "$T/run/plots/$name.png"), want $size"
    grep -q '<svg' "$T/run/plots/$name.svg" || fail "$name.svg"
done
# Data files: header + one row per bits value (or layer, or bit width).
[ "$(sed -n 1p "$T/run/plots/speedup.dat")" = "bits linear unlimited 16GB/s" ] ||
    fail "speedup.dat header"
[ "$(wc -l <"$T/run/plots/speedup.dat")" -eq 5 ] || fail "speedup.dat rows"
[ "$(sed -n 2p "$T/run/plots/speedup.dat")" = "16 1 1 1" ] || fail "speedup.dat 16-bit row"
sed -n 5p "$T/run/plots/speedup.dat" | grep -q '^2 8 ' || fail "speedup.dat 2-bit row"
[ "$(wc -l <"$T/run/plots/tops_mm2.dat")" -eq 5 ] || fail "tops_mm2.dat rows"
[ "$(wc -l <"$T/run/plots/area.dat")" -eq 16 ] || fail "area.dat rows (16..2 bits)"
[ "$(wc -l <"$T/run/plots/layers_cycles.dat")" -eq 33 ] || fail "layers_cycles.dat rows"
[ "$(wc -l <"$T/run/plots/layers_dram.dat")" -eq 33 ] || fail "layers_dram.dat rows"
[ "$(sed -n 1p "$T/run/plots/layers_dram.dat")" = "idx 16b 8b 4b 2b" ] ||
    fail "layers_dram.dat header"
# Energy: one block per bandwidth (a comment line, then bits and five
# components per image), and per image vs bits beside the references.
[ "$(grep -c '^#' "$T/run/plots/energy.dat")" -eq 2 ] || fail "energy.dat blocks"
[ "$(grep -c '^[0-9]' "$T/run/plots/energy.dat")" -eq 8 ] || fail "energy.dat rows"
awk '/^[0-9]/ && NF != 6 { bad = 1 } END { exit bad }' "$T/run/plots/energy.dat" ||
    fail "energy.dat: a row without 6 columns"
[ "$(sed -n 1p "$T/run/plots/energy_bits.dat")" = "bits quadratic MAC MAC_quadratic unlimited 16GB/s" ] ||
    fail "energy_bits.dat header"
[ "$(wc -l <"$T/run/plots/energy_bits.dat")" -eq 5 ] || fail "energy_bits.dat rows"
[ "$(sed -n 3p "$T/run/plots/layer_names.gp")" = 'layer_name[1] = "conv1"' ] ||
    fail "layer_names.gp: $(sed -n 3p "$T/run/plots/layer_names.gp")"
# Each figure's title: the chip and the values the figure fixes.
grep -q '<text>tiny: resnet20, analytic engine, batch 4, first/last layers 8 bits</text>' \
    "$T/run/plots/speedup.svg" || fail "speedup.svg title"
grep -q '<text>tiny: resnet20, analytic engine, batch 4, 16 GB/s DRAM, first/last layers 8 bits</text>' \
    "$T/run/plots/layers_dram.svg" || fail "layers_dram.svg title"
ls -a "$T/run/plots" | grep -q 'tmp' && fail "a temporary folder of gnuplot left in plots/"

# qarray plot alone redraws the same figures.
rm "$T/run/plots/speedup.png"
"$Q" plot -s $S -o "$T/run" >/dev/null 2>"$T/err" || fail "plot: $(cat "$T/err")"
[ "$(png_size "$T/run/plots/speedup.png")" = 960x600 ] || fail "plot redraw"

# The database holds the same rows: the sqlite3 shell's CSV of the key,
# integer and text columns of the points table is those of points.csv.
sqlite3 -header -csv "$T/run/points.db" "SELECT point, workload, engine, batch,
    cores, sram_bytes, array, dataflow, rule, placement, dram_gbps, first_last,
    bits, w_bits, a_bits, first_last_bits, cycles, dram_bytes, macs, base_cycles,
    baseline_cycles, layers_csv FROM points ORDER BY point" | tr -d '\r' >"$T/db.csv"
# The same columns of points.csv, found by name in its header.
awk -F, -v OFS=, 'NR == 1 {
        n = split("point workload engine batch cores sram_bytes array dataflow rule placement dram_gbps first_last bits w_bits a_bits first_last_bits cycles dram_bytes macs base_cycles baseline_cycles layers_csv", want, " ")
        for (i = 1; i <= NF; i++) col[$i] = i
    }
    { line = $(col[want[1]]); for (k = 2; k <= n; k++) line = line OFS $(col[want[k]]); print line }' \
    "$T/run/points.csv" >"$T/csv.x"
cmp -s "$T/csv.x" "$T/db.csv" || fail "points table != points.csv (integers and text)"
[ "$(wc -l <"$T/db.csv")" -eq 33 ] || fail "points table rows"
[ "$(sqlite3 "$T/run/points.db" "SELECT count(*) FROM layers")" -eq $((32 * 32)) ] ||
    fail "layers table rows"
[ "$(sqlite3 "$T/run/points.db" "SELECT value FROM provenance WHERE key = 'study_file'")" = "$S" ] ||
    fail "provenance study_file"
[ "$(sqlite3 "$T/run/points.db" "PRAGMA journal_mode")" = wal ] || fail "journal_mode"

# Resume: nothing to run, the same table.
cp "$T/run/points.csv" "$T/first.csv"
"$Q" sweep -s $S -o "$T/run" -j 2 --resume --no-plot >"$T/out" 2>&1 || fail "resume"
grep -q '32 points (0 run, 32 already done)' "$T/out" || fail "resume ran points"
cmp -s "$T/first.csv" "$T/run/points.csv" || fail "resume changed points.csv"

# Resume after damage: a damaged row is run again, never copied.
sqlite3 "$T/run/points.db" "UPDATE points SET cycles = 'abc' WHERE point = 3;
    UPDATE layers SET reason = printf('%.*c', 1000000, 'x') WHERE point = 9 AND idx = 2;
    DELETE FROM points WHERE point = 30" || fail "sqlite3 damage"
"$Q" sweep -s $S -o "$T/run" -j 2 --resume --no-plot >"$T/out" 2>&1 || fail "resume after damage"
grep -q '32 points (3 run, 29 already done)' "$T/out" || fail "resume after damage: $(cat "$T/out")"
grep -q "^tiny: 2 rows of $T/run/points.db did not validate (damaged, or of another study, build or --no-layers setting) and were run again\$" "$T/out" ||
    fail "resume after damage: no line on the rows run again: $(cat "$T/out")"
cmp -s "$T/first.csv" "$T/run/points.csv" || fail "resume after damage changed points.csv"

# --no-layers: the points only (no layer rows, no layer CSVs), the same
# table but for the empty layers_csv cells; figures but the layer ones.
"$Q" sweep -s $S -o "$T/nl" -j 2 --no-layers >"$T/out" 2>&1 || fail "--no-layers: $(cat "$T/out")"
[ "$(sqlite3 "$T/nl/points.db" "SELECT count(*) FROM layers")" -eq 0 ] || fail "--no-layers: layer rows"
[ ! -e "$T/nl/layers" ] || fail "--no-layers: layer CSVs"
sed 's/,layers\/p[0-9]*\.csv$/,/' "$T/first.csv" | cmp -s - "$T/nl/points.csv" ||
    fail "--no-layers: points.csv differs beyond layers_csv"
[ -s "$T/nl/plots/speedup.png" ] && [ ! -e "$T/nl/plots/layers_dram.png" ] ||
    fail "--no-layers: figures"

# Shards, each its own process, then merge == the one-shot run.
"$Q" sweep -s $S -o "$T/sh" --shard 0/2 -j 1 >/dev/null 2>&1 || fail "shard 0/2"
"$Q" sweep -s $S -o "$T/sh" --shard 1/2 -j 1 >/dev/null 2>&1 || fail "shard 1/2"
[ ! -e "$T/sh/points.csv" ] || fail "a shard wrote points.csv"
[ ! -e "$T/sh/layers" ] || fail "a shard wrote layer CSVs"
[ -s "$T/sh/points.shard-0-of-2.csv" ] || fail "shard 0/2 table"
"$Q" merge -s $S -o "$T/sh" --no-plot "$T/sh/points.shard-1-of-2.db" \
    "$T/sh/points.shard-0-of-2.db" >"$T/out" 2>"$T/err" || fail "merge: $(cat "$T/err")"
[ "$(cat "$T/out")" = "tiny: 32 points from 2 databases -> $T/sh/points.db, $T/sh/points.csv" ] ||
    fail "merge output: $(cat "$T/out")"
cmp -s "$T/first.csv" "$T/sh/points.csv" || fail "merged shards != one run"
diff -r "$T/run/layers" "$T/sh/layers" >/dev/null || fail "merged layer CSVs != one run"

# Bad input: exact message, no output.
expect_error 1 "qarray: tests/bad/study_unknown.cfg:3: bitz: unknown key (qarray sweep --help lists them)" \
    sweep -s tests/bad/study_unknown.cfg -o "$T/bad"
expect_error 1 "qarray: tests/bad/study_empty.cfg:2: bits: empty list: give at least one value" \
    sweep -s tests/bad/study_empty.cfg -o "$T/bad"
expect_error 1 "qarray: tests/bad/study_bw.cfg:2: dram_gbps: expected a number of GB/s or \"unlimited\", got \"fast\"" \
    sweep -s tests/bad/study_bw.cfg -o "$T/bad"
expect_error 1 "qarray: tests/bad/study_workload.cfg:2: workload: \"resnet51\" is not a built-in network (resnet50, resnet50v1, resnet50preact, resnet18, resnet34, resnet20), a .csv or an .onnx" \
    sweep -s tests/bad/study_workload.cfg -o "$T/bad"
expect_error 2 "qarray: --shards: one shard is the whole study, whose database is already points.db: nothing to merge" \
    merge -s $S -o "$T/m1" --shards 1
[ ! -e "$T/m1" ] || fail "merge --shards 1 made its folder"
expect_error 2 "qarray: --shard: '2/2' is not I/N with 0 <= I < N" \
    sweep -s $S -o "$T/bad" --shard 2/2
expect_error 2 "qarray: --shard: '0/0' is not I/N with 0 <= I < N" \
    sweep -s $S -o "$T/bad" --shard 0/0
expect_error 2 "qarray: --shard: '1/x' is not I/N with 0 <= I < N" \
    sweep -s $S -o "$T/bad" --shard 1/x
expect_error 1 "qarray: --shard: 64 shards of a study of 32 points: at most one shard per point" \
    sweep -s $S -o "$T/bad" --shard 3/64
expect_error 2 "qarray: --engine: 'fast' is not one of analytic, systemc" \
    sweep -s $S -o "$T/bad" --engine fast
[ ! -e "$T/bad" ] || fail "bad input created $T/bad"

# Points that do not fit are results: the sweep goes on, says how many,
# and the table has the status columns (here every point: none, or none's
# 16-bit baseline, fits).
sed 's/^arch = .*/&\nsram_bytes = 2048;/' $S >"$T/small.cfg"
"$Q" sweep -s "$T/small.cfg" -o "$T/small" -j 2 >"$T/out" 2>"$T/err" ||
    fail "unmappable points: exit $?: $(cat "$T/err")"
grep -q "^tiny: 32 points do not fit the chip, or the runs their speedups are over do not (status and reason in $T/small/points.csv)\$" "$T/out" ||
    fail "unmappable points: $(cat "$T/out")"
head -n 1 "$T/small/points.csv" | grep -q ',layers_csv,status,infeasible_layer,reason$' ||
    fail "unmappable points: header"
# Row 0: its key, every result cell empty, then the status columns.
sed -n 2p "$T/small/points.csv" | grep -q '^0,resnet20,analytic,1,2,2048,8x8,ws,linear,cols,unlimited,8,16/16,,*infeasible,layer1.0.conv1,does not fit: the smallest tile (one output row of one filter) needs more than the 2048 bytes of scratchpad per core$' ||
    fail "unmappable points: row 0: $(sed -n 2p "$T/small/points.csv")"
[ "$(awk -F, 'NR <= 2 { print NF }' "$T/small/points.csv" | uniq | wc -l)" -eq 1 ] ||
    fail "unmappable points: row 0 and the header have different numbers of cells"
# The 16-bit points do not fit; some narrower ones do, without a baseline.
[ "$(sqlite3 "$T/small/points.db" "SELECT count(*) FROM points WHERE status = 'infeasible' AND cycles IS NULL")" -eq 24 ] ||
    fail "unmappable points: infeasible rows"
[ "$(sqlite3 "$T/small/points.db" "SELECT count(*) FROM points WHERE status = 'baseline_infeasible' AND cycles > 0 AND speedup IS NULL")" -eq 8 ] ||
    fail "unmappable points: rows without a baseline"
ls "$T/small" | grep -q tmp && fail "temp files left"

# Merge refuses a shard given twice, a missing shard, and a file that is
# not a study database; no table.
"$Q" merge -s $S -o "$T/m" "$T/sh/points.shard-0-of-2.db" \
    "$T/sh/points.shard-0-of-2.db" >/dev/null 2>"$T/err" && fail "merge dup: exit 0"
[ "$(cat "$T/err")" = "qarray: $T/sh/points.shard-0-of-2.db: point: point 0 is also in $T/sh/points.shard-0-of-2.db" ] ||
    fail "merge dup: '$(cat "$T/err")'"
expect_error 1 "qarray: tests/studies/tiny.cfg: point: 16 of 32 points missing, the first is point 0" \
    merge -s $S -o "$T/m" "$T/sh/points.shard-1-of-2.db"
expect_error 1 "qarray: $T/sh/points.shard-0-of-2.csv: not a qarray study database (file is not a database): use a new output folder or remove it" \
    merge -s $S -o "$T/m" "$T/sh/points.shard-0-of-2.csv"
[ ! -e "$T/m/points.csv" ] || fail "merge wrote a table after an error"
[ ! -e "$T/m/points.db" ] || fail "merge wrote a database after an error"
[ ! -e "$T/m" ] || fail "a failed merge left the folder it made: $(ls -A "$T/m")"
# Into a new nested path every folder it made goes (a, a/b, a/b/c), and
# into an existing folder nothing of it does.
"$Q" merge -s $S -o "$T/na/b/c" "$T/sh/points.shard-1-of-2.db" >/dev/null 2>&1 &&
    fail "merge nested: exit 0"
[ ! -e "$T/na" ] || fail "a failed merge left folders it made: $(find "$T/na")"
mkdir -p "$T/keep/sub"
echo mine > "$T/keep/sub/note.txt"
"$Q" merge -s $S -o "$T/keep/sub/x/y" "$T/sh/points.shard-1-of-2.db" >/dev/null 2>&1 &&
    fail "merge into keep: exit 0"
[ "$(cd "$T/keep" && find . | sort | tr '\n' ' ')" = ". ./sub ./sub/note.txt " ] ||
    fail "a failed merge changed an existing folder: $(find "$T/keep")"

# A point without layers now (it no longer fits, or --no-layers) keeps no
# layer CSV from an earlier run of the same folder: it would describe the
# other chip.
cp arch/tiny.cfg "$T/stale_arch.cfg"
sed "s#arch/tiny.cfg#$T/stale_arch.cfg#" $S >"$T/stale.cfg"
"$Q" sweep -s "$T/stale.cfg" -o "$T/stale" --no-plot -j 2 >/dev/null 2>&1 || fail "stale: first sweep"
[ "$(ls "$T/stale/layers" | wc -l)" -eq 32 ] || fail "stale: layer CSVs of the first sweep"
sed -i 's/"64 KiB"/"2 KiB"/' "$T/stale_arch.cfg"
"$Q" sweep -s "$T/stale.cfg" -o "$T/stale" --no-plot -j 2 --resume >/dev/null 2>&1 || fail "stale: 2 KiB sweep"
[ "$(ls "$T/stale/layers" | wc -l)" -eq 8 ] ||
    fail "stale: $(ls "$T/stale/layers" | wc -l) layer CSVs, want the 8 points with rows of their own"
[ ! -e "$T/stale/layers/p000000.csv" ] || fail "stale: point 0 does not fit, its old layer CSV is kept"
"$Q" sweep -s "$T/stale.cfg" -o "$T/stale" --no-plot -j 2 --resume --no-layers >/dev/null 2>&1 ||
    fail "stale: --no-layers sweep"
[ "$(ls "$T/stale/layers" | wc -l)" -eq 0 ] || fail "stale: --no-layers keeps the earlier layer CSVs"
# A study that shrank (batch 1 only: 16 of 32 points) keeps no layer CSV
# of the point ids it no longer has.
sed 's/batch = \[1, 4\];/batch = [1];/; s/batch = 4;/batch = 1;/' $S >"$T/shrunk.cfg"
"$Q" sweep -s $S -o "$T/shrink" --no-plot -j 2 >/dev/null 2>&1 || fail "shrink: first sweep"
"$Q" sweep -s "$T/shrunk.cfg" -o "$T/shrink" --no-plot -j 2 >/dev/null 2>&1 || fail "shrink: second sweep"
[ "$(ls "$T/shrink/layers" | wc -l)" -eq 16 ] ||
    fail "shrink: $(ls "$T/shrink/layers" | wc -l) layer CSVs, want 16"
[ -e "$T/shrink/layers/p000015.csv" ] && [ ! -e "$T/shrink/layers/p000016.csv" ] ||
    fail "shrink: the wrong layer CSVs were kept"

# One writer per database: while another process holds the database
# (util-linux flock stands in for a running sweep), a sweep into the same
# folder stops before it writes anything.
mkdir -p "$T/locked"
flock "$T/locked/points.db" "$Q" sweep -s $S -o "$T/locked" --no-plot -j 1 \
    >/dev/null 2>"$T/err" && fail "locked: exit 0"
[ "$(cat "$T/err")" = "qarray: $T/locked/points.db: another qarray sweep or merge is writing this database: wait for it to end, or give another output folder" ] ||
    fail "locked: '$(cat "$T/err")'"
[ ! -e "$T/locked/points.csv" ] || fail "locked: a table was written"
# A merge holds its output's lock until the merged file is renamed over
# it: a sweep started meanwhile stops, and neither run damages the other's
# database (strace delays the merge's rename; skipped without strace).
if command -v strace >/dev/null 2>&1; then
    rm -f "$T/sh/points.db"*
    strace -f -o /dev/null -e trace=rename -e inject=rename:delay_enter=5000000:when=1 \
        "$Q" merge -s $S -o "$T/sh" --no-plot "$T/sh/points.shard-0-of-2.db" \
        "$T/sh/points.shard-1-of-2.db" >/dev/null 2>"$T/merr" &
    mpid=$!
    i=0 # the merge's temporary database: it holds the lock by then
    while [ $i -lt 100 ] && ! ls "$T/sh" | grep -q 'points.db.tmp'; do
        sleep 0.1
        i=$((i + 1))
    done
    "$Q" sweep -s $S -o "$T/sh" --no-plot -j 1 >/dev/null 2>"$T/err" &&
        fail "sweep during a merge: exit 0"
    [ "$(cat "$T/err")" = "qarray: $T/sh/points.db: another qarray sweep or merge is writing this database: wait for it to end, or give another output folder" ] ||
        fail "sweep during a merge: '$(cat "$T/err")'"
    wait $mpid || fail "merge beside a refused sweep: $(cat "$T/merr")"
    [ "$(sqlite3 "$T/sh/points.db" "PRAGMA integrity_check; SELECT count(*) FROM points")" = "ok
32" ] || fail "merge beside a refused sweep: the database is damaged"
fi

[ "$fails" -eq 0 ] && echo "test_cli_sweep: ok"
[ "$fails" -eq 0 ]
