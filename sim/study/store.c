/* store.c: the study database (see store.h).
 *
 * One connection per process; in a sweep only the parent writes (workers
 * send their points over pipes), so the database has one writer and WAL
 * needs no lock traffic between writers. synchronous=NORMAL: a killed
 * process loses no committed point; a power cut may roll back the last
 * commits, which a resume runs again. */
#include "sim/study/store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PRAGMA application_id: "qaSt", so `file` and a reader can tell the
 * database from any other SQLite file (STYLE practice 20: magic + version,
 * the version being PRAGMA user_version = STORE_SCHEMA). */
#define STORE_APP_ID 0x71615374

#ifndef QA_COMMIT
#define QA_COMMIT "unknown"
#endif

/* Prepared statements that read one point of a schema ("main", or a shard
 * attached as "sh" during a merge). */
typedef struct {
    sqlite3_stmt *point, *layers;
} Reader;

struct Store {
    sqlite3 *db;
    const Study *s;
    char path[1024];
    long si, sn;
    int layers;           /* 1: layer rows kept */
    uint64_t inputs;      /* hash of the build and the inputs (run_hash) */
    Reader rd;
    sqlite3_stmt *ins_point, *ins_layer, *del_point, *del_layers;
    LayerRecord *lbuf;    /* (lcap) layers of the point being read */
    int lcap;
    int lock_fd;          /* holds flock(LOCK_EX) on the file; -1 */
};

/* Column positions in points: point, axes, results, status, then these. */
#define C_AXES 1
#define C_RES (C_AXES + STUDY_NAXES)
#define C_STATUS (C_RES + points_result_table.n)
#define C_NLAYERS (C_STATUS + points_status_table.n)
#define C_RUNHASH (C_NLAYERS + 1)
#define C_CHECK (C_RUNHASH + 1)

uint64_t store_hash(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    return store_hash(h, s, strlen(s) + 1); /* the NUL separates fields */
}

static int db_err(Store *st, Err *e, const char *what)
{
    return err_set(e, st->path, 0, NULL, "%s: %s", what,
                   st->db ? sqlite3_errmsg(st->db) : "out of memory");
}

static int exec(Store *st, const char *sql, Err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(e, st->path, 0, NULL, "%s", msg ? msg : "sqlite error");
        sqlite3_free(msg);
        return QA_ERR;
    }
    return QA_OK;
}

/* One integer from a query such as "PRAGMA user_version"; QA_ERR with e
 * when it cannot run (for example SQLITE_NOTADB). */
static int query_int(Store *st, const char *sql, int64_t *v, Err *e)
{
    sqlite3_stmt *q;
    *v = 0;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return db_err(st, e, "read");
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(st, e, "read");
    return QA_OK;
}

static const char *sql_type(CsvKind k)
{
    return k == CSV_F64 ? "REAL" : k == CSV_STR ? "TEXT" : "INTEGER";
}

static void col_defs(FILE *f, const CsvTable *t)
{
    for (int i = 0; i < t->n; i++)
        fprintf(f, ", \"%s\" %s", t->cols[i].name, sql_type(t->cols[i].kind));
}

/* CREATE TABLE statements of the three tables. */
static char *schema_sql(void)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    fprintf(f, "CREATE TABLE IF NOT EXISTS provenance(key TEXT PRIMARY KEY, "
               "value TEXT NOT NULL);\n");
    fprintf(f, "CREATE TABLE IF NOT EXISTS points(point INTEGER PRIMARY KEY");
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        fprintf(f, ", \"%s\" TEXT", study_axis_name((StudyAxis)ax));
    col_defs(f, &points_result_table);
    col_defs(f, &points_status_table);
    fprintf(f, ", nlayers INTEGER, run_hash INTEGER, checksum INTEGER);\n");
    fprintf(f, "CREATE TABLE IF NOT EXISTS layers(point INTEGER NOT NULL, "
               "idx INTEGER NOT NULL");
    col_defs(f, &report_layer_table);
    fprintf(f, ", PRIMARY KEY(point, idx)) WITHOUT ROWID;\n");
    fclose(f);
    return buf;
}

static int prepare(Store *st, const char *sql, sqlite3_stmt **q, Err *e)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
        return db_err(st, e, "prepare");
    return QA_OK;
}

static int reader_open(Store *st, Reader *rd, const char *schema, Err *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\".points WHERE point = ?1",
             schema);
    if (prepare(st, sql, &rd->point, e) != QA_OK)
        return QA_ERR;
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\".layers WHERE point = ?1 "
             "ORDER BY idx", schema);
    return prepare(st, sql, &rd->layers, e);
}

static void reader_close(Reader *rd)
{
    sqlite3_finalize(rd->point);
    sqlite3_finalize(rd->layers);
    rd->point = rd->layers = NULL;
}

/* "INSERT OR REPLACE INTO t VALUES(?, ... n times)" */
static int prepare_insert(Store *st, const char *table, int n,
                          sqlite3_stmt **q, Err *e)
{
    char sql[4096];
    size_t len = (size_t)snprintf(sql, sizeof sql,
                                  "INSERT OR REPLACE INTO %s VALUES(?", table);
    for (int i = 1; i < n && len + 4 < sizeof sql; i++)
        len += (size_t)snprintf(sql + len, sizeof sql - len, ",?");
    snprintf(sql + len, sizeof sql - len, ")");
    return prepare(st, sql, q, e);
}

