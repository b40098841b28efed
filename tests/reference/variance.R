# Reference values for the variance (clustering) options and the duration-time-scale Cox
# model, computed by R on tests/reference/sample.csv.
#
#   Rscript tests/reference/variance.R        (from the repository root)
#
# writes tests/reference/r_variance.json in the layout of r_results.json (see models.R):
# per entry cmdline, names (Python parameter names), params, bse, cov, plus extras.
# R never runs in CI.  Sample, covariates, formulas and name mapping are those of models.R.
#
# Conventions (sandwich 3.0.x, survival 3.5.x):
#   vcovCL(fit, cluster = ~a [+ b], type, cadjust = TRUE, multi0 = FALSE) computes
#     V = c_HC * bread M bread  with
#     M = sum over the clustering dimensions D of sign_D * adj_D * sum_g s_g s_g',
#     s_g = sum of estfun() rows in cluster g of D;  D in {a, b, a x b} with signs +, +, -;
#     adj_D = G_D/(G_D - 1) (cadjust = TRUE; G_{a x b} = number of distinct (a, b) cells,
#     here = N because dyad-years are unique); c_HC = (N-1)/(N-K) for type = "HC1", 1 for "HC0".
#     bread = summary(fit)$cov.unscaled (inverse expected information for glm).
#   Cox: robust variance = D'D with D = per-cluster sums of dfbeta residuals (no
#     small-sample factor); two-way: D_dyad'D_dyad + D_year'D_year - D_cell'D_cell.

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "sample_setup.R"))  # packages, sample, derived columns
d$decade <- floor(d$year / 10) * 10
stopifnot(!anyDuplicated(d[, c("dyad_id", "year")]))

py <- c("(Intercept)" = "const", cap_ratio = "cap_ratio", log_capdist = "log_capdist",
        contig_land = "contig_land", great_power_dyad = "great_power_dyad",
        smad = "log1p(shared_mid_adversaries_5y)", t = "t", t2 = "t^2/100", t3 = "t^3/1000",
        tt = "t", tt2 = "t^2/100", tt3 = "t^3/1000")

pyname <- function(x) {
  dec <- grepl("^factor\\(decade\\)", x)
  ifelse(dec, paste0("decade_", sub("^factor\\(decade\\)", "", x)), unname(py[x]))
}

pack <- function(coef, V, cmd, extra = list()) {
  stopifnot(all(rownames(V) == names(coef)) || is.null(rownames(V)))
  raw <- sub("^[12]:", "", names(coef))
  nm <- pyname(raw)
  nm <- ifelse(grepl("^1:", names(coef)), paste0("alignment_onset:", nm),
               ifelse(grepl("^2:", names(coef)), paste0("alliance_onset:", nm), nm))
  stopifnot(!anyNA(nm))
  c(list(cmdline = cmd, names = nm, params = unname(coef), bse = unname(sqrt(diag(V))),
         cov = unname(V)), extra)
}

res <- list()
f <- alliance_onset ~ cap_ratio + log_capdist + contig_land + smad + t + t2 + t3
ctl <- glm.control(epsilon = 1e-14, maxit = 100)
N <- nrow(d)

# ---------------------------------------------------------------- logit ------------------
g <- glm(f, family = binomial, data = d, control = ctl)
base <- 'glm(f, binomial, control = glm.control(epsilon = 1e-14)); '
res$logit_dyad <- pack(coef(g), vcovCL(g, cluster = ~dyad_id, type = "HC1", cadjust = TRUE, multi0 = FALSE),
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~dyad_id, type = "HC1", cadjust = TRUE, multi0 = FALSE)'))
res$logit_year <- pack(coef(g), vcovCL(g, cluster = ~year, type = "HC1", cadjust = TRUE, multi0 = FALSE),
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~year, type = "HC1", cadjust = TRUE, multi0 = FALSE)'))
V_lg2 <- vcovCL(g, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)
res$logit_dyad_year <- pack(coef(g), V_lg2,
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)'))

