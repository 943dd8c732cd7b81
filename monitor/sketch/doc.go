// Package sketch has the mergeable summaries of a reference profile:
// Quantiles, a KLL sketch of a numeric feature (rank error about
// 1.7/K·log2(n/K), a few percent at the default K for millions of values),
// and Frequent, the Misra–Gries counts of a categorical one (exact while
// there are no more distinct values than its capacity). Both merge, so
// profiles built in parts (or on several replicas) combine, and both
// serialise to JSON.
package sketch
