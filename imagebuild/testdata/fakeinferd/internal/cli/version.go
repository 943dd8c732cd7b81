// Package cli holds the version variable that the real inferd's build sets.
package cli

var version = ""

// Version returns the version set with -ldflags -X.
func Version() string { return version }
