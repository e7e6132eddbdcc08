# tops_mm2.gp: achieved TOPS/mm2 vs bits, one curve per DRAM bandwidth, and
# the peak TOPS/mm2 of the iso-area chip. Reads dir.'/tops_mm2.dat';
# draws tops_mm2.png and tops_mm2.svg (variables as in speedup.gp).
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/tops_mm2.dat'
set key top left
set xlabel 'bits of weights and activations (inner layers)'
set ylabel 'TOPS/mm^2'
set grid ytics
set yrange [0:*]
set offsets 0.2, 0.2, 0, 0
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 960,600 font 'sans,11' } \
    else { set terminal svg size 960,600 font 'sans,11' }
    set output out.'/tops_mm2.'.t
    plot for [i=3:nbw+2] f using 0:i:xtic(1) with linespoints lw 2 pt 7 \
             title columnhead(i), \
         f using 0:2 with lines dt 2 lw 2 lc rgb 'black' title 'peak'
    unset output
}
