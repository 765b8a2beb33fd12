/*
 * model.h - inside the model object (model.c): a predictor, the scratch
 * one thread labels texts with, kept across calls so that its tokenizer's
 * word cache stays warm over a whole file (predict.c).
 */
#ifndef RL_MODEL_H
#define RL_MODEL_H

#include "internal.h"

typedef struct rl_predictor rl_predictor;

/* A predictor for m, which must outlive it. RL_ENOMEM. */
int rl_predictor_new(const rl_model *m, rl_predictor **out);
void rl_predictor_free(rl_predictor *p);

/* rl_model_predict with p's scratch: same arguments, results, errors. */
int rl_predictor_run(rl_predictor *p, const char *const *texts,
		     const size_t *lens, size_t n, int top, int32_t *labels,
		     double *conf, char *err, size_t errlen);

/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32): folds p[0..n) into
 * crc; start from 0. The model file's checksum. */
uint32_t rl_crc32(uint32_t crc, const void *p, size_t n);

#endif /* RL_MODEL_H */