# hand-built check of the two-way formula (so the JSON documents exactly what vcovCL did)
twoway_meat <- function(S, a, b) {
  cell <- paste(a, b, sep = "_")
  m <- function(cl) { G <- length(unique(cl)); G / (G - 1) * crossprod(rowsum(S, cl)) }
  m(a) + m(b) - m(cell)
}
X <- model.matrix(g); p <- fitted(g); K <- ncol(X)
Bl <- solve(crossprod(X * sqrt(p * (1 - p))))
V_hand <- (N - 1) / (N - K) * Bl %*% twoway_meat(X * (d$alliance_onset - p), d$dyad_id, d$year) %*% Bl
res$logit_dyad_year$check_max_rel_diff_vs_hand_formula <- max(abs(V_hand - V_lg2) / abs(V_lg2))

# ---------------------------------------------------------------- cloglog ----------------
gcl <- glm(f, family = binomial(link = "cloglog"), data = d, control = ctl)
base <- 'glm(f, binomial(link = "cloglog"), control = glm.control(epsilon = 1e-14)); '
res$cloglog_dyad_year <- pack(coef(gcl),
  vcovCL(gcl, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE),
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)'))
res$cloglog_year <- pack(coef(gcl),
  vcovCL(gcl, cluster = ~year, type = "HC1", cadjust = TRUE, multi0 = FALSE),
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~year, type = "HC1", cadjust = TRUE, multi0 = FALSE)'))

# ---------------------------------------------------------------- Firth ------------------
fb <- glm(f, family = binomial, data = d, method = "brglmFit", type = "MPL_Jeffreys",
          control = brglmControl(epsilon = 1e-12, maxit = 500))
V_fb <- vcovCL(fb, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)
# what vcovCL does with a brglmFit object: estfun.glm = working residual x working weight x X
# = X (y - p) (the UNPENALIZED logit score), bread.glm = summary(fit)$cov.unscaled x n
# (summary.brglmFit: inverse Fisher information X'WX at the Firth estimate).  Check by hand:
Xf <- model.matrix(fb); pf <- fitted(fb)
Sf <- Xf * (d$alliance_onset - pf)
Bf <- solve(crossprod(Xf * sqrt(pf * (1 - pf))))
V_fb_hand <- (N - 1) / (N - K) * Bf %*% twoway_meat(Sf, d$dyad_id, d$year) %*% Bf
ef_diff <- max(abs(estfun(fb) - Sf))
bread_diff <- max(abs(bread(fb) / N - Bf) / abs(Bf))
vcov_diff <- max(abs(vcov(fb) - Bf) / abs(Bf))
hand_diff <- max(abs(V_fb_hand - V_fb) / abs(V_fb))
res$firth_dyad_year <- pack(coef(fb), V_fb,
  'glm(f, binomial, method = "brglmFit", type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 500); sandwich::vcovCL(fit, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)',
  list(note = paste0(
    "vcovCL on a brglmFit object uses estfun.glm = X (y - p), the unpenalized logit score at the ",
    "Firth estimate (not the Jeffreys-penalized score X'(y - p + h (1/2 - p)); the unpenalized score ",
    "does not sum to zero there and vcovCL does not centre it), and bread = inverse Fisher information ",
    "(X'WX)^-1 at the Firth estimate (summary.brglmFit cov.unscaled = vcov(fit)); two-way CR1 as for glm. ",
    sprintf("Checks: max|estfun - X(y-p)| = %.1e; max rel |bread/n - (X'WX)^-1| = %.1e; ", ef_diff, bread_diff),
    sprintf("max rel |vcov(fit) - (X'WX)^-1| = %.1e; max rel |vcovCL - hand formula| = %.1e; ", vcov_diff, hand_diff),
    sprintf("max |colSums(X(y-p))| = %.3g.", max(abs(colSums(Sf))))),
    unpenalized_score_sum = unname(colSums(Sf))))

# ---------------------------------------------------------------- logit + decade FE -------
# Periods without an alliance onset are dropped with their rows (the package's rule: their
# coefficient would be minus infinity); in this sample that is the 2010 decade (742 rows).
ev_dec <- tapply(d$alliance_onset, d$decade, sum)
keep_dec <- as.numeric(names(ev_dec)[ev_dec > 0])
dd <- d[d$decade %in% keep_dec, ]
gd <- glm(update(f, . ~ . + factor(decade)), family = binomial, data = dd, control = ctl)
res$logit_decade_dyad_year <- pack(coef(gd),
  vcovCL(gd, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE),
  'd$decade <- floor(year/10)*10; rows of decades without an alliance onset dropped; glm(alliance_onset ~ <covariates> + t + t2 + t3 + factor(decade), binomial, control = glm.control(epsilon = 1e-14)); sandwich::vcovCL(fit, cluster = ~dyad_id + year, type = "HC1", cadjust = TRUE, multi0 = FALSE)',
  list(nobs = nrow(dd), reference_decade = min(keep_dec),
       dropped_decades = as.list(as.numeric(names(ev_dec)[ev_dec == 0])),
       dropped_rows = nrow(d) - nrow(dd), llf = as.numeric(logLik(gd))))

