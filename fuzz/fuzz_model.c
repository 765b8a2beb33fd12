/*
 * fuzz_model.c - the model file (model.c's reader): the input is the
 * file, read by rl_model_load. A loaded model is described and labels a
 * few texts, together and one by one, so that whatever the reader let
 * through is used as prediction uses it.
 *
 * A mutated file nearly always fails its CRC-32s, which would keep the
 * fuzzer at the door; so an input that starts with the magic is loaded
 * twice, as it is and then with its size field and both checksums set
 * to match its bytes, which lets mutations reach the sections' parsers.
 */
#include "fuzz.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void use(const rl_model *m)
{
	static const char *const texts[] = {
		"Great food, terrible service",
		"",
		"not good, would not recommend it at all!!",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 42$",
	};
	enum { N = sizeof texts / sizeof *texts };
	char err[512];
	rl_model_info info;
	rl_model_describe(m, &info);
	size_t L = rl_model_n_labels(m);
	FZ_CHECK(L == info.n_labels);
	FZ_CHECK(rl_model_kind(m) != NULL && info.kind != NULL);
	for (size_t i = 0; i < L; i++)
		FZ_CHECK(rl_model_label(m, i) != NULL);
	FZ_CHECK(rl_model_label(m, L) == NULL);
	if (L == 0 || L > 64)
		return;
	int32_t labels[N * 64];
	double conf[N * 64];
	/* The texts together, then each alone (as a file of one review):
	 * a batch whose texts have no known word is a case of its own. */
	for (size_t k = 0; k <= N; k++) {
		size_t n = k == 0 ? N : 1;
		int rc = rl_model_predict(m, k == 0 ? texts : &texts[k - 1],
					  NULL, n, (int)L, labels, conf, err,
					  sizeof err);
		FZ_CHECK(rc == RL_OK || rc == RL_ENOMEM);
		if (rc != RL_OK)
			return;
		for (size_t i = 0; i < n * L; i++) {
			FZ_CHECK(labels[i] >= 0 && (size_t)labels[i] < L);
			/* NaN fails this too. */
			FZ_CHECK(conf[i] >= 0 && conf[i] <= 1);
		}
	}
}

static void load(const uint8_t *data, size_t size)
{
	char err[512] = "";
	rl_model *m = NULL;
	const char *path = fz_write("model.rlm", data, size);
	int rc = rl_model_load(path, &m, err, sizeof err);
	FZ_CHECK((rc == RL_OK) == (m != NULL));
	if (rc == RL_OK)
		use(m);
	else
		FZ_CHECK(rc < 0 && err[0]);
	rl_model_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t magic[8] = {
		0x89, 'R', 'L', 'M', 0x0d, 0x0a, 0x1a, 0x0a
	};
	load(data, size);
	if (size < 36 || memcmp(data, magic, 8))
		return 0;
	uint8_t *d = malloc(size);
	FZ_CHECK(d != NULL);
	memcpy(d, data, size);
	put32(d + 16, (uint32_t)size);
	put32(d + 20, (uint32_t)((uint64_t)size >> 32));
	put32(d + 28, rl_crc32(0, d, 28));
	put32(d + size - 4, rl_crc32(0, d, size - 4));
	if (memcmp(d, data, size))
		load(d, size);
	free(d);
	return 0;
}
