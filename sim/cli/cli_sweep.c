/* cli_sweep.c: `qarray sweep`, `qarray merge` and `qarray plot`. */
#include "sim/study/claims.h"
#include "sim/cli/cli.h"
#include "sim/study/plot.h"
#include "sim/study/points.h"
#include "sim/study/sweep.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void sweep_usage(FILE *f)
{
    fprintf(f,
"usage: qarray sweep -s STUDY [options]\n"
"Run every design point of a study (the cross product of its axes), write\n"
"OUT/points.csv and OUT/layers/pNNNNNN.csv, print the comparison with the\n"
"paper (compare = \"pact2018\") and draw the plots.\n\n"
"  -s, --study FILE    study file (libconfig), e.g. arch/studies/pact2018.cfg\n"
"  -j, --jobs N        worker processes (default: online cores)\n"
"  -o, --out DIR       output folder (default: the study's out)\n"
"      --engine E      run every point on engine E (analytic or systemc)\n"
"      --shard I/N     run only the points with id %% N == I; the table goes\n"
"                      to OUT/points.shard-I-of-N.csv (join with qarray merge)\n"
"      --resume        skip points whose result file is already there\n"
"      --no-plot       do not run gnuplot\n"
"      --list          print the points (id and axis values) and exit\n\n"
"Study file (libconfig; paths relative to the working directory):\n"
"  name, out (default results/NAME), arch (required: the base chip),\n"
"  compare = \"pact2018\" (print the paper's claims beside the model),\n"
"  baseline = { axis = value; ... } (speedups are over this point; default\n"
"  bits = 16, first_last = \"same\"), plot = { axis = value; ... } (the\n"
"  slice the figures show), and the axes, one value or a list each (mixed\n"
"  types need a ( ) list); axes not given take the chip's value:\n");
    for (int ax = 0; ax < STUDY_NAXES; ax++)
        fprintf(f, "  %-11s %s\n", study_axis_name((StudyAxis)ax),
                study_axis_help((StudyAxis)ax));
}

static int fail(const Err *e, int code)
{
    err_print(e, stderr);
    return code;
}

static int bad_flag(const char *flag, const char *val, const char *want)
{
    Err e;
    err_set(&e, NULL, 0, flag, "'%s' is not %s", val, want);
    return fail(&e, 2);
}

static int set_out(Study *s, const char *out, Err *e)
{
    if (!out)
        return QA_OK;
    if (!out[0] || strlen(out) >= sizeof s->out_dir)
        return err_set(e, NULL, 0, "--out", "'%s' is not a folder name", out);
    snprintf(s->out_dir, sizeof s->out_dir, "%s", out);
    return QA_OK;
}

/* The comparison and the plots of a finished table. */
static int finish(const Study *s, const char *table, int plots)
{
    Err e;
    if (s->compare[0] && claims_print(s, table, stdout, &e) != QA_OK)
        return fail(&e, 1);
    if (plots) {
        if (plot_study(s, table, "results/plots", &e) != QA_OK)
            return fail(&e, 1);
        printf("plots in %s/plots/\n", s->out_dir);
    }
    return 0;
}

