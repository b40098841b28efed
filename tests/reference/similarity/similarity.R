# Independent reference values for alliances.covariates.similarity, written from the published formulas.
#
#   Rscript tests/reference/similarity/similarity.R      (from the repository root)
#
# Reads system_levels.csv and system_members.csv (written by make_inputs.py) and writes
# r_similarity.json: for every year, every pair of member states (ccode1 < ccode2) and two
# reference systems ("global": all members that year; "region": the members whose region
# equals either state's region), the four measures. Nothing here is vectorized or shared
# with the Python code: one dyad at a time, base R only (plus jsonlite to write JSON).
#
# Conventions (the same as alliances.covariates.similarity; see its docstring and README.md here):
#   portfolio of state i = its row of the n x n level matrix (levels 0..3, absent = 0),
#     with its tie to itself = 3;
#   S (Signorino and Ritter 1999), absolute distances, Delta = 3:
#     1 - 2 * sum(w * |x - y|) / (3 * sum(w)); w = 1 (unweighted) or CINC, NA weight = 0,
#     NA when sum(w) = 0;
#   kappa (Cohen; Haege 2011), squared distances: 1 - D_o / D_e with
#     D_o = mean((x - y)^2), D_e = sum_a sum_b p_x(a) p_y(b) (a - b)^2 from each state's
#     own distribution of levels (a contingency-table computation); NA when D_e = 0;
#   tau-b (Kendall 1938; Bueno de Mesquita 1975): stats::cor(method = "kendall"), NA when
#     either portfolio is constant;
#   a dyad with a missing region for either state is NA in "region".

suppressPackageStartupMessages(library(jsonlite))

dir <- "tests/reference/similarity"
lev <- read.csv(file.path(dir, "system_levels.csv"))
mem <- read.csv(file.path(dir, "system_members.csv"), na.strings = c("", "NA"),
                stringsAsFactors = FALSE)

LEVELS <- 0:3
SQ <- outer(LEVELS, LEVELS, function(a, b) (a - b)^2)

measures <- function(x, y, w) {
  n <- length(x)
  s_u <- 1 - 2 * sum(abs(x - y)) / (3 * n)
  w0 <- ifelse(is.na(w), 0, w)
  s_w <- if (sum(w0) > 0) 1 - 2 * sum(w0 * abs(x - y)) / (3 * sum(w0)) else NA_real_
  px <- as.numeric(table(factor(x, levels = LEVELS))) / n
  py <- as.numeric(table(factor(y, levels = LEVELS))) / n
  d_e <- sum(outer(px, py) * SQ)
  d_o <- mean((x - y)^2)
  kappa <- if (d_e > 0) 1 - d_o / d_e else NA_real_
  tau <- if (length(unique(x)) > 1 && length(unique(y)) > 1) cor(x, y, method = "kendall") else NA_real_
  c(s_u, s_w, kappa, tau)
}

rows <- list()
for (yr in sort(unique(mem$year))) {
  m <- mem[mem$year == yr, ]
  m <- m[order(m$ccode), ]
  n <- nrow(m)
  M <- matrix(0, n, n)
  l <- lev[lev$year == yr, ]
  i1 <- match(l$ccode1, m$ccode)
  i2 <- match(l$ccode2, m$ccode)
  stopifnot(!anyNA(i1), !anyNA(i2))
  M[cbind(i1, i2)] <- l$level
  M[cbind(i2, i1)] <- l$level
  diag(M) <- 3
  for (i in seq_len(n - 1)) {
    for (j in (i + 1):n) {
      g <- measures(M[i, ], M[j, ], m$cinc)
      if (is.na(m$region[i]) || is.na(m$region[j])) {
        r <- rep(NA_real_, 4)
      } else {
        ref <- which(m$region == m$region[i] | m$region == m$region[j])
        r <- measures(M[i, ref], M[j, ref], m$cinc[ref])
      }
      rows[[length(rows) + 1]] <- c(yr, m$ccode[i], m$ccode[j], 0, g)
      rows[[length(rows) + 1]] <- c(yr, m$ccode[i], m$ccode[j], 1, r)
    }
  }
}
out <- as.data.frame(do.call(rbind, rows))
names(out) <- c("year", "ccode1", "ccode2", "region", "s_unweighted", "s_weighted", "kappa", "tau_b")

md5 <- tools::md5sum(file.path(dir, c("system_levels.csv", "system_members.csv")))
result <- list(
  meta = list(
    r_version = R.version.string,
    command = "Rscript tests/reference/similarity/similarity.R",
    inputs_md5 = as.list(setNames(unname(md5), basename(names(md5)))),
    note = "region = 0: all members that year; region = 1: members in either state's region"
  ),
  year = as.integer(out$year), ccode1 = as.integer(out$ccode1), ccode2 = as.integer(out$ccode2),
  region = as.integer(out$region),
  s_unweighted = out$s_unweighted, s_weighted = out$s_weighted,
  kappa = out$kappa, tau_b = out$tau_b
)
writeLines(toJSON(result, digits = I(15), na = "null", auto_unbox = TRUE),
           file.path(dir, "r_similarity.json"))
cat(sprintf("%d dyad-year rows written to %s\n", nrow(out), file.path(dir, "r_similarity.json")))
