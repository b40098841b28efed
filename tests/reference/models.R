# Reference values for the onset models, computed by R on tests/reference/sample.csv.
#
#   Rscript tests/reference/models.R        (from the repository root)
#
# writes tests/reference/r_results.json: coefficients, standard errors and covariance
# matrices keyed by the Python parameter names, with the command that produced each, the
# R and package versions, the sample size and the MD5 of sample.csv.  R never runs in CI;
# tests/test_models_reference.py compares alliances.models against the stored JSON.
#
# Sample: see make_sample.py (covariates already lagged one year, risk set already applied:
# no tie of any kind in force in t-1).  Time controls: t, t^2/100, t^3/1000 with
# t = years_since_alliance (binary models) or years_since_tie (multinomial logit).

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
source(file.path(here, "sample_setup.R"))  # packages, sample, derived columns

py <- c("(Intercept)" = "const", cap_ratio = "cap_ratio", log_capdist = "log_capdist",
        contig_land = "contig_land", great_power_dyad = "great_power_dyad",
        smad = "log1p(shared_mid_adversaries_5y)", t = "t", t2 = "t^2/100", t3 = "t^3/1000",
        tt = "t", tt2 = "t^2/100", tt3 = "t^3/1000")

pack <- function(coef, V, cmd, extra = list()) {
  nm <- unname(py[sub("^[12]:", "", names(coef))])
  pre <- sub("^([12]):.*$", "\\1", names(coef))
  nm <- ifelse(pre == "1" & grepl("^1:", names(coef)), paste0("alignment_onset:", nm),
               ifelse(grepl("^2:", names(coef)), paste0("alliance_onset:", nm), nm))
  c(list(cmdline = cmd, names = nm, params = unname(coef), bse = unname(sqrt(diag(V))),
         cov = unname(V)), extra)
}

res <- list()
f <- alliance_onset ~ cap_ratio + log_capdist + contig_land + smad + t + t2 + t3
ctl <- glm.control(epsilon = 1e-14, maxit = 100)

# pooled logit, CR1 cluster by dyad
cmd <- 'glm(f, binomial, control = glm.control(epsilon = 1e-14)); sandwich::vcovCL(fit, cluster = ~dyad_id, type = "HC1", cadjust = TRUE)'
g <- glm(f, family = binomial, data = d, control = ctl)
res$logit <- pack(coef(g), vcovCL(g, cluster = ~dyad_id, type = "HC1", cadjust = TRUE), cmd,
                  list(llf = as.numeric(logLik(g))))

# Firth (Jeffreys-penalized likelihood; for the logit link MPL_Jeffreys == AS_mean)
cmd <- 'glm(f, binomial, method = "brglmFit", type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 500); vcov(fit)'
fb <- glm(f, family = binomial, data = d, method = "brglmFit", type = "MPL_Jeffreys",
          control = brglmControl(epsilon = 1e-12, maxit = 500))
res$firth <- pack(coef(fb), vcov(fb), cmd)

# King-Zeng (2001) closed form from the glm fit, computed the Zelig way (hat values of a
# weighted least-squares fit; bias = WLS of xi on X), with V = (n/(n+k))^2 x CR1 covariance
cmd <- 'King-Zeng bias from glm: Q_ii = hat(lm(y ~ X - 1, weights = W))/W; xi = Q_ii (2p - 1)/2; bias = coef(lm(xi ~ X - 1, weights = W)); V = (n/(n+k))^2 vcovCL(HC1)'
X <- model.matrix(g); p <- fitted(g); W <- p * (1 - p); y <- d$alliance_onset
Q <- lm.influence(lm(y ~ X - 1, weights = W), do.coef = FALSE)$hat / W
xi <- 0.5 * Q * (2 * p - 1)
bias <- coef(lm(xi ~ X - 1, weights = W))
n <- nrow(X); k <- ncol(X)
b_kz <- coef(g) - bias
res$relogit <- pack(b_kz, (n / (n + k))^2 * vcovCL(g, cluster = ~dyad_id, type = "HC1", cadjust = TRUE), cmd)

# complementary log-log hazard, CR1 cluster by dyad
cmd <- 'glm(f, binomial(link = "cloglog"), control = glm.control(epsilon = 1e-14)); vcovCL(fit, cluster = ~dyad_id, type = "HC1", cadjust = TRUE)'
gc <- glm(f, family = binomial(link = "cloglog"), data = d, control = ctl)
res$cloglog <- pack(coef(gc), vcovCL(gc, cluster = ~dyad_id, type = "HC1", cadjust = TRUE), cmd,
                    list(llf = as.numeric(logLik(gc))))