int cli_sweep(int argc, char **argv)
{
    enum { O_ENGINE = 256, O_SHARD, O_RESUME, O_NOPLOT, O_LIST };
    static const struct option opts[] = {
        {"study", required_argument, 0, 's'},
        {"jobs", required_argument, 0, 'j'},
        {"out", required_argument, 0, 'o'},
        {"engine", required_argument, 0, O_ENGINE},
        {"shard", required_argument, 0, O_SHARD},
        {"resume", no_argument, 0, O_RESUME},
        {"no-plot", no_argument, 0, O_NOPLOT},
        {"list", no_argument, 0, O_LIST},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *study = NULL, *out = NULL, *engine = NULL;
    SweepOpts o = {0, 0, 1, 0, 1};
    int plots = 1, list = 0, c;
    long v;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = ncpu > 0 ? (int)ncpu : 1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:j:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'j':
            if (qa_parse_long(optarg, &v) != QA_OK || v < 1 || v > 1024)
                return bad_flag("--jobs", optarg, "a number of jobs 1..1024");
            o.jobs = (int)v;
            break;
        case 'o': out = optarg; break;
        case O_ENGINE: engine = optarg; break;
        case O_SHARD:
            if (study_parse_shard(optarg, &o.shard_i, &o.shard_n) != QA_OK)
                return bad_flag("--shard", optarg, "I/N with 0 <= I < N");
            break;
        case O_RESUME: o.resume = 1; break;
        case O_NOPLOT: plots = 0; break;
        case O_LIST: list = 1; break;
        case 'h': sweep_usage(stdout); return 0;
        default:
            fprintf(stderr, "qarray: sweep: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            sweep_usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "qarray: sweep: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!study) {
        fprintf(stderr, "qarray: sweep: -s STUDY is required\n");
        sweep_usage(stderr);
        return 2;
    }
    Study s;
    Err e;
    if (study_load(&s, study, &e) != QA_OK)
        return fail(&e, 1);
    int rc = 1;
    if ((engine && study_override(&s, STUDY_ENGINE, engine, "--engine", &e) != QA_OK) ||
        set_out(&s, out, &e) != QA_OK || sweep_check(&s, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    if (list) {
        for (int64_t id = 0; id < s.npoints; id++) {
            StudyPoint p;
            study_point(&s, id, &p);
            printf("%lld", (long long)id);
            for (int ax = 0; ax < STUDY_NAXES; ax++)
                if (study_axis_shown(&s, (StudyAxis)ax))
                    printf(" %s=%s", study_axis_name((StudyAxis)ax),
                           p.v[ax]->text);
            putchar('\n');
        }
        rc = 0;
        goto done;
    }
    SweepResult r;
    if (sweep_run(&s, &o, &r, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    printf("%s: %lld points (%lld run, %lld already done) in %.2f s, -j %d "
           "-> %s\n", s.name, (long long)r.points, (long long)r.run,
           (long long)r.skipped, r.seconds, o.jobs, r.table);
    rc = o.shard_n > 1 ? 0 : finish(&s, r.table, plots);
done:
    study_free(&s);
    return rc;
}

int cli_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},
        {"no-plot", no_argument, 0, 'P'},
        {"engine", required_argument, 0, 'E'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *study = NULL, *out = NULL, *engine = NULL;
    int plots = 1, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'o': out = optarg; break;
        case 'P': plots = 0; break;
        case 'E': engine = optarg; break;
        case 'h':
            printf("usage: qarray merge -s STUDY [-o DIR] [--engine E] "
                   "[--no-plot] TABLE...\n"
                   "Join the points tables of the shards of a study "
                   "(OUT/points.shard-I-of-N.csv)\ninto DIR/points.csv "
                   "(DIR: the study's out); every point exactly once.\n"
                   "Then print the comparison and draw the plots like "
                   "qarray sweep.\n--engine: as given to the shards' "
                   "qarray sweep.\n");
            return 0;
        default:
            fprintf(stderr, "qarray: merge: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (!study || optind >= argc) {
        fprintf(stderr, "qarray: merge: -s STUDY and at least one table are "
                        "required (qarray merge --help)\n");
        return 2;
    }
    Study s;
    Err e;
    if (study_load(&s, study, &e) != QA_OK)
        return fail(&e, 1);
    int rc = 1;
    char path[1100];
    if ((engine && study_override(&s, STUDY_ENGINE, engine, "--engine", &e) != QA_OK) ||
        set_out(&s, out, &e) != QA_OK || qa_mkdirs(s.out_dir, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    if (points_merge(&s, argv + optind, argc - optind, path, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    printf("%s: %lld points from %d tables -> %s\n", s.name,
           (long long)s.npoints, argc - optind, path);
    rc = finish(&s, path, plots);
done:
    study_free(&s);
    return rc;
}

int cli_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"study", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},
        {"scripts", required_argument, 0, 'S'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *study = NULL, *out = NULL, *scripts = "results/plots";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': study = optarg; break;
        case 'o': out = optarg; break;
        case 'S': scripts = optarg; break;
        case 'h':
            printf("usage: qarray plot -s STUDY [-o DIR] [--scripts DIR]\n"
                   "Draw the plots of a finished study from DIR/points.csv "
                   "and its layer CSVs\n(DIR: the study's out) with the "
                   "gnuplot scripts in results/plots/: PNG and SVG\n"
                   "in DIR/plots/, beside the data files they read.\n");
            return 0;
        default:
            fprintf(stderr, "qarray: plot: unknown or incomplete option '%s'\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (!study || optind < argc) {
        fprintf(stderr, "qarray: plot: -s STUDY is required and takes no "
                        "other arguments (qarray plot --help)\n");
        return 2;
    }
    Study s;
    Err e;
    if (study_load(&s, study, &e) != QA_OK)
        return fail(&e, 1);
    int rc = 1;
    char path[1100];
    if (set_out(&s, out, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    snprintf(path, sizeof path, "%s/points.csv", s.out_dir);
    if (plot_study(&s, path, scripts, &e) != QA_OK) {
        err_print(&e, stderr);
        goto done;
    }
    printf("plots in %s/plots/\n", s.out_dir);
    rc = 0;
done:
    study_free(&s);
    return rc;
}
