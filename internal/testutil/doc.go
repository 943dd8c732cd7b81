// Package testutil holds helpers shared by tests: the bundled example
// models' reference outputs and crafted malicious images.
package testutil
