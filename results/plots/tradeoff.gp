# tradeoff.gp: accuracy vs speed per precision (qarray tradeoff). Reads
# dir.'/tradeoff.dat' (label w_bits a_bits accuracy fq_accuracy speedup
# tops_mm2 r50_speedup r50_tops_mm2); draws tradeoff.png and tradeoff.svg:
# test accuracy (integer network on the chip, fake-quant) on the left axis,
# speedup over 16 bits of the same network and of ResNet-50 on the right.
# Variables: dir; out (where to draw, default dir) and caption (the title)
# when run through sim/report/gnuplot.c.
set datafile columnheaders
set datafile missing 'NaN'
if (!exists('out')) out = dir  # the gnuplot runner draws into a temporary folder
if (!exists('caption')) caption = ''  # the title: chip, bandwidth, engine
f = dir.'/tradeoff.dat'
set key bottom left
set xlabel 'precision (weights/activations of inner layers)'
set ylabel 'Fashion-MNIST test accuracy (%)'
set y2label 'speedup over 16 bits (same chip)'
set ytics nomirror
set y2tics
set y2range [0:*]
set grid ytics
set offsets 0.3, 0.3, 0, 0
set title caption noenhanced
do for [t in "png svg"] {
    if (t eq "png") { set terminal pngcairo size 960,600 font 'sans,11' } \
    else { set terminal svg size 960,600 font 'sans,11' }
    set output out.'/tradeoff.'.t
    plot f using 0:4:xtic(1) with linespoints lw 2 pt 7 title 'accuracy on the chip', \
         f using 0:5 with linespoints lw 2 pt 6 dt 2 title 'fake-quant accuracy', \
         f using 0:6 axes x1y2 with linespoints lw 2 pt 5 title 'speedup, this network', \
         f using 0:8 axes x1y2 with linespoints lw 2 pt 4 title 'speedup, ResNet-50'
    unset output
}
