/*-------------------------------------------------------------------------
 *
 * nn_vae.c
 *	  Variational autoencoders: the "sample" layer (the reparameterization
 *	  of a latent mean and log-variance, and the gradient of its KL term),
 *	  and the generation of synthetic rows through the decoder (the layers
 *	  after it).
 *
 * The glue (nn_train.c, "variational": true) doubles the units of the
 * latent dense layer and puts a sample layer after it; the loss is the
 * mean squared reconstruction error plus
 *
 *	  vae_beta / (n_out n) sum_rows sum_j (exp(lv_j) + mu_j^2 - 1 - lv_j)
 *
 * that is beta times the KL divergence of N(mu, exp(lv)) from N(0, I),
 * scaled by 2 / n_out as the mean squared error is (the ELBO of a decoder
 * of unit variance on standardized inputs).  In inference the layer
 * passes the mean, so a variational autoencoder scores rows as a plain one.
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"
#include "prep.h"

#include <math.h>
#include <string.h>

/* the log-variance is clamped here, so that exp stays finite in float32 */
#define VAE_LV_MAX 20.0f

static inline float
clamp_lv(float v)
{
	return v > VAE_LV_MAX ? VAE_LV_MAX : v < -VAE_LV_MAX ? -VAE_LV_MAX : v;
}

bool
nn_vae_owns(int32_t type)
{
	return type == PGL_NN_SAMPLE;
}

pgl_rc
nn_vae_infer(nn_layer *l, int i, pgl_rc rc, pgl_status *st)
{
	if (i == 0)
		return nn_layer_fail(st, rc, i, l, "sample cannot be the first layer");
	if (l->in_ndim != 1 || l->in_size % 2 != 0)
		return nn_layer_fail(st, rc, i, l,
							 "sample needs a flat input of 2Z values: the latent mean, then "
							 "the log-variance");
	l->out_ndim = 1;
	l->out_h = 1;
	l->out_w = 1;
	l->out_c = (int32_t) (l->in_size / 2);
	l->n_w = 0;
	l->n_b = 0;
	l->work_per_row = l->out_c; /* the noise of the last training forward */
	return PGL_OK;
}

void
nn_vae_forward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, bool training)
{
	int32_t Z = l->out_c;

	for (int32_t r = 0; r < n; r++)
	{
		const float *mu = in + (int64_t) r * 2 * Z, *lv = mu + Z;
		float		*z = l->out + (int64_t) r * Z, *eps = l->work + (int64_t) r * Z;

		for (int32_t j = 0; j < Z; j++)
		{
			if (!training)
			{
				z[j] = mu[j];
				continue;
			}
			eps[j] = (float) nn_rng_normal(&net->rng);
			z[j] = mu[j] + expf(0.5f * clamp_lv(lv[j])) * eps[j];
		}
	}
}

void
nn_vae_backward(pgl_nn *net, nn_layer *l, const float *in, int32_t n, const float *d, float *din)
{
	int32_t Z = l->out_c;
	float	w = (float) (net->spec.vae_beta / ((double) net->spec.n_out * n));

	if (din == NULL)
		return;
	for (int32_t r = 0; r < n; r++)
	{
		const float *mu = in + (int64_t) r * 2 * Z, *lv = mu + Z;
		const float *dz = d + (int64_t) r * Z, *eps = l->work + (int64_t) r * Z;
		float		*dmu = din + (int64_t) r * 2 * Z, *dlv = dmu + Z;

		for (int32_t j = 0; j < Z; j++)
		{
			float v = clamp_lv(lv[j]), e = expf(v);

			dmu[j] = dz[j] + w * 2.0f * mu[j];
			/* clamped: no gradient through the clamp */
			dlv[j] = v == lv[j] ? dz[j] * eps[j] * 0.5f * sqrtf(e) + w * (e - 1.0f) : 0.0f;
		}
	}
}

