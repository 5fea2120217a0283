/*
 * Tests of kmeans.c: three separated blobs recovered exactly, the inertia
 * non-increasing over the Lloyd iterations, determinism for a seed, the
 * silhouette, invalid arguments, and every allocation failure returning
 * PGL_ERR_NOMEM without a leak (AddressSanitizer reports leaks).
 */
#include "kmeans.h"
#include "testenv.h"
#include "unit.h"

#define N 600
#define P 2
#define K 3

static double X[N * P]; /* column-major */
static int	  blob[N];

static double losses[1000];
static int	  n_losses;

static void
record_progress(void *arg, int iter, int max_iter, double loss)
{
	(void) arg;
	(void) max_iter;
	if (iter - 1 < 1000)
		losses[iter - 1] = loss;
	n_losses = iter;
}

static void
make_blobs(void)
{
	static const double cx[K] = {0, 10, 0}, cy[K] = {0, 0, 10};

	for (int i = 0; i < N; i++)
	{
		blob[i] = i % K;
		X[i] = cx[blob[i]] + nrand();
		X[i + N] = cy[blob[i]] + nrand();
	}
}

int
main(void)
{
	counters		  c;
	pgl_env			  env = make_env(&c);
	pgl_kmeans_params kp = {K, 100, 0.0, 7, NULL, 0};
	double			  C[K * P], C2[K * P], inertia, inertia2, sil;
	int32_t			  it, it2, label[N];
	pgl_status		  st;
	int				  map[K] = {-1, -1, -1};
	bool			  exact = true, mono = true;

	make_blobs();
	memset(&st, 0, sizeof(st));
	env.progress = record_progress;
	OK(pgl_kmeans_fit(&env, X, N, N, P, &kp, C, &it, &inertia, &st) == PGL_OK, "fit: %s", st.msg);
	OK(c.interrupts >= it, "interrupts checked (%d for %d iterations)", c.interrupts, it);
	OK(pgl_kmeans_assign(&env, C, K, P, X, N, N, label, NULL, &st) == PGL_OK, "assign");
	for (int i = 0; i < N; i++)
	{
		if (map[blob[i]] < 0)
			map[blob[i]] = label[i];
		exact &= map[blob[i]] == label[i];
	}
	OK(exact && map[0] != map[1] && map[0] != map[2] && map[1] != map[2],
	   "the blobs are recovered exactly");
	for (int b = 0; b < K; b++)
	{
		const double cx[K] = {0, 10, 0}, cy[K] = {0, 0, 10};

		OK(fabs(C[map[b] * P] - cx[b]) < 0.3 && fabs(C[map[b] * P + 1] - cy[b]) < 0.3,
		   "centroid of blob %d near its centre (%.3f, %.3f)", b, C[map[b] * P], C[map[b] * P + 1]);
	}
	for (int i = 1; i < n_losses && i < 1000; i++)
		mono &= losses[i] <= losses[i - 1] * (1 + 1e-12);
	OK(n_losses == it && mono, "inertia non-increasing over %d iterations", n_losses);
	NEAR(losses[n_losses - 1], inertia, 1e-12, "final inertia %.6g reported", inertia);

	/* overlapping data: many iterations, still monotone */
	{
		static double	  U[N * P];
		double			  Cu[6 * P], in;
		int32_t			  its;
		pgl_kmeans_params ku = {6, 200, 0.0, 11, NULL, 0};

		for (int i = 0; i < N * P; i++)
			U[i] = urand();
		n_losses = 0;
		mono = true;
		OK(pgl_kmeans_fit(&env, U, N, N, P, &ku, Cu, &its, &in, &st) == PGL_OK, "uniform fit");
		for (int i = 1; i < n_losses && i < 1000; i++)
			mono &= losses[i] <= losses[i - 1] * (1 + 1e-12);
		OK(its > 3 && mono, "uniform data: inertia non-increasing over %d iterations", its);
	}

	OK(pgl_kmeans_fit(&env, X, N, N, P, &kp, C2, &it2, &inertia2, &st) == PGL_OK &&
		   memcmp(C, C2, sizeof(C)) == 0 && it == it2 && inertia == inertia2,
	   "same seed, same centroids");

	OK(pgl_kmeans_silhouette(&env, X, N, N, P, label, K, 1, &sil, &st) == PGL_OK && sil > 0.7,
	   "silhouette %.3f of separated blobs", sil);
	{
		int32_t one[N] = {0};

		OK(pgl_kmeans_silhouette(&env, X, N, N, P, one, 1, 1, &sil, &st) == PGL_OK && isnan(sil),
		   "silhouette of one cluster is NaN");
	}

	/* a blob of identical points with more clusters than distinct points */
	{
		double			  Y[10] = {1, 1, 1, 1, 1, 2, 2, 2, 2, 2}; /* 10 rows, p = 1 */
		double			  Cy[4], in;
		int32_t			  its;
		pgl_kmeans_params kq = {4, 50, 1e-4, 3, NULL, 0};

		OK(pgl_kmeans_fit(&env, Y, 10, 10, 1, &kq, Cy, &its, &in, &st) == PGL_OK && in == 0.0,
		   "k above the distinct points: re-seeded empty clusters, inertia 0");
	}

	/* invalid arguments */
	kp.k = 0;
	OK(pgl_kmeans_fit(&env, X, N, N, P, &kp, C, &it, &inertia, &st) == PGL_ERR_INVALID,
	   "k = 0 refused");
	kp.k = N + 1;
	OK(pgl_kmeans_fit(&env, X, N, N, P, &kp, C, &it, &inertia, &st) == PGL_ERR_INVALID,
	   "k > n refused");
	kp.k = K;

	/* every allocation failing in turn */
	{
		int	 total, bad = 0;
		bool all_nomem = true;

		c.allocs = 0;
		c.fail_at = 1 << 30; /* count only */
		pgl_kmeans_fit(&env, X, N, N, P, &kp, C, &it, &inertia, &st);
		pgl_kmeans_silhouette(&env, X, N, N, P, label, K, 1, &sil, &st);
		total = c.allocs;
		for (int f = 0; f < total; f++)
		{
			pgl_rc rc1, rc2;

			c.allocs = 0;
			c.fail_at = f;
			rc1 = pgl_kmeans_fit(&env, X, N, N, P, &kp, C, &it, &inertia, &st);
			rc2 = c.allocs > f ? PGL_ERR_NOMEM
							   : pgl_kmeans_silhouette(&env, X, N, N, P, label, K, 1, &sil, &st);
			if (rc1 != PGL_ERR_NOMEM && rc2 != PGL_ERR_NOMEM)
			{
				all_nomem = false;
				bad = f;
			}
		}
		c.fail_at = -1;
		OK(total > 0 && all_nomem, "each of %d allocation failures returns NOMEM (bad %d)", total,
		   bad);
	}
	/* a seeding sample given by the caller (training draws it in SQL) */
	{
		double			 *S = malloc(sizeof(double) * N * P);
		double			  C3[K * P], C4[K * P], in3;
		int32_t			  it3;
		pgl_kmeans_params ks = {K, 100, 0.0, 7, NULL, 0};
		bool			  same = true;

		for (int i = 0; i < N; i++)
			for (int j = 0; j < P; j++)
				S[i * P + j] = X[i + j * N];
		ks.sample = S;
		ks.sample_rows = N;
		OK(pgl_kmeans_fit(&env, X, N, N, P, &ks, C3, &it3, &in3, &st) == PGL_OK,
		   "fit with a given sample: %s", st.msg);
		NEAR(in3, inertia, 1e-9, "the same clustering of the blobs (inertia %.6g)", in3);
		OK(pgl_kmeans_seed(&env, S, N, P, K, 7, C4, &st) == PGL_OK, "pgl_kmeans_seed");
		/* the first centroid of the fit moved from its seed; the seeds are rows of S */
		for (int c = 0; c < K; c++)
		{
			bool found = false;

			for (int i = 0; i < N && !found; i++)
				found = S[i * P] == C4[c * P] && S[i * P + 1] == C4[c * P + 1];
			same &= found;
		}
		OK(same, "pgl_kmeans_seed picks rows of the sample");
		ks.sample_rows = K - 1;
		OK(pgl_kmeans_fit(&env, X, N, N, P, &ks, C3, &it3, &in3, &st) == PGL_ERR_INVALID,
		   "a sample smaller than k is refused: %s", st.msg);
		OK(pgl_kmeans_seed(&env, S, K - 1, P, K, 7, C4, &st) == PGL_ERR_INVALID,
		   "pgl_kmeans_seed refuses k > rows");
		free(S);
	}
	return unit_done();
}