/* Bind the cells of a column table from a row struct, from index i. */
static void bind_cells(sqlite3_stmt *q, int i, const CsvTable *t,
                       const void *row)
{
    for (int c = 0; c < t->n; c++, i++) {
        const char *p = (const char *)row + t->cols[c].off;
        switch (t->cols[c].kind) {
        case CSV_INT:
            sqlite3_bind_int64(q, i, *(const int *)p);
            break;
        case CSV_I64:
            sqlite3_bind_int64(q, i, *(const int64_t *)p);
            break;
        case CSV_F64:
            sqlite3_bind_double(q, i, *(const double *)p);
            break;
        case CSV_STR:
            sqlite3_bind_text(q, i, p, -1, SQLITE_STATIC);
            break;
        default:
            (void)QA_NEVER(1); /* the stored tables hold no other kind */
            sqlite3_bind_null(q, i);
            break;
        }
    }
}

/* Read cell i of a statement into the row's field of col, strictly: the
 * cell must have the type the table writes, a text must fit its array and
 * hold no NUL. A REAL cell may be NULL: SQLite stores a NaN as NULL. */
static int read_cell(sqlite3_stmt *q, int i, const CsvCol *col, void *row,
                     char *why, size_t wn)
{
    char *p = (char *)row + col->off;
    int type = sqlite3_column_type(q, i);
    switch (col->kind) {
    case CSV_INT:
    case CSV_I64: {
        if (type != SQLITE_INTEGER)
            goto bad;
        sqlite3_int64 v = sqlite3_column_int64(q, i);
        if (col->kind == CSV_INT) {
            if (v < INT32_MIN || v > INT32_MAX)
                goto bad;
            *(int *)p = (int)v;
        } else {
            *(int64_t *)p = v;
        }
        return 1;
    }
    case CSV_F64:
        if (type == SQLITE_NULL)
            *(double *)p = (double)NAN;
        else if (type == SQLITE_FLOAT)
            *(double *)p = sqlite3_column_double(q, i);
        else
            goto bad;
        return 1;
    case CSV_STR: {
        if (type != SQLITE_TEXT || !col->size)
            goto bad;
        const unsigned char *s = sqlite3_column_text(q, i);
        size_t n = (size_t)sqlite3_column_bytes(q, i);
        if (!s || n >= col->size || strlen((const char *)s) != n)
            goto bad;
        memcpy(p, s, n + 1);
        return 1;
    }
    default:
        break;
    }
bad:
    snprintf(why, wn, "column %s: not a %s of this table", col->name,
             sql_type(col->kind));
    return 0;
}

static int read_cells(sqlite3_stmt *q, int i, const CsvTable *t, void *row,
                      char *why, size_t wn)
{
    for (int c = 0; c < t->n; c++)
        if (!read_cell(q, i + c, &t->cols[c], row, why, wn))
            return 0;
    return 1;
}

/* The run hash of a point: the build and inputs, the point's axis values
 * and its baseline's (the speedup column depends on it). */
static uint64_t run_hash(const Store *st, const StudyPoint *p)
{
    StudyPoint b;
    uint64_t h = st->inputs;
    study_baseline(st->s, p, &b);
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        h = hash_str(h, p->v[ax]->text);
        h = hash_str(h, b.v[ax]->text);
    }
    return h;
}

/* Checksum of a point: its points.csv row (status columns included) and
 * its layer rows, as text, the bytes an export writes. */
static int checksum(const Study *s, const StudyPoint *p, const PointRow *r,
                    const LayerRecord *layers, int nl, uint64_t *h)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return QA_ERR;
    points_print_row(f, s, p, r, 1);
    for (int i = 0; i < nl; i++)
        csv_row(f, &report_layer_table, &layers[i]);
    if (fclose(f) != 0) {
        free(buf);
        return QA_ERR;
    }
    *h = store_hash(STORE_HASH_SEED, buf, n);
    free(buf);
    return QA_OK;
}

/* Read and check point id through rd. Returns 1 if the row validates (row
 * and st->lbuf[0..*nl) filled), 0 if not (why says what; *exists tells a
 * missing row from a bad one), QA_ERR on a database error. */
