# layers_cycles.gp: per-layer cycles at each precision, stacked: array (or
# vector unit) compute cycles and the rest of the layer's time (waiting for
# DRAM, fill and drain). One panel per precision. Reads
# dir.'/layers_cycles.dat' (columns idx compute_Xb other_Xb ...); draws
# layers_cycles.png and layers_cycles.svg. bits: the precisions' labels,
# space-separated; caption: the page title.
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/layers_cycles.dat'
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.8
set key top right
set grid ytics
set ylabel 'cycles'
set format y '%.1s%c'
set xlabel 'layer (idx column of layers_cycles.dat; names in layer_names.gp)' noenhanced
set xrange [-1:*]
set xtics 5
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 1400,1000 font 'sans,10' } \
    else { set terminal svg size 1400,1000 font 'sans,10' }
    set output out.'/layers_cycles.'.t
    set multiplot layout nb,1 title caption noenhanced
    do for [i=1:nb] {
        set title 'W/A '.word(bits, i).' bits'
        plot f using 2*i lc rgb '#3b6ea8' title 'compute', \
             '' using 1+2*i lc rgb '#d9822b' title 'other (DRAM, fill, drain)'
    }
    unset multiplot
    unset output
}
