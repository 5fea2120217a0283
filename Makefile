# pg_learn: machine learning inside PostgreSQL
EXTENSION = pg_learn
EXTVERSION = 0.3.0
MODULE_big = pg_learn

ALGO_OBJS = $(patsubst %.c,%.o,$(wildcard src/algo/*.c))
TEXT_OBJS = $(patsubst %.c,%.o,$(wildcard src/text/*.c))
ONNX_OBJS = $(patsubst %.c,%.o,$(wildcard src/onnx/*.c))
FC_OBJS = $(patsubst %.c,%.o,$(wildcard src/forecast/*.c))
CHART_OBJS = $(patsubst %.c,%.o,$(wildcard src/chart/*.c))
GLUE_OBJS = $(patsubst %.c,%.o,$(wildcard src/*.c src/jobs/*.c))
OBJS = $(GLUE_OBJS) $(ALGO_OBJS) $(TEXT_OBJS) $(ONNX_OBJS) $(CHART_OBJS) $(FC_OBJS)

DATA = $(EXTENSION)--$(EXTVERSION).sql $(EXTENSION)--0.1.0.sql $(EXTENSION)--0.2.0.sql $(EXTENSION)--0.1.0--0.2.0.sql $(EXTENSION)--0.2.0--0.3.0.sql
PGFILEDESC = "pg_learn - train and serve machine-learning models in PostgreSQL"

REGRESS = catalog linear logistic predict evaluate errors recommend recommend_auto aggregates kmeans transfer explain aggregate_training anonymous_rows fused_prep softmax_grad importance quantize jobs neural_net quantize_nn options versions classifier pipeline trees search recommend_search distribute column_types nn_sequence nn_attention text nn_distill nn_text nn_prune onnx chart anomaly onnx_export drift forecast autoencoder
REGRESS_OPTS = --inputdir=sql --outputdir=. --load-extension=$(EXTENSION)

BLAS_INC ?= /usr/include/x86_64-linux-gnu/openblas-pthread
PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/algo -I$(srcdir)/src/text -I$(srcdir)/src/chart -I$(srcdir)/src/forecast -I$(BLAS_INC)
# -Wall -Wextra, less the unused-parameter warnings that PostgreSQL's own
# headers trigger under -Wextra (static inline functions); C11 lets
# declarations follow statements, which PGXS's flags warn of.
PG_CFLAGS = -O3 -std=gnu11 -Wextra -Wno-unused-parameter -Wno-declaration-after-statement
SHLIB_LINK = -lm -lpthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# src/algo never sees postgres.h: compile it with its own flags
src/algo/%.o: src/algo/%.c $(wildcard src/algo/*.h)
	$(CC) -O3 -g -fno-omit-frame-pointer -fno-math-errno -fno-trapping-math $(CFLAGS_SL) -std=c11 -D_GNU_SOURCE -Wall -Wextra -I$(srcdir)/src/algo -I$(BLAS_INC) -c -o $@ $<

# src/text likewise (it includes src/algo's pgl_algo.h only)
src/text/%.o: src/text/%.c $(wildcard src/text/*.h) $(wildcard src/algo/*.h)
	$(CC) -O3 -g -fno-omit-frame-pointer -fno-math-errno -fno-trapping-math $(CFLAGS_SL) -std=c11 -D_GNU_SOURCE -Wall -Wextra -I$(srcdir)/src/algo -I$(srcdir)/src/text -c -o $@ $<

$(GLUE_OBJS): $(wildcard src/*.h src/jobs/*.h) $(wildcard src/algo/*.h) $(wildcard src/text/*.h) $(wildcard src/chart/*.h) $(wildcard src/onnx/*.h) $(wildcard src/forecast/*.h)

# src/onnx likewise (pure C: the ONNX runtime).  Every subsystem's objects
# depend on all of src/algo's headers: the exporter reads nn_internal.h's
# layers, and an object built against an older layout reads the wrong fields.
src/onnx/%.o: src/onnx/%.c $(wildcard src/onnx/*.h) $(wildcard src/algo/*.h)
	$(CC) -O3 -g -fno-omit-frame-pointer -fno-math-errno -fno-trapping-math $(CFLAGS_SL) -std=c11 -D_GNU_SOURCE -Wall -Wextra -I$(srcdir)/src/algo -I$(srcdir)/src/onnx -I$(BLAS_INC) -c -o $@ $<

# src/chart likewise (pure C: SVG charts)
src/chart/%.o: src/chart/%.c $(wildcard src/chart/*.h) $(wildcard src/algo/*.h)
	$(CC) -O2 -g -fno-omit-frame-pointer $(CFLAGS_SL) -std=c11 -D_GNU_SOURCE -Wall -Wextra -I$(srcdir)/src/algo -I$(srcdir)/src/chart -c -o $@ $<

# src/forecast likewise (pure C: the forecasting methods)
src/forecast/%.o: src/forecast/%.c $(wildcard src/forecast/*.h) $(wildcard src/algo/*.h)
	$(CC) -O3 -g -fno-omit-frame-pointer -fno-math-errno -fno-trapping-math $(CFLAGS_SL) -std=c11 -D_GNU_SOURCE -Wall -Wextra -I$(srcdir)/src/algo -I$(srcdir)/src/forecast -c -o $@ $<

# the launcher library (shared_preload_libraries) is built by its own
# Makefile: PGXS builds one MODULE_big per Makefile
all: launcher-lib
launcher-lib:
	$(MAKE) -C src/launcher PG_CONFIG=$(PG_CONFIG)
install: launcher-install
launcher-install:
	$(MAKE) -C src/launcher PG_CONFIG=$(PG_CONFIG) install
clean: launcher-clean
launcher-clean:
	$(MAKE) -C src/launcher PG_CONFIG=$(PG_CONFIG) clean
.PHONY: launcher-lib launcher-install launcher-clean

unitcheck:
	$(MAKE) -C test/unit check

.PHONY: unitcheck