static int check_row(Store *st, Reader *rd, int64_t id, PointRow *row,
                     int *nl, int *exists, char *why, size_t wn, Err *e)
{
    StudyPoint p;
    int ok = 0, rc;
    *exists = 0;
    *nl = 0;
    memset(row, 0, sizeof *row);
    study_point(st->s, id, &p);
    sqlite3_reset(rd->point);
    sqlite3_bind_int64(rd->point, 1, id);
    rc = sqlite3_step(rd->point);
    if (rc == SQLITE_DONE) {
        snprintf(why, wn, "no row");
        return 0;
    }
    if (rc != SQLITE_ROW)
        return db_err(st, e, "read");
    *exists = 1;
    sqlite3_stmt *q = rd->point;
    if (sqlite3_column_count(q) != C_CHECK + 1) {
        snprintf(why, wn, "%d columns, not %d", sqlite3_column_count(q),
                 C_CHECK + 1);
        goto out;
    }
    for (int ax = 0; ax < STUDY_NAXES; ax++) {
        const unsigned char *t = sqlite3_column_text(q, C_AXES + ax);
        if (sqlite3_column_type(q, C_AXES + ax) != SQLITE_TEXT || !t ||
            strcmp((const char *)t, p.v[ax]->text) ||
            (size_t)sqlite3_column_bytes(q, C_AXES + ax) != strlen(p.v[ax]->text)) {
            snprintf(why, wn, "other axis values than in study %.200s", st->s->file);
            goto out;
        }
    }
    if (!read_cells(q, C_STATUS, &points_status_table, row, why, wn))
        goto out;
    int feasible = strcmp(row->status, POINTS_INFEASIBLE) != 0;
    if (feasible && strcmp(row->status, POINTS_OK) &&
        strcmp(row->status, POINTS_NO_BASELINE)) {
        snprintf(why, wn, "status \"%.40s\"", row->status);
        goto out;
    }
    /* The cells a status leaves empty are NULL, the rest strict. */
    for (int i = 0; i < points_result_table.n; i++) {
        if (points_cell_empty(row->status, i)) {
            if (sqlite3_column_type(q, C_RES + i) != SQLITE_NULL) {
                snprintf(why, wn, "column %s: a value where status %s has none",
                         points_result_table.cols[i].name, row->status);
                goto out;
            }
        } else if (!read_cell(q, C_RES + i, &points_result_table.cols[i], row,
                              why, wn)) {
            goto out;
        }
    }
    if (sqlite3_column_type(q, C_NLAYERS) != SQLITE_INTEGER ||
        sqlite3_column_type(q, C_RUNHASH) != SQLITE_INTEGER ||
        sqlite3_column_type(q, C_CHECK) != SQLITE_INTEGER) {
        snprintf(why, wn, "nlayers, run_hash or checksum not an integer");
        goto out;
    }
    int64_t want_nl = sqlite3_column_int64(q, C_NLAYERS);
    if ((uint64_t)sqlite3_column_int64(q, C_RUNHASH) != run_hash(st, &p)) {
        snprintf(why, wn, "computed by another qarray build or for other "
                 "inputs (run_hash)");
        goto out;
    }
    uint64_t sum = (uint64_t)sqlite3_column_int64(q, C_CHECK);
    if (want_nl < 0 || want_nl > 1000000 || (!feasible && want_nl)) {
        snprintf(why, wn, "nlayers %lld", (long long)want_nl);
        goto out;
    }
    if (want_nl > st->lcap) {
        LayerRecord *nb = qa_realloc(st->lbuf, (size_t)want_nl * sizeof *nb);
        if (!nb) {
            sqlite3_reset(q);
            return err_set(e, NULL, 0, NULL, "out of memory");
        }
        st->lbuf = nb;
        st->lcap = (int)want_nl;
    }
    sqlite3_reset(rd->layers);
    sqlite3_bind_int64(rd->layers, 1, id);
    int n = 0;
    while ((rc = sqlite3_step(rd->layers)) == SQLITE_ROW) {
        if (n >= want_nl || sqlite3_column_count(rd->layers) != report_layer_table.n + 2 ||
            sqlite3_column_type(rd->layers, 1) != SQLITE_INTEGER ||
            sqlite3_column_int64(rd->layers, 1) != n) {
            snprintf(why, wn, "layer rows do not count 0..%lld",
                     (long long)want_nl - 1);
            goto out;
        }
        memset(&st->lbuf[n], 0, sizeof st->lbuf[n]);
        if (!read_cells(rd->layers, 2, &report_layer_table, &st->lbuf[n], why, wn))
            goto out;
        n++;
    }
    if (rc != SQLITE_DONE) {
        sqlite3_reset(q);
        sqlite3_reset(rd->layers);
        return db_err(st, e, "read");
    }
    if (n != want_nl) {
        snprintf(why, wn, "%d layer rows, not %lld", n, (long long)want_nl);
        goto out;
    }
    uint64_t h;
    if (checksum(st->s, &p, row, st->lbuf, n, &h) != QA_OK) {
        sqlite3_reset(q);
        sqlite3_reset(rd->layers);
        return err_set(e, NULL, 0, NULL, "out of memory");
    }
    if (h != sum) {
        snprintf(why, wn, "checksum");
        goto out;
    }
    *nl = n;
    ok = 1;
out:
    sqlite3_reset(q);
    sqlite3_reset(rd->layers);
    return ok;
}

/* The file's contents for the provenance table; "" if unreadable. *len
 * (may be NULL) is its length in bytes (an ONNX model holds NULs). */
static char *slurp_n(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (m && f) {
        char chunk[4096];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            fwrite(chunk, 1, got, m);
    }
    if (f)
        fclose(f);
    if (m)
        fclose(m);
    if (len)
        *len = buf ? n : 0;
    return buf;
}

static char *slurp(const char *path)
{
    return slurp_n(path, NULL);
}

static int ends_with(const char *s, const char *sfx)
{
    size_t n = strlen(s), m = strlen(sfx);
    return n >= m && !strcmp(s + n - m, sfx);
}

/* What a row's numbers depend on besides its axis values: this build and
 * the base chip (every key), and the topology files and ONNX models the
 * study runs (their bytes). */
