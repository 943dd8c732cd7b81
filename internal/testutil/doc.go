// Package testutil holds helpers shared by tests: the bundled example
// models' reference outputs, crafted malicious images, and the process
// CPU time and medians that benchmarks report.
package testutil
