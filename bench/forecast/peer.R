# bench/forecast/peer.R: R's forecast package (ets, auto.arima with their
# defaults) on the series of gen.py, one process.
#
#   Rscript bench/forecast/peer.R CSV NFIT H OUT [LIMIT]
#
# Fits the first NFIT points of each series (the first LIMIT series, default
# all), forecasts H steps with 95% intervals; OUT gets method,id,h,mean,lo,hi.
# Prints the time of each method (fit + forecast), elapsed and CPU (user +
# system: the figure to use on a loaded machine), in total and per series.
args <- commandArgs(trailingOnly = TRUE)
csv <- args[1]
nfit <- as.integer(args[2])
h <- as.integer(args[3])
out <- args[4]
limit <- if (length(args) > 4) as.integer(args[5]) else .Machine$integer.max
suppressMessages(library(forecast))
d <- read.csv(csv)
by_id <- split(d, d$id)
by_id <- by_id[order(as.integer(names(by_id)))]
by_id <- by_id[seq_len(min(limit, length(by_id)))]
elapsed <- c(ets = 0, arima = 0)
cpu <- c(ets = 0, arima = 0)
cpu_now <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
rows <- vector("list", 2 * length(by_id))
k <- 0
for (s in by_id) {
  id <- s$id[1]
  y <- ts(s$y[seq_len(nfit)], frequency = s$m[1])
  for (meth in c("ets", "arima")) {
    t0 <- proc.time()[["elapsed"]]
    c0 <- cpu_now()
    fit <- if (meth == "ets") ets(y) else auto.arima(y)
    fc <- forecast(fit, h = h, level = 95)
    elapsed[meth] <- elapsed[meth] + proc.time()[["elapsed"]] - t0
    cpu[meth] <- cpu[meth] + cpu_now() - c0
    k <- k + 1
    rows[[k]] <- data.frame(method = meth, id = id, h = seq_len(h),
                            mean = as.numeric(fc$mean), lo = as.numeric(fc$lower[, 1]),
                            hi = as.numeric(fc$upper[, 1]))
  }
  if (k %% 50 == 0)
    message(sprintf("%d series, %.1f s elapsed", k / 2, sum(elapsed)))
}
write.csv(do.call(rbind, rows), out, row.names = FALSE, quote = FALSE)
n <- length(by_id)
for (meth in names(elapsed))
  cat(sprintf(paste("R %s: %d series of %d points, 1 process: %.3f s elapsed, %.3f s CPU",
                    "(%.2f ms CPU per series)\n"),
              meth, n, nfit, elapsed[meth], cpu[meth], 1000 * cpu[meth] / n))
