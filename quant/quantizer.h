/* quantizer.h: the quantizer contract and the name-keyed method table.
 * A Quantizer quantizes one whole float tensor (a layer's weights or
 * activations): forward fake-quant (float -> float), encode (float -> integer
 * codes + scale), and the straight-through backward that a training layer
 * calls with the same input: gradient to x and to the learned parameter
 * alpha (a sum over the elements). No training loop, no simulator here. */
#ifndef QUANTIZER_H
#define QUANTIZER_H

#include "arch/qa.h"
#include "quant/levels.h"

/* Weight normalization's epsilon (APoT eq. 9: "typically 1e-5"). */
#define Q_WN_EPS 1e-5f

/* Bit widths a quantizer may be asked for; methods narrow this further. */
#define Q_BITS_VALID(b) (((b) >= 1 && (b) <= 8) || (b) == 16)

/* What alpha means for a method (QuantOps.alpha_kind). */
enum {
    Q_ALPHA_NONE,    /* no alpha: dorefa; sawb derives it from E|w|, E[w^2] */
    Q_ALPHA_LEARNED, /* learned clip level (pact, cgpact, apot family) or step (lsq) */
    Q_ALPHA_CLIP     /* fixed clip range chosen by calibration (faq) */
};
/* Signs a method supports (QuantOps.signs). */
enum { Q_UNSIGNED = 1, Q_SIGNED = 2 };

typedef struct Quantizer Quantizer;

/* How codes map back to values:
 *   levels == NULL:  x ~= scale * (code - zero_point)
 *   levels != NULL:  x ~= scale * levels[code]       (non-uniform sets)
 * zero_point may be a half-integer (sawb, dorefa: 2^b levels, no zero). */
typedef struct {
    float scale;
    float zero_point;
    const float *levels; /* (n_levels), owned by the Quantizer */
    int n_levels;
    int32_t code_min, code_max; /* the range every code lies in */
} QEncoding;

typedef struct {
    const char *name;
    const char *cite;  /* paper and equation, shown by --help */
    int signs;         /* Q_UNSIGNED | Q_SIGNED */
    int alpha_kind;    /* Q_ALPHA_* */
    int unit_range;    /* output in [-1, 1] whatever the input's scale (dorefa) */
    /* Check bits/sign, build tables. */
    int (*setup)(Quantizer *q, Err *e);
    /* Data-dependent state of this forward (SAWB alpha, DoReFa max|tanh|,
     * FAQ step, weight-normalization statistics, first-batch alpha). */
    int (*prepare)(Quantizer *q, const float *x, size_t n, Err *e);
    /* y (fake-quantized) and/or codes; either may be NULL. */
    void (*forward)(const Quantizer *q, const float *x, float *y,
                    int32_t *codes, size_t n);
    /* gx += dL/dx, *galpha += dL/dalpha (either may be NULL). */
    void (*backward)(const Quantizer *q, const float *x, const float *gy,
                     float *gx, double *galpha, size_t n);
    void (*encoding)(const Quantizer *q, QEncoding *enc);
} QuantOps;

struct Quantizer {
    const QuantOps *ops;
    int bits;
    int is_signed;
    /* Clip level (pact, cgpact, apot/pot/uniform/lloyd), step size (lsq),
     * clip range (faq), or the last SAWB estimate. <= 0 means "not set yet":
     * the next forward initializes it from the data by the method's rule
     * and the caller owns it from then on (a training layer updates it). */
    float alpha;
    int alpha_set;        /* 1 if set by q_set_alpha (faq: skip the std rule) */
    int wn;               /* apot family: weight normalization (APoT eq. 9) */
    float wn_mu, wn_sigma;/* statistics of the last forward when wn */
    float tanh_max;       /* dorefa: max |tanh(w)| of the last forward */
    int l;                /* faq: position of the least significant bit */
    float faq_sigmas;     /* faq weights: clip at this many std devs */
    QLevels lv;           /* level-set methods */
};

/* The method table. */
const QuantOps *q_find(const char *name);
/* "pact|cgpact|..." for usage lines. */
const char *q_method_names(void);
/* i-th table entry, NULL past the end (for listing). */
const QuantOps *q_method_at(int i);

/* Set up a quantizer (one per tensor; it owns its level table, so do not
 * copy the struct, and q_free it once, which is safe after a failed
 * q_init too). Errors: unknown method (field "method"), bits outside
 * 1..8 or 16 or outside what the method supports (field "bits"), a sign the
 * method does not support (field "signed"). dorefa and sawb are weight
 * quantizers and always signed; pact and cgpact always unsigned. */
int q_init(Quantizer *q, const char *method, int bits, int is_signed, Err *e);
/* The alphas a quantizer computes with in float: (2^16 - 1) / alpha and
 * alpha * (2^16 - 1) stay finite (an alpha of 1.2e-38 made the code scale
 * inf and the output NaN). */
#define Q_ALPHA_MIN 1e-30
#define Q_ALPHA_MAX 3e38
/* Set alpha explicitly; must be in Q_ALPHA_MIN..Q_ALPHA_MAX (field
 * "alpha"); rejected for methods with Q_ALPHA_NONE. */
int q_set_alpha(Quantizer *q, float alpha, Err *e);
void q_free(Quantizer *q);

/* Fake-quantize n values: y = Q(x). y may alias x. */
int q_forward(Quantizer *q, const float *x, float *y, size_t n, Err *e);
/* Integer codes of Q(x) and how to read them (see QEncoding). */
int q_encode(Quantizer *q, const float *x, int32_t *codes, size_t n,
             QEncoding *enc, Err *e);
/* Straight-through backward for the x of the last q_forward/q_encode:
 * gx[i] += dL/dx[i] (if gx), *galpha += sum_i dL/dalpha_i (if galpha).
 * Accumulates, like llm.c's backward passes: zero the buffers first. */
void q_backward(const Quantizer *q, const float *x, const float *gy,
                float *gx, double *galpha, size_t n);

/* PACT's L2 regularizer on alpha (PACT sec. 3.1, appendix A.2): returns
 * lambda/2 * alpha^2 for the loss and adds lambda * alpha to *galpha. */
double q_pact_l2(float alpha, float lambda, double *galpha);

/* The ops of each method (q_pact.c, q_dorefa.c, q_sawb.c, q_apot.c,
 * q_faq.c, q_lsq.c). */
extern const QuantOps q_pact_ops, q_cgpact_ops, q_dorefa_ops, q_sawb_ops,
    q_apot_ops, q_pot_ops, q_uniform_ops, q_lloyd_ops, q_faq_ops, q_lsq_ops;

#endif
