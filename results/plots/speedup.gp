# speedup.gp: speedup over the chip at 16 bits vs bits, one curve per DRAM
# bandwidth, and the linear reference (the peak-MAC gain), as in PACT
# Fig. 6c. Reads dir.'/speedup.dat' (qarray plot writes it and sets dir,
# nb = bits values, nbw = bandwidths); draws speedup.png and speedup.svg.
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/speedup.dat'
set key top left
set xlabel 'bits of weights and activations (inner layers)'
set ylabel 'speedup over 16 bits'
set grid ytics
set yrange [0:*]
set offsets 0.2, 0.2, 0, 0
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 960,600 font 'sans,11' } \
    else { set terminal svg size 960,600 font 'sans,11' }
    set output out.'/speedup.'.t
    plot for [i=3:nbw+2] f using 0:i:xtic(1) with linespoints lw 2 pt 7 \
             title columnhead(i), \
         f using 0:2 with lines dt 2 lw 2 lc rgb 'black' \
             title 'linear (peak MACs)'
    unset output
}
