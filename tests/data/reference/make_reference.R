# Reference weights for fairsynth's raking tests, computed with R's `survey` package.
#
# Run from the project root:
#     Rscript tests/data/reference/make_reference.R
#
# Reads  tests/data/adult_sample.csv
# Writes tests/data/reference/{rake_unit,rake_fnlwgt,rake_parity,reweighing}.csv,
#        tests/data/reference/reweighing_factors.csv and tests/data/reference/summary.txt
#
# Each weight file has the single header `weight` and one line per sample row, in sample order,
# printed with 17 significant digits. CI does not need R: only the outputs are used by the tests.

suppressPackageStartupMessages(library(survey))

sample_path <- file.path("tests", "data", "adult_sample.csv")
out_dir <- file.path("tests", "data", "reference")
if (!file.exists(sample_path)) {
  stop("run from the project root: ", sample_path, " not found")
}

# ---------------------------------------------------------------------------------------------
# Output helpers: everything said goes both to stdout and to summary.txt.
summary_lines <- character()
say <- function(...) {
  line <- paste0(...)
  cat(line, "\n", sep = "")
  summary_lines <<- c(summary_lines, line)
}
fmt17 <- function(x) sprintf("%.17g", x)
write_weights <- function(w, name) {
  path <- file.path(out_dir, name)
  con <- file(path, open = "wb") # binary mode: LF line endings on every platform
  writeLines(c("weight", fmt17(w)), con, sep = "\n")
  close(con)
  say("wrote ", path, " (", length(w), " weights)")
}

# ---------------------------------------------------------------------------------------------
# Data
adult <- read.csv(sample_path, na.strings = "", stringsAsFactors = FALSE,
                  check.names = FALSE, strip.white = FALSE)
n <- nrow(adult)

for (col in c("sex", "race", "age", "income", "fnlwgt")) {
  if (anyNA(adult[[col]])) stop("column ", col, " has missing values")
}
if (!is.numeric(adult$age) || !is.numeric(adult$fnlwgt)) stop("age/fnlwgt not numeric")
if (any(adult$fnlwgt <= 0)) stop("fnlwgt must be positive")
if (min(adult$age) < 17 || max(adult$age) > 90) stop("age outside [17, 90]")

sex_levels <- c("Female", "Male")
race_levels <- c("White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other")
income_levels <- c("<=50K", ">50K")
age_levels <- c("17-24", "25-34", "35-44", "45-54", "55-64", "65-90")

check_levels <- function(x, lv, col) {
  extra <- setdiff(unique(x), lv)
  missing <- setdiff(lv, unique(x))
  if (length(extra)) stop(col, ": unexpected levels ", paste(extra, collapse = ", "))
  if (length(missing)) stop(col, ": levels absent from the sample ", paste(missing, collapse = ", "))
  factor(x, levels = lv)
}
adult$sex <- check_levels(adult$sex, sex_levels, "sex")
adult$race <- check_levels(adult$race, race_levels, "race")
adult$income <- check_levels(adult$income, income_levels, "income")

# Age bands [17,25) [25,35) [35,45) [45,55) [55,65) [65,90]: left-closed, the last band closed.
adult$age_band <- cut(adult$age, breaks = c(17, 25, 35, 45, 55, 65, 90), labels = age_levels,
                      right = FALSE, include.lowest = TRUE)
if (anyNA(adult$age_band)) stop("age_band has missing values")
adult$one <- rep(1, n)

say("fairsynth raking reference (", R.version.string, ", survey ",
    as.character(packageVersion("survey")), ")")
say("sample: ", sample_path, ", ", n, " rows; no missing sex, race, age, income, fnlwgt")
for (col in c("sex", "race", "age_band", "income")) {
  tab <- table(adult[[col]])
  say("  ", col, ": ", paste0(names(tab), "=", as.vector(tab), collapse = ", "))
}
say("  sum(fnlwgt) = ", fmt17(sum(adult$fnlwgt)))
say("")

# ---------------------------------------------------------------------------------------------
# Targets (shares)
sex_share <- c(Female = 0.5, Male = 0.5)
race_share <- c(White = 0.76, Black = 0.13, `Asian-Pac-Islander` = 0.06,
                `Amer-Indian-Eskimo` = 0.01, Other = 0.04)
