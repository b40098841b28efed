# Shared set-up of models.R and variance.R: packages, the sample and its derived columns, and
# the map from R's coefficient names to the Python parameter names. Sourced with `here` set.
suppressPackageStartupMessages({
  library(survival); library(sandwich); library(brglm2); library(nnet); library(jsonlite)
})

csv <- file.path(here, "sample.csv")
d <- read.csv(csv)
d$smad <- log1p(d$shared_mid_adversaries_5y)
d$t <- d$years_since_alliance; d$t2 <- d$t^2 / 100; d$t3 <- d$t^3 / 1000
d$tt <- d$years_since_tie; d$tt2 <- d$tt^2 / 100; d$tt3 <- d$tt^3 / 1000
d$start <- d$year - 1; d$stop <- d$year
d$cat <- ifelse(d$alliance_onset == 1, 2, ifelse(d$alignment_onset == 1, 1, 0))
