# energy_bits.gp: energy of one image vs bits, one curve per DRAM
# bandwidth, and the MACs alone, each beside its quadratic reference (its
# 16-bit energy x (w a / 256); the chip's is the first bandwidth's): how
# far the chip and the MAC are from "energy scales down quadratically with
# precision". Reads dir.'/energy_bits.dat' (bits quadratic MAC
# MAC_quadratic <one column per bandwidth>, uJ per image); draws
# energy_bits.png and energy_bits.svg.
set datafile columnheaders
set datafile missing 'NaN'
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/energy_bits.dat'
set key top right
set xlabel 'bits of weights and activations (inner layers)'
set ylabel 'energy per image (uJ)'
set logscale y 10
set grid ytics mytics
set offsets 0.2, 0.2, 0, 0
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 960,600 font 'sans,11' } \
    else { set terminal svg size 960,600 font 'sans,11' }
    set output out.'/energy_bits.'.t
    plot for [i=5:nbw+4] f using 0:i:xtic(1) with linespoints lw 2 pt 7 \
             title columnhead(i), \
         f using 0:2 with lines dt 2 lw 2 lc rgb 'black' \
             title 'chip, quadratic from 16 bits', \
         f using 0:3 with linespoints lw 2 pt 5 lc rgb '#3b6ea8' \
             title 'MACs alone', \
         f using 0:4 with lines dt 2 lw 2 lc rgb '#3b6ea8' \
             title 'MACs, quadratic from 16 bits'
    unset output
}