static int inputs_hash(Store *st, char **chip, Err *e)
{
    size_t n = 0;
    *chip = NULL;
    FILE *f = open_memstream(chip, &n);
    if (!f)
        return err_set(e, NULL, 0, NULL, "out of memory");
    arch_write(&st->s->accel, f);
    fclose(f);
    uint64_t h = hash_str(STORE_HASH_SEED, QA_VERSION);
    h = hash_str(h, QA_COMMIT);
    char schema[16];
    snprintf(schema, sizeof schema, "%d", STORE_SCHEMA);
    h = hash_str(h, schema);
    h = hash_str(h, st->layers ? "layers" : "no layers");
    h = hash_str(h, *chip);
    const StudyAxisValues *wl = &st->s->axes[STUDY_WORKLOAD];
    for (int i = 0; i < wl->n; i++) {
        if (!ends_with(wl->v[i].text, ".csv") && !ends_with(wl->v[i].text, ".onnx"))
            continue;
        size_t len;
        char *bytes = slurp_n(wl->v[i].text, &len);
        h = hash_str(h, wl->v[i].text);
        h = store_hash(h, bytes ? bytes : "", len);
        free(bytes);
    }
    /* the input shapes an ONNX model is read with change its layers */
    for (int i = 0; i < st->s->onnx.nshapes; i++) {
        const OnnxShape *sh = &st->s->onnx.shapes[i];
        h = hash_str(h, sh->name);
        h = store_hash(h, sh->dims, (size_t)sh->rank * sizeof sh->dims[0]);
    }
    st->inputs = h;
    return QA_OK;
}

static int put_prov(Store *st, sqlite3_stmt *q, const char *key,
                    const char *value, Err *e)
{
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value ? value : "", -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE)
        return db_err(st, e, "provenance");
    return QA_OK;
}

/* The provenance rows; extra (key, value) when not NULL. */
static int write_provenance(Store *st, const char *chip, const char *xkey,
                            const char *xval, Err *e)
{
    const Study *s = st->s;
    sqlite3_stmt *q;
    char buf[256], engines[512] = "";
    if (prepare(st, "INSERT OR REPLACE INTO provenance VALUES(?1, ?2)", &q, e) != QA_OK)
        return QA_ERR;
    char *study = slurp(s->file), *arch = slurp(s->arch_path);
    size_t len = 0;
    for (int i = 0; i < s->axes[STUDY_ENGINE].n && len < sizeof engines; i++)
        len += (size_t)snprintf(engines + len, sizeof engines - len, "%s%s",
                                i ? " " : "", s->axes[STUDY_ENGINE].v[i].text);
    int rc = QA_OK;
#define PUT(k, v) \
    if (rc == QA_OK) \
        rc = put_prov(st, q, (k), (v), e)
    snprintf(buf, sizeof buf, "%d", STORE_SCHEMA);
    PUT("schema", buf);
    PUT("qarray_version", QA_VERSION);
    PUT("qarray_commit", QA_COMMIT);
    snprintf(buf, sizeof buf, "%016" PRIx64, st->inputs);
    PUT("inputs_hash", buf);
    PUT("study_file", s->file);
    PUT("study", study);
    PUT("arch_file", s->arch_path);
    PUT("arch", arch);
    PUT("chip", chip);
    PUT("engines", engines);
    PUT("layers", st->layers ? "all" : "none");
    snprintf(buf, sizeof buf, "%ld/%ld", st->si, st->sn);
    PUT("shard", buf);
    snprintf(buf, sizeof buf, "%lld", (long long)s->npoints);
    PUT("study_points", buf);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    PUT("written_utc", buf);
    if (xkey)
        PUT(xkey, xval);
#undef PUT
    sqlite3_finalize(q);
    free(study);
    free(arch);
    return rc;
}

void store_path(const Study *s, long shard_i, long shard_n, char *buf,
                size_t n)
{
    if (shard_n > 1)
        snprintf(buf, n, "%s/points.shard-%ld-of-%ld.db", s->out_dir, shard_i,
                 shard_n);
    else
        snprintf(buf, n, "%s/points.db", s->out_dir);
}

void store_close(Store *st)
{
    if (!st)
        return;
    reader_close(&st->rd);
    sqlite3_finalize(st->ins_point);
    sqlite3_finalize(st->ins_layer);
    sqlite3_finalize(st->del_point);
    sqlite3_finalize(st->del_layers);
    sqlite3_close(st->db);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->lbuf);
    free(st);
}

/* A database this module wrote (or an empty one), of this schema; else an
 * error that leaves the file alone. */
static int check_identity(Store *st, const char *schema, const char *file,
                          Err *e)
{
    char sql[128];
    int64_t app, ver, tables;
    snprintf(sql, sizeof sql, "PRAGMA \"%s\".application_id", schema);
    if (query_int(st, sql, &app, e) != QA_OK)
        return err_set(e, file, 0, NULL, "not a qarray study database (%s): "
                       "use a new output folder or remove it",
                       sqlite3_errmsg(st->db));
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".sqlite_master", schema);
    if (query_int(st, sql, &tables, e) != QA_OK)
        return QA_ERR;
    if (app == 0 && tables == 0)
        return QA_OK; /* new */
    if (app != STORE_APP_ID)
        return err_set(e, file, 0, NULL, "not a qarray study database "
                       "(application_id %lld): use a new output folder or "
                       "remove it", (long long)app);
    snprintf(sql, sizeof sql, "PRAGMA \"%s\".user_version", schema);
    if (query_int(st, sql, &ver, e) != QA_OK)
        return QA_ERR;
    if (ver != STORE_SCHEMA)
        return err_set(e, file, 0, NULL, "a study database of schema %lld, "
                       "this qarray reads schema %d: use a new output folder "
                       "or remove it", (long long)ver, STORE_SCHEMA);
    return QA_OK;
}

/* The "layers" provenance of a database (schema "main" or "sh"): 1 for
 * "all" or none recorded, 0 for "none". */
static int written_layers(Store *st, const char *schema, int *layers, Err *e)
{
    char sql[200];
    int64_t n;
    *layers = 1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".sqlite_master WHERE "
             "name = 'provenance'", schema);
    if (query_int(st, sql, &n, e) != QA_OK)
        return QA_ERR;
    if (n == 0)
        return QA_OK;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\".provenance WHERE "
             "key = 'layers' AND value = 'none'", schema);
    if (query_int(st, sql, &n, e) != QA_OK)
        return QA_ERR;
    *layers = n == 0;
    return QA_OK;
}

