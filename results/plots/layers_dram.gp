# layers_dram.gp: DRAM traffic of each layer at each precision (MB), where
# the super-linear speedup comes from: layers whose tensors fit on chip at
# low precision stop crossing DRAM. Reads dir.'/layers_dram.dat' (columns
# idx layer Xb ...); draws layers_dram.png and layers_dram.svg.
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
f = dir.'/layers_dram.dat'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
set ylabel 'DRAM traffic (MB)'
set xtics rotate by 90 right font ',7'
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 1400,600 font 'sans,10' } \
    else { set terminal svg size 1400,600 font 'sans,10' }
    set output out.'/layers_dram.'.t
    plot for [i=3:nb+2] f using i:xtic(2) title columnhead(i).'its'
    unset output
}
