/* policy.c: per-layer quantization policy lookup. */
#include "quant/policy.h"
#include "quant/quantizer.h"

#include <stdio.h>
#include <string.h>

static void set_spec(QLayerSpec *s, const char *wm, const char *am, int wb, int ab)
{
    memset(s, 0, sizeof *s);
    snprintf(s->w_method, sizeof s->w_method, "%s", wm);
    snprintf(s->a_method, sizeof s->a_method, "%s", am);
    s->w_bits = wb;
    s->a_bits = ab;
}

void q_policy_init(QPolicy *p, int w_bits, int a_bits)
{
    memset(p, 0, sizeof *p);
    set_spec(&p->def, "sawb", "pact", w_bits, a_bits);
    p->first_last_bits = 8;
}

void q_policy_from_bits(QPolicy *p, const BitPolicy *bp)
{
    q_policy_init(p, bp->w_bits, bp->a_bits);
    p->first_last_bits = bp->first_last_bits;
    p->shortcut_bits = bp->shortcut_bits >= 16 ? Q_BITS_FP : bp->shortcut_bits;
}

static int bits_ok(int b)
{
    return Q_BITS_VALID(b) || b == Q_BITS_FP;
}

int q_policy_override(QPolicy *p, const char *layer, const QLayerSpec *s, Err *e)
{
    if (p->n_over >= Q_POLICY_MAX_OVERRIDES)
        return err_set(e, NULL, 0, "override", "more than %d overrides",
                       Q_POLICY_MAX_OVERRIDES);
    if (!bits_ok(s->w_bits) || !bits_ok(s->a_bits))
        return err_set(e, NULL, 0, "bits", "layer %s: bits must be 1..8, 16 or %d",
                       layer, Q_BITS_FP);
    if (!q_find(s->w_method) || !q_find(s->a_method))
        return err_set(e, NULL, 0, "method", "layer %s: unknown method '%s'", layer,
                       q_find(s->w_method) ? s->a_method : s->w_method);
    QOverride *o = &p->over[p->n_over++];
    snprintf(o->layer, sizeof o->layer, "%s", layer);
    o->spec = *s;
    return QA_OK;
}

QLayerSpec q_policy_layer(const QPolicy *p, int index, const char *name,
                          int n_array, int is_shortcut)
{
    char idx[16];
    snprintf(idx, sizeof idx, "%d", index);
    for (int i = p->n_over - 1; i >= 0; i--) /* the last rule wins */
        if ((name && !strcmp(p->over[i].layer, name)) || !strcmp(p->over[i].layer, idx))
            return p->over[i].spec;
    QLayerSpec s = p->def;
    if (is_shortcut && p->shortcut_bits) {
        s.w_bits = s.a_bits = p->shortcut_bits;
    } else if ((index == 0 || index == n_array - 1) && p->first_last_bits) {
        s.w_bits = s.a_bits = p->first_last_bits;
    }
    return s;
}
