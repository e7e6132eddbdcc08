# energy.gp: where the energy of one image goes, per precision (bars) and
# DRAM bandwidth (panels): MAC, register hops in the array, scratchpad,
# DRAM and leakage, stacked. Reads dir.'/energy.dat' (one block per
# bandwidth, in the order of bws: rows bits mac array sram dram leak, uJ
# per image); draws energy.png and energy.svg. nbw: the number of
# bandwidths; bws: their labels, space-separated; caption: the title.
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/energy.dat'
set datafile missing 'NaN'
# One y scale for every panel: the tallest stack of the file.
stats f using ($2 + $3 + $4 + $5 + $6) nooutput
ymax = STATS_max * 1.08
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set yrange [0:ymax]
set xlabel 'bits (W/A, inner layers)'
set ylabel 'energy per image (uJ)'
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 1200,600 font 'sans,11' } \
    else { set terminal svg size 1200,600 font 'sans,11' }
    set output out.'/energy.'.t
    set multiplot layout 1,nbw title caption noenhanced
    do for [i=1:nbw] {
        set title word(bws, i) noenhanced
        if (i == 1) { set key top right } else { unset key }
        plot f index (i - 1) using 2:xtic(1) lc rgb '#3b6ea8' title 'MAC', \
             '' index (i - 1) using 3 lc rgb '#8fb8de' title 'array', \
             '' index (i - 1) using 4 lc rgb '#d9822b' title 'scratchpad', \
             '' index (i - 1) using 5 lc rgb '#a23b3b' title 'DRAM', \
             '' index (i - 1) using 6 lc rgb '#7f7f7f' title 'leakage'
        unset ylabel
    }
    unset multiplot
    set ylabel 'energy per image (uJ)'
    unset output
}