age_share <- c(`17-24` = 0.14, `25-34` = 0.18, `35-44` = 0.18, `45-54` = 0.17,
               `55-64` = 0.16, `65-90` = 0.17)
stopifnot(abs(sum(sex_share) - 1) < 1e-15, abs(sum(race_share) - 1) < 1e-15,
          abs(sum(age_share) - 1) < 1e-15)

# A one-variable population margin: shares times the total start weight.
margin_df <- function(var, shares, lv, total) {
  df <- data.frame(factor(lv, levels = lv), Freq = unname(shares[lv]) * total)
  names(df)[1] <- var
  df
}

# Rake from the given start weights; warnings (e.g. non-convergence) are collected, not lost.
run_rake <- function(start_weights, sample_margins, population_margins) {
  data <- adult
  data$start_w <- start_weights
  design <- svydesign(ids = ~1, weights = ~start_w, data = data)
  warnings_seen <- character()
  raked <- withCallingHandlers(
    rake(design, sample.margins = sample_margins, population.margins = population_margins,
         control = list(maxit = 1000, epsilon = 1e-13, verbose = FALSE)),
    warning = function(w) {
      warnings_seen <<- c(warnings_seen, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  # How many sweeps rake needed: the smallest maxit at which it reports convergence.
  sweeps <- NA_integer_
  if (!length(warnings_seen)) {
    for (m in seq_len(1000)) {
      ok <- tryCatch({
        rake(design, sample.margins = sample_margins, population.margins = population_margins,
             control = list(maxit = m, epsilon = 1e-13, verbose = FALSE))
        TRUE
      }, warning = function(w) FALSE)
      if (ok) {
        sweeps <- m
        break
      }
    }
  }
  list(weights = as.vector(weights(raked)), warnings = warnings_seen, sweeps = sweeps)
}

# Weighted shares of each cell of a margin (cells of a joint margin named "a:b"), compared
# with the target shares.
report_margin <- function(w, vars, target) {
  key <- if (length(vars) == 1) as.character(adult[[vars]]) else
    as.character(interaction(adult[vars], sep = ":", drop = FALSE))
  cells <- names(target)
  share <- vapply(cells, function(k) sum(w[key == k]) / sum(w), numeric(1))
  err <- abs(share - target)
  say("  margin ~", paste(vars, collapse = "+"))
  for (k in cells) {
    say(sprintf("    %-26s share %.17g  target %.17g  |err| %.3e", k, share[[k]], target[[k]], err[[k]]))
  }
  say(sprintf("    max |err| = %.3e", max(err)))
  max(err)
}

report_config <- function(name, res, start_total, margins) {
  w <- res$weights
  say("[", name, "]")
  if (length(res$warnings)) {
    for (m in res$warnings) say("  WARNING: ", trimws(m))
  } else {
    say("  rake converged (no warning) after ", res$sweeps,
        " sweeps over the margins (stop: max change of the joint weighted table < 1e-13 * start total)")
  }
  errs <- vapply(margins, function(m) report_margin(w, m$vars, m$target), numeric(1))
  say(sprintf("  sum of weights %.17g, start total %.17g, relative difference %.3e",
              sum(w), start_total, abs(sum(w) - start_total) / start_total))
  say(sprintf("  weights: min %.17g, max %.17g, all positive: %s", min(w), max(w),
              all(w > 0)))
  say(sprintf("  max |err| over all margins = %.3e", max(errs)))
  if (any(!(w > 0)) || !all(is.finite(w))) stop(name, ": non-positive or non-finite weight")
  invisible(max(errs))
}

one_way_targets <- list(
  list(vars = "sex", target = sex_share),
  list(vars = "race", target = race_share),
  list(vars = "age_band", target = age_share)
)
one_way_population <- function(total) list(
  margin_df("sex", sex_share, sex_levels, total),
  margin_df("race", race_share, race_levels, total),
  margin_df("age_band", age_share, age_levels, total)
)
one_way_formulas <- list(~sex, ~race, ~age_band)

# ---------------------------------------------------------------------------------------------
# 1. rake_unit: start weights 1
total_unit <- sum(adult$one)
res <- run_rake(adult$one, one_way_formulas, one_way_population(total_unit))
write_weights(res$weights, "rake_unit.csv")
report_config("rake_unit", res, total_unit, one_way_targets)
say("")

# 2. rake_fnlwgt: start weights fnlwgt
total_fnlwgt <- sum(adult$fnlwgt)
res <- run_rake(adult$fnlwgt, one_way_formulas, one_way_population(total_fnlwgt))
write_weights(res$weights, "rake_fnlwgt.csv")
report_config("rake_fnlwgt", res, total_fnlwgt, one_way_targets)
say("")

# 3. rake_parity: start weights 1, the one-way margins plus ~sex+income with
#    population T(sex) * P(income) * n, P(income) the unweighted share in the sample.
income_share <- as.vector(table(adult$income)) / n
names(income_share) <- income_levels
joint <- expand.grid(sex = factor(sex_levels, levels = sex_levels),
                     income = factor(income_levels, levels = income_levels))
joint$Freq <- sex_share[as.character(joint$sex)] * income_share[as.character(joint$income)] * n
joint_target <- setNames(joint$Freq / n, paste(joint$sex, joint$income, sep = ":"))
say("rake_parity: P(income) in the sample: ",
    paste0(names(income_share), "=", fmt17(income_share), collapse = ", "))
res <- run_rake(adult$one, c(one_way_formulas, list(~sex + income)),
                c(one_way_population(total_unit), list(joint)))
write_weights(res$weights, "rake_parity.csv")
report_config("rake_parity", res, total_unit,
              c(one_way_targets, list(list(vars = c("sex", "income"), target = joint_target))))
w <- res$weights
rates <- vapply(sex_levels, function(s) {
  in_s <- adult$sex == s
  sum(w[in_s & adult$income == ">50K"]) / sum(w[in_s])
}, numeric(1))
for (s in sex_levels) say(sprintf("  weighted rate of >50K for %-6s = %.17g", s, rates[[s]]))
say(sprintf("  |difference| = %.3e (target rate %.17g)", abs(diff(rates)), income_share[[">50K"]]))
say("")

# 4. reweighing (Kamiran & Calders): w(s, y) = n_s * n_y / (n * n_sy), unit start weights.
n_s <- table(adult$sex)
n_y <- table(adult$income)
n_sy <- table(adult$sex, adult$income)
factors <- expand.grid(sex = sex_levels, income = income_levels, stringsAsFactors = FALSE)
factors$n_sy <- mapply(function(s, y) n_sy[s, y], factors$sex, factors$income)
factors$weight <- mapply(function(s, y) (n_s[[s]] * n_y[[y]]) / (n * n_sy[s, y]),
                         factors$sex, factors$income)
factors <- factors[order(factors$sex, factors$income), ]
w <- factors$weight[match(paste(adult$sex, adult$income),
                          paste(factors$sex, factors$income))]
if (anyNA(w)) stop("reweighing: unmatched sex/income cell")
write_weights(w, "reweighing.csv")
path <- file.path(out_dir, "reweighing_factors.csv")
con <- file(path, open = "wb")
writeLines(c("sex,income,n_sy,weight",
             paste(factors$sex, factors$income, factors$n_sy, fmt17(factors$weight), sep = ",")),
           con, sep = "\n")
close(con)
say("wrote ", path)
say("[reweighing]")
for (i in seq_len(nrow(factors))) {
  say(sprintf("  sex=%-6s income=%-5s n_sy=%4d  weight %.17g", factors$sex[i], factors$income[i],
              factors$n_sy[i], factors$weight[i]))
}
rates <- vapply(sex_levels, function(s) {
  in_s <- adult$sex == s
  sum(w[in_s & adult$income == ">50K"]) / sum(w[in_s])
}, numeric(1))
for (s in sex_levels) say(sprintf("  weighted rate of >50K for %-6s = %.17g", s, rates[[s]]))
say(sprintf("  sum of weights %.17g (n = %d), all positive: %s", sum(w), n, all(w > 0)))

con <- file(file.path(out_dir, "summary.txt"), open = "wb")
writeLines(summary_lines, con, sep = "\n")
close(con)
cat("wrote ", file.path(out_dir, "summary.txt"), "\n", sep = "")