# ---------------------------------------------------------------- multinomial logit -------
# Two-way CR1-style sandwich built from the multinom Hessian and per-row scores
# s_i = (x_i (1{y_i = 1} - p_i1), x_i (1{y_i = 2} - p_i2)):
#   V = (N-1)/(N-K) * B [ G1/(G1-1) M_dyad + G2/(G2-1) M_year - G12/(G12-1) M_dyadyear ] B
# with B = solve(Hessian), M_g = sum over clusters of (summed scores)(summed scores)',
# G1 = #dyads, G2 = #years, G12 = #distinct (dyad, year) cells (= N here), K = 2 x 8.
mn <- multinom(cat ~ cap_ratio + log_capdist + contig_land + smad + tt + tt2 + tt3,
               data = d, reltol = 1e-16, abstol = 1e-300, maxit = 5000, Hess = TRUE, trace = FALSE)
Bm <- coef(mn)
Xm <- model.matrix(~ cap_ratio + log_capdist + contig_land + smad + tt + tt2 + tt3, d)
P <- fitted(mn)
S <- cbind(Xm * ((d$cat == 1) - P[, 2]), Xm * ((d$cat == 2) - P[, 3]))
Km <- ncol(S)
bread_m <- solve(mn$Hessian)
Vmn <- (N - 1) / (N - Km) * bread_m %*% twoway_meat(S, d$dyad_id, d$year) %*% bread_m
bvec <- c(Bm[1, ], Bm[2, ]); names(bvec) <- c(paste0("1:", colnames(Bm)), paste0("2:", colnames(Bm)))
res$mlogit_dyad_year <- pack(bvec, Vmn,
  'multinom(cat ~ covariates (t = years_since_tie), reltol = 1e-16, maxit = 5000, Hess = TRUE); V = (N-1)/(N-K) solve(Hess) [G1/(G1-1) M_dyad + G2/(G2-1) M_year - G12/(G12-1) M_cell] solve(Hess)',
  list(llf = as.numeric(logLik(mn)), max_abs_score = max(abs(colSums(S))),
       G_dyad = length(unique(d$dyad_id)), G_year = length(unique(d$year)),
       G_cell = nrow(unique(d[, c("dyad_id", "year")])), K = Km))

# ---------------------------------------------------------------- LPM ---------------------
lp <- lm(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + factor(dyad_id) + factor(year), data = d)
keep <- c("cap_ratio", "smad", "t", "t2", "t3")
base <- 'lm(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + factor(dyad_id) + factor(year)); '
res$lpm_dyad <- pack(coef(lp)[keep],
  vcovCL(lp, cluster = ~dyad_id, type = "HC0", cadjust = TRUE, multi0 = FALSE)[keep, keep],
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~dyad_id, type = "HC0", cadjust = TRUE, multi0 = FALSE)[slopes, slopes]'))
res$lpm_year <- pack(coef(lp)[keep],
  vcovCL(lp, cluster = ~year, type = "HC0", cadjust = TRUE, multi0 = FALSE)[keep, keep],
  paste0(base, 'sandwich::vcovCL(fit, cluster = ~year, type = "HC0", cadjust = TRUE, multi0 = FALSE)[slopes, slopes]'))
rm(lp); invisible(gc())

# ---------------------------------------------------------------- Cox, calendar time ------
# the model of models.R's cox entry: the covariates AND the cubic time controls t, t2, t3
# (t = years_since_alliance), which vary within a calendar year's risk set
fc <- Surv(start, stop, alliance_onset) ~ cap_ratio + log_capdist + contig_land + smad + t + t2 + t3
cctl <- coxph.control(eps = 1e-12, iter.max = 100)
cx <- coxph(fc, data = d, cluster = year, ties = "efron", control = cctl)
db <- residuals(cx, type = "dfbeta")          # one row per data row (not collapsed)
stopifnot(nrow(db) == N)
Dy <- rowsum(db, d$year)
res$cox_year <- pack(coef(cx), cx$var,
  'coxph(Surv(year - 1, year, alliance_onset) ~ cap_ratio + log_capdist + contig_land + smad + t + t2 + t3, ties = "efron", cluster = year); fit$var',
  list(naive_cov = unname(cx$naive.var), llf = cx$loglik[2],
       check_max_rel_diff_vs_dfbeta = max(abs(crossprod(Dy) - cx$var) / abs(cx$var))))

