/* store.h: a study's results in SQLite, one database per study or shard
 * (OUT/points.db, OUT/points.shard-I-of-N.db). Tables:
 *   provenance(key, value)  what computed the rows: qarray version and
 *                           commit, the study and architecture files'
 *                           contents, the effective chip, engines, shard
 *   points(point, <axes>, <results>, status, infeasible_layer, reason,
 *          nlayers, run_hash, checksum)        one row per design point
 *   layers(point, idx, <layers.csv columns>)   the point's layers
 * Columns and types come from the CSV column tables (points.h, report.h),
 * so points.csv and the layer CSVs written from the database are the bytes
 * a direct write would give. Every point is one transaction (WAL). A row
 * is used (resume, export, merge) only after it validates: its key is the
 * study's point, its run_hash says the same build and inputs computed it,
 * every cell has its type and size, and the checksum over the row's CSV
 * text (point and layers) matches. Runs nothing. */
#ifndef STORE_H
#define STORE_H

#include "sim/study/points.h"

/* Bumped whenever a table changes; a database of another schema is
 * refused with a hint, never read. */
#define STORE_SCHEMA 1

typedef struct Store Store;

/* The database of a study (shard_n == 1) or of shard i/n: OUT/points.db,
 * OUT/points.shard-I-of-N.db. */
void store_path(const Study *s, long shard_i, long shard_n, char *buf,
                size_t n);

/* store_open flags. */
#define STORE_RESUME 1u     /* keep the rows that validate */
#define STORE_NO_LAYERS 2u  /* keep no layer rows (points only): for
                               studies of millions of points */
#define STORE_AS_WRITTEN 4u /* a finished database (to export): with or
                               without layers as its provenance says */

/* Open the database at path for the points id % shard_n == shard_i of s,
 * creating it if needed. With STORE_RESUME the rows that validate stay
 * (rows of other points are dropped); else it starts with no rows. Rows
 * written with and without layers are of different runs (run_hash). A
 * file that is not a qarray study database, or one of another schema, is
 * refused and left as it is. */
int store_open(Store **st, const char *path, const Study *s, long shard_i,
               long shard_n, unsigned flags, Err *e);
/* Close; NULL is fine. */
void store_close(Store *st);

/* *valid = 1 if point id has a row that validates; a row that does not is
 * deleted (and counted in *dropped when not NULL). */
int store_valid(Store *st, int64_t id, int *valid, int64_t *dropped, Err *e);

/* Record point p (one transaction, replacing any older row): its row and,
 * when feasible and the store keeps layers, its nl layers (else the row's
 * layers_csv is empty). */
int store_put(Store *st, const StudyPoint *p, const PointRow *r,
              const LayerRecord *layers, int nl, Err *e);

/* Write the shard's points in id order into table_path (points.csv format,
 * atomic) and, with layer_csvs, each feasible point's layer CSV into
 * OUT/layers/. Every point must have a valid row. *infeasible (if not NULL)
 * counts the rows whose status is not ok. */
int store_export(Store *st, const char *table_path, int layer_csvs,
                 int64_t *infeasible, Err *e);

/* Join shard databases into out_path (written whole or not at all): each
 * must be of this study and build (and all with or all without layers),
 * with valid rows; no point twice, none missing. */
int store_merge(const Study *s, char *const *files, int n,
                const char *out_path, Err *e);

/* FNV-1a, 64 bits: the row checksum and the run hash. */
uint64_t store_hash(uint64_t h, const void *data, size_t n);
#define STORE_HASH_SEED UINT64_C(0xcbf29ce484222325)

#endif
