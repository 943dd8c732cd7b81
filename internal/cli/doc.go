// Package cli implements inferd's command line: one file per subcommand,
// each a thin layer that parses flags and calls a library package.
package cli
