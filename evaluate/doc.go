// Package evaluate runs a model version over a labelled dataset and turns
// its answers into a report: classification or regression metrics with
// bootstrap intervals, per-class figures and curves, latency, metrics per
// slice, and fairness across groups (packages metrics and fairness). It
// checks reports against gates (gates.yaml), renders them as JSON,
// Markdown and a self-contained HTML page, and keeps the promotion
// record of a model.
//
// It knows nothing of HTTP or of how a model is run: a Target (package
// evaluate/target has the in-process and the remote ones) turns a batch
// of dataset rows into scores.
package evaluate
