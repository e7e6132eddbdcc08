#!/bin/sh
# The synthesized MAC data cannot go stale: Yosys re-synthesizes the fixed
# 4-bit MAC of models/rtl with the script that made models/rtl/mac_area.csv,
# and the row must equal the committed one byte for byte (the flow is
# deterministic). If the RTL or the script changed, rerun
# models/rtl/synth/mac_area.sh and copy the rows into models/area_synth.c
# (tests/test_area.c checks that the two agree). Run from the repository root.
got=$(models/rtl/synth/mac_area.sh fixed 4) || { echo "FAIL: mac_area.sh fixed 4"; exit 1; }
want=$(sed -n '1p; /^fixed,4,/p' models/rtl/mac_area.csv)
if [ "$got" != "$want" ]; then
    echo "FAIL: re-synthesized fixed 4-bit MAC differs from models/rtl/mac_area.csv"
    echo "  committed: $(echo "$want" | tail -n 1)"
    echo "  now:       $(echo "$got" | tail -n 1)"
    echo "  ($(yosys -V); the data were made with Yosys 0.23)"
    exit 1
fi
echo "rtl synth: fixed 4-bit MAC re-synthesized, equal to models/rtl/mac_area.csv: $(echo "$got" | tail -n 1)"