/* open_db flag beside store.h's: the caller holds the file's lock. */
#define OPEN_LOCKED 0x100u

/* One writer per database: a second sweep (or merge) of the same folder
 * would interleave its table and layer CSVs with this one's. flock is apart
 * from SQLite's own fcntl locks on Linux. The lock is on the file open at
 * path, so a file renamed over path (a merge's) between the open and the
 * lock is opened again. *made (if not NULL) is 1 when the file was created
 * here, empty. */
static int lock_db(const char *path, int *fd_out, int *made, Err *e)
{
    for (int tries = 0; tries < 100; tries++) {
        int created = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
            fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            created = fd >= 0;
            if (fd < 0 && errno == EEXIST)
                continue; /* made by another process meanwhile */
        }
        if (fd < 0)
            return err_set(e, path, 0, NULL, "cannot open: %s", strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int en = errno;
            close(fd);
            if (en == EWOULDBLOCK)
                return err_set(e, path, 0, NULL, "another qarray sweep or "
                               "merge is writing this database: wait for it "
                               "to end, or give another output folder");
            return err_set(e, path, 0, NULL, "cannot lock: %s", strerror(en));
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
            held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
            *fd_out = fd;
            if (made)
                *made = created;
            return QA_OK;
        }
        close(fd); /* replaced (or removed) since the open: again */
    }
    return err_set(e, path, 0, NULL, "cannot lock: the file is replaced "
                   "again and again");
}

/* Open path with the tables and statements; no provenance written. */
static int open_db(Store **out, const char *path, const Study *s, long si,
                   long sn, unsigned flags, char **chip, Err *e)
{
    Store *st = qa_calloc(1, sizeof *st);
    *out = NULL;
    *chip = NULL;
    if (!st)
        return err_set(e, NULL, 0, NULL, "out of memory");
    st->s = s;
    st->si = si;
    st->sn = sn;
    st->lock_fd = -1;
    st->layers = !(flags & STORE_NO_LAYERS);
    snprintf(st->path, sizeof st->path, "%s", path);
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        err_set(e, path, 0, NULL, "not a regular file");
        goto fail;
    }
    if (!(flags & OPEN_LOCKED) && lock_db(path, &st->lock_fd, NULL, e) != QA_OK)
        goto fail;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        db_err(st, e, "open");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 60000);
    if (check_identity(st, "main", path, e) != QA_OK)
        goto fail;
    if ((flags & STORE_AS_WRITTEN) && written_layers(st, "main", &st->layers, e) != QA_OK)
        goto fail;
    if (!(flags & (STORE_RESUME | STORE_AS_WRITTEN)) &&
        exec(st, "DROP TABLE IF EXISTS layers; DROP TABLE IF EXISTS points; "
                 "DROP TABLE IF EXISTS provenance;", e) != QA_OK)
        goto fail;
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
             "PRAGMA application_id=%d; PRAGMA user_version=%d;",
             STORE_APP_ID, STORE_SCHEMA);
    char *ddl = schema_sql();
    if (!ddl) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto fail;
    }
    int rc = exec(st, pragmas, e);
    if (rc == QA_OK)
        rc = exec(st, ddl, e);
    free(ddl);
    if (rc != QA_OK || inputs_hash(st, chip, e) != QA_OK ||
        reader_open(st, &st->rd, "main", e) != QA_OK ||
        prepare_insert(st, "points", C_CHECK + 1, &st->ins_point, e) != QA_OK ||
        prepare_insert(st, "layers", report_layer_table.n + 2, &st->ins_layer, e) != QA_OK ||
        prepare(st, "DELETE FROM points WHERE point = ?1", &st->del_point, e) != QA_OK ||
        prepare(st, "DELETE FROM layers WHERE point = ?1", &st->del_layers, e) != QA_OK)
        goto fail;
    *out = st;
    return QA_OK;
fail:
    free(*chip);
    *chip = NULL;
    store_close(st);
    return QA_ERR;
}

