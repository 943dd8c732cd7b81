// Package drift compares windows of served requests with a reference
// profile. A Profile keeps mergeable sketches (monitor/sketch) of every
// feature: the elements of small input tensors, summary features of image
// inputs (brightness, contrast, channel means), and of each classifier
// output the predicted class and its confidence.
//
// Compare tests each feature by type and sample size (Kolmogorov–Smirnov
// or normalised Wasserstein distance for numbers, chi-square or
// Jensen–Shannon distance for categories, PSI alongside), corrects the
// p-values for multiple testing (Benjamini–Hochberg or Bonferroni) and
// reports the share of drifted features. Calibrate sets the alarm
// threshold on that share from windows drawn from the reference itself,
// so that in-distribution windows alarm at a chosen rate.
package drift