double
nn_vae_kl(const pgl_nn *net, int32_t n)
{
	double kl = 0;
	bool   any = false;

	for (int32_t i = 1; i < net->L; i++)
	{
		const nn_layer *l = &net->layer[i];
		int32_t			Z = l->out_c;

		if (l->s.type != PGL_NN_SAMPLE)
			continue;
		any = true;
		for (int32_t r = 0; r < n; r++)
		{
			const float *mu = net->layer[i - 1].out + (int64_t) r * 2 * Z, *lv = mu + Z;

			for (int32_t j = 0; j < Z; j++)
			{
				double v = clamp_lv(lv[j]);

				kl += exp(v) + (double) mu[j] * mu[j] - 1.0 - v;
			}
		}
	}
	return any && n > 0 ? net->spec.vae_beta * kl / ((double) net->spec.n_out * n) : 0.0;
}

/* the index of the sample layer in the model's architecture, or -1 */
static int32_t
sample_layer(const pgl_model *m, int32_t *Z)
{
	const pgl_tensor *arch = pgl_model_tensor(m, "nn_arch");

	if (arch == NULL || arch->dtype != PGL_I32 || arch->ndim != 2)
		return -1;
	for (int64_t i = 1; i < arch->dims[0]; i++)
	{
		const int32_t *a = (const int32_t *) arch->data + i * arch->dims[1];

		if (a[0] == PGL_NN_SAMPLE)
		{
			/* the units of the latent dense layer before it are 2Z */
			*Z = ((const int32_t *) arch->data)[(i - 1) * arch->dims[1] + 2] / 2;
			return (int32_t) i;
		}
	}
	return -1;
}

int32_t
pgl_nn_latent_size(const pgl_model *m)
{
	int32_t Z = 0;

	return sample_layer(m, &Z) >= 0 ? Z : 0;
}

pgl_rc
pgl_nn_generate(const pgl_env *env, const pgl_model *m, int64_t n, uint64_t seed, double *out,
				pgl_status *st)
{
	const pgl_tensor *mu = pgl_model_tensor(m, "nn_mu"), *sd = pgl_model_tensor(m, "nn_sd");
	int32_t			  Z = 0, s = sample_layer(m, &Z);
	int32_t			  chunk = n < 256 ? (int32_t) (n > 0 ? n : 1) : 256;
	uint64_t		  rng = seed ^ 0x94D049BB133111EBULL;
	pgl_nn			 *net;
	float			 *z;
	pgl_rc			  rc;

	if (s < 0)
		return pgl_fail(st, PGL_ERR_INVALID, "the model is not a variational autoencoder");
	if (mu == NULL || sd == NULL)
		return pgl_fail(st, PGL_ERR_INVALID, "the model does not read ordinary columns");
	if (n <= 0)
		return PGL_OK;
	rc = pgl_nn_from_model(env, m, chunk, &net, st);
	if (rc != PGL_OK)
		return rc;
	z = pgl_alloc(env, sizeof(float) * (size_t) chunk * (size_t) Z);
	if (z == NULL)
	{
		pgl_nn_destroy(env, net);
		return pgl_fail(st, PGL_ERR_NOMEM, "out of memory");
	}
	for (int64_t r0 = 0; r0 < n && rc == PGL_OK; r0 += chunk)
	{
		int32_t		 nb = (int32_t) (n - r0 < chunk ? n - r0 : chunk);
		int32_t		 k = net->spec.n_out;
		const float *o;

		if (r0 > 0)
			pgl_interrupts(env);
		for (int64_t i = 0; i < (int64_t) nb * Z; i++)
			z[i] = (float) nn_rng_normal(&rng);
		o = nn_forward_from(net, s + 1, z, nb);
		for (int64_t i = 0; i < (int64_t) nb * k && rc == PGL_OK; i++)
		{
			int32_t j = (int32_t) (i % k);

			out[r0 * k + i] =
				o[i] * ((const double *) sd->data)[j] + ((const double *) mu->data)[j];
			if (!isfinite(out[r0 * k + i]))
				rc = pgl_fail(st, PGL_ERR_NUMERIC, "generated row %lld is not finite",
							  (long long) (r0 + i / k + 1));
		}
	}
	pgl_free(env, z);
	pgl_nn_destroy(env, net);
	return rc;
}
