/* cfgfile.h: open and parse one libconfig file with qarray's errors, for
 * every loader under arch/ (architectures, studies). A missing file or a
 * syntax error becomes "file:line: message"; the caller walks the tree. */
#ifndef CFGFILE_H
#define CFGFILE_H

#include <libconfig.h>

#include "arch/qa.h"

/* Initialize cfg and read path into it. On success the caller must
 * config_destroy(cfg); on failure cfg is already destroyed. `what` names
 * the kind of file in the message ("architecture file"). */
int cfgfile_read(config_t *cfg, const char *path, const char *what, Err *e);

#endif
