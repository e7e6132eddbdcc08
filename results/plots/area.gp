# area.gp: area of one MAC lane and MAC density (lanes per 16-bit MAC area)
# vs bits, from the chip's area model, as in PACT Fig. 6b (~14x from 16 to
# 2 bits). Reads dir.'/area.dat'; draws area.png and area.svg.
set datafile columnheaders
if (!exists('out')) out = dir  # qarray draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip and fixed values
f = dir.'/area.dat'
set key top center
set xlabel 'bits'
set xrange [16.5:1.5]
set xtics 2
set logscale y 2
set logscale y2 2
set ylabel 'MAC area (um^2)'
set y2label 'density: MACs per 16-bit MAC area'
set ytics nomirror
set y2tics
set grid xtics ytics
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 960,600 font 'sans,11' } \
    else { set terminal svg size 960,600 font 'sans,11' }
    set output out.'/area.'.t
    plot f using 1:2 with linespoints lw 2 pt 7 axes x1y1 title 'MAC area', \
         f using 1:3 with linespoints lw 2 pt 5 axes x1y2 title 'density'
    unset output
}
