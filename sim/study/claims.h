/* claims.h: the statements of PACT Section 6 (Fig. 6b, 6c and the text)
 * checked against a finished points table: for every group of points that
 * differ only in bits, first/last bits and bandwidth, the model's number
 * beside the paper's, whether the claim holds, and by how much it misses.
 * Reads points.csv; writes nothing but the printed table. */
#ifndef CLAIMS_H
#define CLAIMS_H

#include "sim/study/study.h"

/* Print the comparison of the study's table to f. A detailed table per
 * group for up to 4 groups, else one line per group (the map of where the
 * claims hold). Points the study lacks show as n/a. */
int claims_print(const Study *s, const char *table, FILE *f, Err *e);

#endif
