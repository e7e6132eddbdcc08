/* mapper.h: the mapper. For every layer of a network on a chip it chooses
 * a mapping (core split, cores used, tile size, loop order, caching, column
 * width per tile) and, across the network, which outputs stay on chip, which
 * held tensors are written back to DRAM and when, and whether all weights
 * stay resident: the plan of least total cycles under the analytic model
 * (analytic.c), found exactly in the space models/README.md writes down.
 * Candidates are priced by tiling.c's schedule and analytic_layer, the very
 * code the analytic engine runs, so the two cannot disagree. */
#ifndef MAPPER_H
#define MAPPER_H

#include "models/tiling.h"

/* Tensors that may be held on chip at one time; the output of a layer that
 * would make more live tensors holdable goes to DRAM (a heuristic limit on
 * the exact search, reported in LayerMap.reason). ResNets, MobileNets and
 * transformer blocks never have more than 4 at once. */
#define MAP_MAX_LIVE 8

/* Map every layer. Fails with the layer's name and why only when no
 * mapping of some layer fits the scratchpad whatever else is done.
 * ts->cycles is the total the analytic engine reports for ts. */
int map_net(const Accel *a, const Net *net, TileSchedule *ts, Err *e);

#endif