int store_open(Store **out, const char *path, const Study *s, long shard_i,
               long shard_n, unsigned flags, Err *e)
{
    Store *st;
    char *chip;
    if (open_db(&st, path, s, shard_i, shard_n, flags, &chip, e) != QA_OK)
        return QA_ERR;
    /* Rows of other points (another shard, ids past the study) go. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "BEGIN IMMEDIATE; DELETE FROM points WHERE point < 0 OR point >= %lld "
             "OR point %% %ld != %ld; DELETE FROM layers WHERE point NOT IN "
             "(SELECT point FROM points);", (long long)s->npoints, shard_n, shard_i);
    int rc = exec(st, sql, e);
    if (rc == QA_OK)
        rc = write_provenance(st, chip, NULL, NULL, e);
    if (rc == QA_OK)
        rc = exec(st, "COMMIT", e);
    free(chip);
    if (rc != QA_OK) {
        store_close(st);
        return QA_ERR;
    }
    *out = st;
    return QA_OK;
}

static int delete_point(Store *st, int64_t id, Err *e)
{
    sqlite3_stmt *qs[2] = {st->del_layers, st->del_point};
    for (int i = 0; i < 2; i++) {
        sqlite3_reset(qs[i]);
        sqlite3_bind_int64(qs[i], 1, id);
        if (sqlite3_step(qs[i]) != SQLITE_DONE)
            return db_err(st, e, "delete");
    }
    return QA_OK;
}

int store_valid(Store *st, int64_t id, int *valid, int64_t *dropped, Err *e)
{
    PointRow row;
    int nl, exists;
    char why[256];
    int rc = check_row(st, &st->rd, id, &row, &nl, &exists, why, sizeof why, e);
    *valid = rc == 1;
    if (rc < 0)
        return QA_ERR;
    if (rc == 0 && exists) {
        if (exec(st, "BEGIN IMMEDIATE", e) != QA_OK)
            return QA_ERR;
        if (delete_point(st, id, e) != QA_OK) {
            exec(st, "ROLLBACK", NULL);
            return QA_ERR;
        }
        if (exec(st, "COMMIT", e) != QA_OK)
            return QA_ERR;
        if (dropped)
            (*dropped)++;
    }
    return QA_OK;
}

int store_put(Store *st, const StudyPoint *p, const PointRow *r,
              const LayerRecord *layers, int nl, Err *e)
{
    int feasible = strcmp(r->status, POINTS_INFEASIBLE) != 0;
    PointRow row = *r;
    if (feasible && strcmp(row.status, POINTS_NO_BASELINE))
        snprintf(row.status, sizeof row.status, "%s", POINTS_OK);
    if (!feasible)
        nl = 0;
    if (!st->layers) {
        nl = 0;
        row.layers_csv[0] = '\0';
    }
    uint64_t h;
    if (checksum(st->s, p, &row, layers, nl, &h) != QA_OK)
        return err_set(e, NULL, 0, NULL, "out of memory");
    if (exec(st, "BEGIN IMMEDIATE", e) != QA_OK)
        return QA_ERR;
    if (delete_point(st, p->id, e) != QA_OK)
        goto fail;
    sqlite3_stmt *q = st->ins_point;
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    sqlite3_bind_int64(q, 1, p->id);
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        sqlite3_bind_text(q, C_AXES + ax + 1, p->v[ax]->text, -1, SQLITE_STATIC);
    bind_cells(q, C_RES + 1, &points_result_table, &row);
    for (int i = 0; i < points_result_table.n; i++)
        if (points_cell_empty(row.status, i))
            sqlite3_bind_null(q, C_RES + 1 + i);
    bind_cells(q, C_STATUS + 1, &points_status_table, &row);
    sqlite3_bind_int64(q, C_NLAYERS + 1, nl);
    sqlite3_bind_int64(q, C_RUNHASH + 1, (sqlite3_int64)run_hash(st, p));
    sqlite3_bind_int64(q, C_CHECK + 1, (sqlite3_int64)h);
    if (sqlite3_step(q) != SQLITE_DONE) {
        db_err(st, e, "write");
        goto fail;
    }
    for (int i = 0; i < nl; i++) {
        q = st->ins_layer;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, p->id);
        sqlite3_bind_int64(q, 2, i);
        bind_cells(q, 3, &report_layer_table, &layers[i]);
        if (sqlite3_step(q) != SQLITE_DONE) {
            db_err(st, e, "write");
            goto fail;
        }
    }
    sqlite3_reset(st->ins_point);
    sqlite3_reset(st->ins_layer);
    return exec(st, "COMMIT", e);
fail:
    sqlite3_reset(st->ins_point);
    sqlite3_reset(st->ins_layer);
    exec(st, "ROLLBACK", NULL);
    return QA_ERR;
}

static int any_infeasible(Store *st, const char *schema, int *any, Err *e)
{
    char sql[160];
    int64_t v;
    snprintf(sql, sizeof sql, "SELECT EXISTS(SELECT 1 FROM \"%s\".points "
             "WHERE status != '" POINTS_OK "')", schema);
    if (query_int(st, sql, &v, e) != QA_OK)
        return QA_ERR;
    *any = v != 0;
    return QA_OK;
}

/* Remove layers/pNNNNNN.csv of point ids the study no longer has (an
 * earlier run of the folder had more points): no row names them. */
static int remove_beyond(const Study *s, Err *e)
{
    char dir[1100], path[1400];
    snprintf(dir, sizeof dir, "%s/layers", s->out_dir);
    DIR *d = opendir(dir);
    if (!d)
        return QA_OK;
    struct dirent *de;
    int rc = QA_OK;
    while (rc == QA_OK && (de = readdir(d)) != NULL) {
        long long id;
        char name[64];
        if (sscanf(de->d_name, "p%lld", &id) != 1 || id < s->npoints)
            continue;
        snprintf(name, sizeof name, "p%06lld.csv", id); /* points_layers_path */
        if (strcmp(name, de->d_name))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (unlink(path) != 0 && errno != ENOENT)
            rc = err_set(e, path, 0, NULL, "cannot remove the earlier run's "
                         "layer CSV: %s", strerror(errno));
    }
    closedir(d);
    return rc;
}

int store_export(Store *st, const char *table_path, int layer_csvs,
                 int64_t *infeasible, Err *e)
{
    const Study *s = st->s;
    int with_status;
    char path[1100];
    if (infeasible)
        *infeasible = 0;
    if (any_infeasible(st, "main", &with_status, e) != QA_OK)
        return QA_ERR;
    if (layer_csvs && st->layers) {
        snprintf(path, sizeof path, "%s/layers", s->out_dir);
        if (qa_mkdirs(path, e) != QA_OK)
            return QA_ERR;
    }
    struct stat lst;
    snprintf(path, sizeof path, "%s/layers", s->out_dir);
    int stale_dir = stat(path, &lst) == 0 && S_ISDIR(lst.st_mode);
    AtomicFile af;
    if (qa_afile_open(&af, table_path, e) != QA_OK)
        return QA_ERR;
    points_print_header(af.f, s, with_status);
    for (int64_t id = st->si; id < s->npoints; id += st->sn) {
        PointRow row;
        StudyPoint p;
        int nl, exists;
        char why[256];
        int rc = check_row(st, &st->rd, id, &row, &nl, &exists, why, sizeof why, e);
        if (rc != 1) {
            if (rc == 0)
                err_set(e, st->path, 0, "point", "point %lld: %s after the run",
                        (long long)id, exists ? why : "no row");
            qa_afile_abort(&af);
            return QA_ERR;
        }
        study_point(s, id, &p);
        points_print_row(af.f, s, &p, &row, with_status);
        if (strcmp(row.status, POINTS_OK) && infeasible)
            (*infeasible)++;
        if (layer_csvs && row.layers_csv[0] && strcmp(row.status, POINTS_INFEASIBLE)) {
            points_layers_path(s, id, path, sizeof path);
            if (report_write_layers(path, st->lbuf, nl, e) != QA_OK) {
                qa_afile_abort(&af);
                return QA_ERR;
            }
        } else if (layer_csvs && stale_dir) {
            /* A point without layers now (infeasible, or --no-layers) may
             * have a CSV from an earlier run of this folder: it would
             * describe another chip or study. */
            points_layers_path(s, id, path, sizeof path);
            if (unlink(path) != 0 && errno != ENOENT) {
                err_set(e, path, 0, NULL, "cannot remove the earlier run's "
                        "layer CSV: %s", strerror(errno));
                qa_afile_abort(&af);
                return QA_ERR;
            }
        }
    }
    if (layer_csvs && stale_dir && st->si == 0 && st->sn == 1 &&
        remove_beyond(s, e) != QA_OK) {
        qa_afile_abort(&af);
        return QA_ERR;
    }
    return qa_afile_commit(&af, e);
}

/* Attach a shard as "sh", check it and copy its rows into st. src (temp
 * table) remembers which file each point came from. */
static int merge_one(Store *st, char *const *files, int fi, Err *e)
{
    const char *file = files[fi];
    const Study *s = st->s;
    struct stat sb;
    int rc = QA_ERR;
    Reader rd = {NULL, NULL};
    sqlite3_stmt *ids = NULL, *src = NULL;
    if (stat(file, &sb) != 0)
        return err_set(e, file, 0, NULL, "cannot open: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return err_set(e, file, 0, NULL, "not a regular file");
    sqlite3_stmt *att;
    if (prepare(st, "ATTACH DATABASE ?1 AS sh", &att, e) != QA_OK)
        return QA_ERR;
    sqlite3_bind_text(att, 1, file, -1, SQLITE_STATIC);
    int step = sqlite3_step(att);
    sqlite3_finalize(att);
    if (step == SQLITE_NOTADB)
        return err_set(e, file, 0, NULL, "not a qarray study database (%s): "
                       "use a new output folder or remove it",
                       sqlite3_errmsg(st->db));
    if (step != SQLITE_DONE)
        return err_set(e, file, 0, NULL, "cannot open: %s", sqlite3_errmsg(st->db));
    if (check_identity(st, "sh", file, e) != QA_OK)
        goto out;
    {
        int64_t has;
        if (query_int(st, "SELECT count(*) FROM sh.sqlite_master WHERE name = 'provenance'",
                      &has, e) != QA_OK)
            goto out;
        sqlite3_stmt *q;
        if (has == 0) {
            err_set(e, file, 0, NULL, "an empty study database");
            goto out;
        }
        if (prepare(st, "SELECT value FROM sh.provenance WHERE key = 'inputs_hash'",
                    &q, e) != QA_OK)
            goto out;
        char want[32];
        snprintf(want, sizeof want, "%016" PRIx64, st->inputs);
        int same = sqlite3_step(q) == SQLITE_ROW &&
                   sqlite3_column_text(q, 0) &&
                   !strcmp((const char *)sqlite3_column_text(q, 0), want);
        sqlite3_finalize(q);
        if (!same) {
            /* The layers setting comes from the first database: the first
             * cannot differ from itself in it. */
            char other[1200] = "";
            if (fi > 0)
                snprintf(other, sizeof other, ", or %s layers than %s",
                         st->layers ? "without" : "with", files[0]);
            err_set(e, file, 0, "provenance", "computed by another qarray build "
                    "or for another chip or topology than study %s with this "
                    "qarray (" QA_VERSION ", %s)%s: run the shard again",
                    s->file, QA_COMMIT, other);
            goto out;
        }
    }
    if (reader_open(st, &rd, "sh", e) != QA_OK ||
        prepare(st, "SELECT point FROM sh.points ORDER BY point", &ids, e) != QA_OK ||
        prepare(st, "SELECT f FROM temp.src WHERE point = ?1", &src, e) != QA_OK)
        goto out;
    int step_rc;
    while ((step_rc = sqlite3_step(ids)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(ids, 0);
        if (id < 0 || id >= s->npoints) {
            err_set(e, file, 0, "point", "%lld is not a point id of study %s "
                    "(0..%lld)", (long long)id, s->file, (long long)s->npoints - 1);
            goto out;
        }
        sqlite3_reset(src);
        sqlite3_bind_int64(src, 1, id);
        if (sqlite3_step(src) == SQLITE_ROW) {
            err_set(e, file, 0, "point", "point %lld is also in %s", (long long)id,
                    files[sqlite3_column_int(src, 0)]);
            goto out;
        }
        PointRow row;
        int nl, exists;
        char why[256];
        int c = check_row(st, &rd, id, &row, &nl, &exists, why, sizeof why, e);
        if (c < 0)
            goto out;
        if (c == 0) {
            if (!strncmp(why, "other axis values", 17))
                err_set(e, file, 0, "point", "point %lld has %s", (long long)id, why);
            else
                err_set(e, file, 0, "point", "point %lld does not validate (%s): "
                        "run its shard again with --resume", (long long)id, why);
            goto out;
        }
    }
    if (step_rc != SQLITE_DONE) {
        db_err(st, e, "read");
        goto out;
    }
    sqlite3_finalize(ids);
    ids = NULL;
    char sql[256];
    snprintf(sql, sizeof sql, "BEGIN; INSERT INTO points SELECT * FROM sh.points; "
             "INSERT INTO layers SELECT * FROM sh.layers; "
             "INSERT INTO temp.src SELECT point, %d FROM sh.points; COMMIT;", fi);
    if (exec(st, sql, e) != QA_OK) {
        exec(st, "ROLLBACK", NULL);
        goto out;
    }
    rc = QA_OK;
out:
    reader_close(&rd);
    sqlite3_finalize(ids);
    sqlite3_finalize(src);
    exec(st, "DETACH DATABASE sh", NULL);
    return rc;
}

/* Remove the database at path with its WAL and shared-memory files. */
static void remove_db(const char *path)
{
    char p[1200];
    remove(path);
    snprintf(p, sizeof p, "%s-wal", path);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", path);
    remove(p);
}

/* STORE_NO_LAYERS if the database at path says it keeps none; 0 also when
 * it cannot be read (merge_one then says why). */
static unsigned peek_flags(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    unsigned flags = 0;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT value FROM provenance WHERE key = 'layers'",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) &&
        !strcmp((const char *)sqlite3_column_text(q, 0), "none"))
        flags = STORE_NO_LAYERS;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return flags;
}

int store_merge(const Study *s, char *const *files, int n,
                const char *out_path, Err *e)
{
    char tmp[1100] = "";
    Store *st = NULL;
    char *chip = NULL;
    int rc = QA_ERR, lock_fd = -1, made = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(files[i], out_path))
            return err_set(e, files[i], 0, NULL, "is the merged database "
                           "itself: give the shards' databases");
    /* The output stays locked until the merged file is renamed over it: a
     * sweep started meanwhile would otherwise write a file (and a WAL)
     * the rename replaces under it. */
    if (lock_db(out_path, &lock_fd, &made, e) != QA_OK)
        return QA_ERR;
    /* The output must be ours (or absent) before anything is replaced. */
    if (!made) {
        Store *old;
        char *c2;
        if (open_db(&old, out_path, s, 0, 1, STORE_AS_WRITTEN | OPEN_LOCKED,
                    &c2, e) != QA_OK)
            goto out;
        free(c2);
        store_close(old);
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
    remove_db(tmp);
    if (open_db(&st, tmp, s, 0, 1, n > 0 ? peek_flags(files[0]) : 0, &chip, e) != QA_OK)
        goto out;
    if (exec(st, "CREATE TEMP TABLE src(point INTEGER PRIMARY KEY, f INTEGER)", e) != QA_OK)
        goto out;
    for (int fi = 0; fi < n; fi++)
        if (merge_one(st, files, fi, e) != QA_OK)
            goto out;
    int64_t count;
    if (query_int(st, "SELECT count(*) FROM points", &count, e) != QA_OK)
        goto out;
    if (count != s->npoints) {
        sqlite3_stmt *q;
        int64_t first = 0;
        if (prepare(st, "SELECT point FROM points ORDER BY point", &q, e) != QA_OK)
            goto out;
        while (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) == first)
            first++;
        sqlite3_finalize(q);
        err_set(e, s->file, 0, "point", "%lld of %lld points missing, the "
                "first is point %lld", (long long)(s->npoints - count),
                (long long)s->npoints, (long long)first);
        goto out;
    }
    char *list = NULL;
    size_t ln = 0;
    FILE *f = open_memstream(&list, &ln);
    if (!f) {
        err_set(e, NULL, 0, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        fprintf(f, "%s\n", files[i]);
    fclose(f);
    rc = exec(st, "BEGIN", e);
    if (rc == QA_OK)
        rc = write_provenance(st, chip, "merged_from", list, e);
    if (rc == QA_OK)
        rc = exec(st, "COMMIT", e);
    free(list);
    if (rc != QA_OK)
        goto out;
    rc = QA_ERR;
    /* Closing the last connection checkpoints the WAL into the file and
     * removes it: the renamed file is the whole database. */
    if (exec(st, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE", e) != QA_OK)
        goto out;
    store_close(st);
    st = NULL;
    char p[1200];
    snprintf(p, sizeof p, "%s-wal", out_path);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", out_path);
    remove(p);
    if (rename(tmp, out_path) != 0) {
        err_set(e, out_path, 0, NULL, "cannot write: %s", strerror(errno));
        goto out;
    }
    rc = QA_OK;
out:
    free(chip);
    store_close(st);
    if (rc != QA_OK) {
        if (tmp[0])
            remove_db(tmp);
        if (made)
            unlink(out_path); /* the empty file the lock made */
    }
    close(lock_fd);
    return rc;
}
