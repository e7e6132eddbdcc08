# layers_dram.gp: DRAM traffic of each layer at each precision (MB), where
# the super-linear speedup comes from: layers whose tensors fit on chip at
# low precision stop crossing DRAM. Reads dir.'/layers_dram.dat' (columns
# idx Xb ...) and the names of the layers from dir.'/layer_names.gp'
# (layer_name[idx + 1], gnuplot strings: a name may hold any character);
# draws layers_dram.png and layers_dram.svg.
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/layers_dram.dat'
load dir.'/layer_names.gp'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
set ylabel 'DRAM traffic (MB)'
set xtics rotate by 90 right font ',7' noenhanced
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 1400,600 font 'sans,10' } \
    else { set terminal svg size 1400,600 font 'sans,10' }
    set output out.'/layers_dram.'.t
    plot for [i=2:nb+1] f using i:xtic(layer_name[int($1) + 1]) \
         title columnhead(i).'its'
    unset output
}