# two-way: V = D_dyad'D_dyad + D_year'D_year - D_cell'D_cell, D_g = rowsum(dfbeta, g); the
# cells are the rows here (dyad-years unique), so D_cell'D_cell = crossprod(dfbeta)
cell <- paste(d$dyad_id, d$year, sep = "_")
V_cx2 <- crossprod(rowsum(db, d$dyad_id)) + crossprod(Dy) - crossprod(rowsum(db, cell))
res$cox_dyad_year <- pack(coef(cx), V_cx2,
  'coxph(Surv(year - 1, year, alliance_onset) ~ cap_ratio + log_capdist + contig_land + smad + t + t2 + t3, ties = "efron"); D = residuals(fit, type = "dfbeta"); V = crossprod(rowsum(D, dyad_id)) + crossprod(rowsum(D, year)) - crossprod(rowsum(D, paste(dyad_id, year)))',
  list(naive_cov = unname(cx$naive.var), llf = cx$loglik[2]))

# ---------------------------------------------------------------- Cox, duration time ------
# time scale t = years_since_alliance; a row covers (t - 1, t] (left truncation handled by
# the counting-process form).  No time controls: t is constant within each risk set (the
# package leaves them out on the duration scale).  Most dyads enter at t = 2 in this sample
# because their first panel year (t = 1) has no lagged covariates.
d$t0 <- d$t - 1
cd <- coxph(Surv(t0, t, alliance_onset) ~ cap_ratio + log_capdist + contig_land + smad,
            data = d, cluster = dyad_id, ties = "efron", control = cctl)
zeros <- as.data.frame(as.list(setNames(rep(0, length(coef(cd))), names(coef(cd)))))
sf <- survfit(cd, newdata = zeros, ctype = 1)
ev <- sf$n.event > 0
times <- sf$time[ev]
H0 <- as.numeric(sf$cumhaz)[ev]
dH0 <- diff(c(0, H0))
# check: survfit's newdata = 0 handles coxph's centring -- Breslow increment at x = 0 is
# d_j / sum_{rows at risk at t_j} exp(x'b); at risk at t_j = rows with t - 1 < t_j <= t.
eta <- drop(as.matrix(d[, names(coef(cd))]) %*% coef(cd))
dH_hand <- sapply(times, function(s) sum(d$alliance_onset[d$t == s]) / sum(exp(eta[d$t0 < s & d$t >= s])))
res$cox_duration_dyad <- pack(coef(cd), cd$var,
  'coxph(Surv(t - 1, t, alliance_onset) ~ cap_ratio + log_capdist + contig_land + smad, ties = "efron", cluster = dyad_id), t = years_since_alliance; fit$var; survfit(fit, newdata = <zeros>, ctype = 1)',
  list(naive_cov = unname(cd$naive.var), llf = cd$loglik[2],
       times = times, dH0 = dH0, n_event = sf$n.event[ev], n_risk = sf$n.risk[ev],
       centering_means = unname(cd$means),
       check_max_rel_diff_dH0_vs_hand = max(abs(dH_hand - dH0) / dH0)))

meta <- list(
  command = "Rscript tests/reference/variance.R",
  r_version = R.version.string,
  packages = lapply(c(survival = "survival", sandwich = "sandwich", brglm2 = "brglm2", nnet = "nnet",
                      jsonlite = "jsonlite"), function(p) as.character(packageVersion(p))),
  sample = list(file = "sample.csv", md5 = unname(tools::md5sum(csv)), nobs = nrow(d),
                n_dyads = length(unique(d$dyad_id)), n_years = length(unique(d$year)),
                alliance_onsets = sum(d$alliance_onset), alignment_onsets = sum(d$alignment_onset))
)
out <- file.path(here, "r_variance.json")
writeLines(toJSON(c(list(meta = meta), res), digits = NA, auto_unbox = TRUE, pretty = TRUE), out)
cat("wrote", out, "\n")
