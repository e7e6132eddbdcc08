/* net.c: the layer array of a network, its totals and the bit policies.
 *
 * Layers are stored in execution order and name their producers by index,
 * so a producer always has a smaller id than its consumers; net_add
 * enforces it, and net_apply_bits relies on it to settle bits in one
 * backward pass. */
#include "workloads/net.h"

#include <stdlib.h>
#include <string.h>

#define NET_FINAL_OUT_BITS 16 /* logits leave the chip at the base precision */

void net_init(Net *net, const char *name)
{
    memset(net, 0, sizeof *net);
    snprintf(net->name, sizeof net->name, "%s", name ? name : "");
}

void net_free(Net *net)
{
    free(net->layers);
    net->layers = NULL;
    net->n = net->cap = 0;
}

static int check_producer(const Net *net, const Layer *l, int slot, Err *e)
{
    int id = l->in[slot];
    if (id < LAYER_NO_INPUT || id >= net->n)
        return err_set(e, NULL, 0, l->name,
                       "in[%d] = %d is not an earlier layer (0..%d) or -1",
                       slot, id, net->n - 1);
    return QA_OK;
}

int net_add(Net *net, const Layer *l, Err *e)
{
    Layer copy = *l;
    if (layer_finish(&copy, e))
        return QA_ERR;
    if (layer_inputs(&copy) < 2)
        copy.in[1] = LAYER_NO_INPUT;
    if (check_producer(net, &copy, 0, e) ||
        (layer_inputs(&copy) == 2 && check_producer(net, &copy, 1, e)))
        return QA_ERR;
    if (net->n == net->cap) {
        int cap = net->cap ? 2 * net->cap : 16;
        Layer *grown = qa_realloc(net->layers, (size_t)cap * sizeof *grown);
        if (!grown)
            return err_set(e, NULL, 0, copy.name, "out of memory");
        net->layers = grown;
        net->cap = cap;
    }
    net->layers[net->n] = copy;
    return net->n++;
}

void net_set_batch(Net *net, int batch)
{
    for (int i = 0; i < net->n; i++)
        net->layers[i].N = batch;
}

int net_reads(const Layer *l, int id)
{
    return l->in[0] == id || (layer_inputs(l) == 2 && l->in[1] == id);
}

int net_last_use(const Net *net, int id)
{
    for (int j = net->n - 1; j > id; j--)
        if (net_reads(&net->layers[j], id))
            return j;
    return -1;
}

int net_find(const Net *net, const char *name)
{
    for (int i = 0; i < net->n; i++)
        if (!strcmp(net->layers[i].name, name))
            return i;
    return -1;
}

int64_t net_macs(const Net *net)
{
    int64_t sum = 0;
    for (int i = 0; i < net->n; i++)
        sum += layer_macs(&net->layers[i]);
    return sum;
}

int64_t net_weights(const Net *net)
{
    int64_t sum = 0;
    for (int i = 0; i < net->n; i++)
        sum += layer_weights(&net->layers[i]);
    return sum;
}

int net_array_layers(const Net *net)
{
    int count = 0;
    for (int i = 0; i < net->n; i++)
        count += layer_on_array(&net->layers[i]);
    return count;
}

static int check_bits(const char *field, int bits, int zero_ok, Err *e)
{
    if ((zero_ok && bits == 0) || (bits >= 1 && bits <= 16))
        return QA_OK;
    return err_set(e, NULL, 0, field, "%d bits, must be in 1..16%s", bits,
                   zero_ok ? " (or 0 for the default)" : "");
}

int net_apply_bits(Net *net, const BitPolicy *p, Err *e)
{
    if (check_bits("w_bits", p->w_bits, 0, e) ||
        check_bits("a_bits", p->a_bits, 0, e) ||
        check_bits("first_last_bits", p->first_last_bits, 1, e) ||
        check_bits("shortcut_bits", p->shortcut_bits, 1, e))
        return QA_ERR;

    int first = -1, last = -1;
    for (int i = 0; i < net->n; i++)
        if (layer_on_array(&net->layers[i])) {
            if (first < 0)
                first = i;
            last = i;
        }

    /* Array layers first: their bits come from the policy alone. The
     * first/last rule wins over the shortcut rule (no ResNet has both). */
    for (int i = 0; i < net->n; i++) {
        Layer *l = &net->layers[i];
        if (!layer_on_array(l))
            continue;
        l->w_bits = p->w_bits;
        l->a_bits = p->a_bits;
        if (l->shortcut && p->shortcut_bits)
            l->w_bits = l->a_bits = p->shortcut_bits;
        if ((i == first || i == last) && p->first_last_bits)
            l->w_bits = l->a_bits = p->first_last_bits;
        /* A matmul's second operand is an activation too. */
        if (l->op == OP_MATMUL)
            l->w_bits = l->a_bits;
    }

    /* Then backwards: every consumer of layer i has a larger id, so its
     * a_bits are final when i is reached (pool/add consumers included). */
    for (int i = net->n - 1; i >= 0; i--) {
        Layer *l = &net->layers[i];
        int o_bits = 0;
        for (int j = i + 1; j < net->n; j++)
            if (net_reads(&net->layers[j], i))
                o_bits = QA_MAX(o_bits, net->layers[j].a_bits);
        l->o_bits = o_bits ? o_bits : NET_FINAL_OUT_BITS;
        if (!layer_on_array(l)) {
            l->w_bits = 0;
            l->a_bits = l->o_bits;
        }
    }
    return QA_OK;
}
