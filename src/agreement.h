/*
 * agreement.h - the kernels of labelling as a team (agreement.c): how
 * the answers of several annotators on a review become its hand labels,
 * and how far annotators agree (Cohen's kappa, Krippendorff's alpha).
 * Flat arrays in, numbers out; no SQLite. The stage layer
 * (stage_agreement.c, seeds.c) loads the annotations and calls these.
 */
#ifndef RL_AGREEMENT_H
#define RL_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

/* ---- resolving a review's answers into its hand labels ---- */

/* A single-label store's review: answer k (oldest first, k < n) is
 * label[k] < n_labels given by annotator coder[k] < n_coders. Each
 * annotator's vote is their last answer; the label with the most votes
 * wins, and among labels tied for the most, the one whose last vote came
 * last. *out gets the label (-1 when n is 0). RL_ENOMEM or RL_OK. */
int rl_resolve_single(size_t n, const uint32_t *label, const uint32_t *coder,
		      uint32_t n_labels, uint32_t n_coders, int32_t *out);

/* A multi-label store's review: the same answers, each one label an
 * annotator gave (several per annotator). The review's annotators are
 * those with at least one answer (m of them); label l is on, on[l] = 1
 * (on has n_labels slots), when more than m / 2 of them gave it, and at
 * exactly m / 2 when the annotator of the last answer gave it.
 * RL_ENOMEM or RL_OK. */
int rl_resolve_multi(size_t n, const uint32_t *label, const uint32_t *coder,
		     uint32_t n_labels, uint32_t n_coders, uint8_t *on);

/* ---- agreement statistics ---- */

/* A reliability table: the category coder c gave item i is
 * code(d, i, c) = v[i * stride + c], -1 where c did not code i. With
 * pos >= 0 the table is read as binary: 1 where v == pos, 0 for any other
 * category (still -1 where missing). Categories are below cats (2 when
 * binary). */
typedef struct rl_coded {
	const int32_t *v;
	size_t n;		/* items */
	size_t stride;		/* >= coders */
	uint32_t coders;
	uint32_t cats;
	int32_t pos;
} rl_coded;

/* Cohen's kappa of coders a and b over the items both coded: (p_o -
 * p_e) / (1 - p_e), p_o the share of those items they gave the same
 * category, p_e = sum over categories of the product of their two
 * shares. NaN when they share no item or p_e is 1 (both always gave one
 * and the same category), as scikit-learn's cohen_kappa_score. *items and
 * *agree get the counts. RL_ENOMEM or RL_OK. */
int rl_cohen_kappa(const rl_coded *d, uint32_t a, uint32_t b, double *kappa,
		   uint64_t *items, uint64_t *agree);

/* Krippendorff's alpha for nominal data: 1 - (n - 1) * sum over items u
 * with m_u >= 2 coders of (m_u^2 - sum_c n_uc^2) / (m_u - 1), divided by
 * (n^2 - sum_c n_c^2), where n_uc counts the coders who gave item u
 * category c, n_c sums n_uc over those items and n sums n_c. Items one
 * coder coded count for nothing (the usual handling of missing data).
 * NaN when fewer than two values are pairable or all of them are one
 * category. *pairable gets the number of items with m_u >= 2. */
int rl_kripp_alpha(const rl_coded *d, double *alpha, uint64_t *pairable);

/* ---- whom the out-of-fold predictions dispute ---- */

/* Single-label confident learning, the rule of rl_suspect_rank
 * (guide.c): label l's threshold is the mean P[i][l] over the rows given
 * l (given [n], -1 for none; rows whose P row is all zero do not count);
 * conf[i] gets the likeliest label whose probability is positive and at
 * or above its threshold, -1 if none or if row i's P is all zero. An
 * answer l on row i is disputed when conf[i] >= 0 and conf[i] != l.
 * RL_ENOMEM or RL_OK. */
int rl_confident_labels(uint32_t n, uint32_t L, const double *P,
			const int32_t *given, int32_t *conf);

/* Multi-label, the bars of rl_suspect_rank_multi (guide.c): over the
 * rows with hand labels (given[i] >= 0) and a non-zero P row, bar[l] the
 * mean P[i][l] of those carrying l (Y [n][L]), bar[L + l] of those
 * without; judged[l] 1 when both sets are non-empty and bar[l] >
 * bar[L + l]. Then an answer "l" on row i is disputed when P[i][l] <=
 * bar[L + l], a missing l when P[i][l] >= bar[l]. bar has 2 L slots.
 * RL_ENOMEM or RL_OK. */
int rl_label_bars(uint32_t n, uint32_t L, const double *P, const uint8_t *Y,
		  const int32_t *given, double *bar, uint8_t *judged);

#endif /* RL_AGREEMENT_H */
