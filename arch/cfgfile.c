/* cfgfile.c: libconfig file reading with file:line errors. */
#include "arch/cfgfile.h"

int cfgfile_read(config_t *cfg, const char *path, const char *what, Err *e)
{
    /* libconfig reports a missing file as a syntax error on line 0; say
     * what really happened. */
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(e, path, 0, NULL, "cannot open %s", what);
    fclose(f);
    config_init(cfg);
    if (!config_read_file(cfg, path)) {
        err_set(e, path, config_error_line(cfg), NULL, "syntax error: %s",
                config_error_text(cfg));
        config_destroy(cfg);
        return QA_ERR;
    }
    return QA_OK;
}