# conditional logit, exact conditional likelihood (time-varying covariates only)
cmd <- 'clogit(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + strata(dyad_id), method = "exact"); vcov(fit)'
cl <- clogit(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + strata(dyad_id), data = d, method = "exact",
             control = coxph.control(eps = 1e-12, iter.max = 100))
res$clogit <- pack(coef(cl), vcov(cl), cmd, list(llf = cl$loglik[2]))

# LPM with dyad and year dummies; two-way cluster (dyad, year) without any small-sample
# factor (HC0, cadjust = FALSE) and with G/(G-1) per dimension (HC0, cadjust = TRUE)
cmd <- 'lm(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + factor(dyad_id) + factor(year)); vcovCL(fit, cluster = ~dyad_id + year, type = "HC0", cadjust = FALSE|TRUE, multi0 = FALSE)'
lp <- lm(alliance_onset ~ cap_ratio + smad + t + t2 + t3 + factor(dyad_id) + factor(year), data = d)
keep <- c("cap_ratio", "smad", "t", "t2", "t3")
V0 <- vcovCL(lp, cluster = ~dyad_id + year, type = "HC0", cadjust = FALSE, multi0 = FALSE)[keep, keep]
V1 <- vcovCL(lp, cluster = ~dyad_id + year, type = "HC0", cadjust = TRUE, multi0 = FALSE)[keep, keep]
res$lpm <- pack(coef(lp)[keep], V1, cmd, list(cov_hc0_noadjust = unname(V0)))

# Cox, counting process (year-1, year], Efron ties, robust variance clustered by dyad
cmd <- 'coxph(Surv(start, stop, alliance_onset) ~ <covariates>, cluster = dyad_id, ties = "efron"); fit$var; survfit(fit, newdata = <zeros>, ctype = 1)'
fc <- update(f, Surv(start, stop, alliance_onset) ~ . - 1)
cx <- coxph(fc, data = d, cluster = dyad_id, ties = "efron",
            control = coxph.control(eps = 1e-12, iter.max = 100))
zeros <- as.data.frame(as.list(setNames(rep(0, length(coef(cx))), names(coef(cx)))))
sf <- survfit(cx, newdata = zeros, ctype = 1)
res$cox <- pack(coef(cx), cx$var, cmd,
                list(naive_cov = unname(cx$naive.var), llf = cx$loglik[2],
                     baseline_time = sf$time, baseline_cumhaz = as.numeric(sf$cumhaz)))

# multinomial logit none / alignment onset / alliance onset; CR1 cluster sandwich built
# from the multinom Hessian and per-observation scores x_i (1{y_i = j} - p_ij)
cmd <- 'multinom(cat ~ covariates (t = years_since_tie), reltol = 1e-16, maxit = 5000, Hess = TRUE); CR1 sandwich solve(Hess) meat solve(Hess)'
mn <- multinom(cat ~ cap_ratio + log_capdist + contig_land + smad + tt + tt2 + tt3,
               data = d, reltol = 1e-16, abstol = 1e-300, maxit = 5000, Hess = TRUE, trace = FALSE)
B <- coef(mn)                      # rows: categories 1, 2
Xm <- model.matrix(~ cap_ratio + log_capdist + contig_land + smad + tt + tt2 + tt3, d)
P <- fitted(mn)                    # columns 0, 1, 2
S <- cbind(Xm * ((d$cat == 1) - P[, 2]), Xm * ((d$cat == 2) - P[, 3]))
Sg <- rowsum(S, d$dyad_id)
G <- nrow(Sg); N <- nrow(Xm); K <- ncol(S)
bread <- solve(mn$Hessian)
Vmn <- bread %*% crossprod(Sg) %*% bread * G / (G - 1) * (N - 1) / (N - K)
bvec <- c(B[1, ], B[2, ]); names(bvec) <- c(paste0("1:", colnames(B)), paste0("2:", colnames(B)))
res$mlogit <- pack(bvec, Vmn, cmd, list(llf = as.numeric(logLik(mn)), max_abs_score = max(abs(colSums(S)))))

meta <- list(
  command = "Rscript tests/reference/models.R",
  r_version = R.version.string,
  packages = lapply(c(survival = "survival", sandwich = "sandwich", brglm2 = "brglm2", nnet = "nnet",
                      jsonlite = "jsonlite"), function(p) as.character(packageVersion(p))),
  sample = list(file = "sample.csv", md5 = unname(tools::md5sum(csv)), nobs = nrow(d),
                n_dyads = length(unique(d$dyad_id)), alliance_onsets = sum(d$alliance_onset),
                alignment_onsets = sum(d$alignment_onset))
)
writeLines(toJSON(c(list(meta = meta), res), digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "r_results.json"))
cat("wrote", file.path(here, "r_results.json"), "\n")
