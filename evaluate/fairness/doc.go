// Package fairness compares a model's figures across groups of samples
// (values of sensitive columns, alone or intersected) with Fairlearn's
// definitions: a metric per group, the group minimum and maximum, the
// difference and ratio between groups and to the overall value,
// demographic parity difference and ratio, equalized odds difference and
// ratio, and equal opportunity difference. It is a pure library over
// labels, predictions, group ids and weights.
package fairness
