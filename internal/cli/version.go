package cli

import (
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/ort"
)

// Set at build time by `make install` (and version by `inferd image build`):
//
//	-ldflags "-X github.com/inferd/inferd/internal/cli.version=$(git describe --tags --always --dirty)
//	          -X github.com/inferd/inferd/internal/cli.commit=$(git rev-parse HEAD)
//	          -X github.com/inferd/inferd/internal/cli.commitTime=2026-12-06T04:43:00Z"
//
// They matter where the Go toolchain records nothing: builds with
// -buildvcs=false, and builds in a linked git worktree (Go does not
// recognise a worktree's .git file, golang/go#58218).
var version, commit, commitTime string

// build is what is known about how this binary was built.
type build struct {
	// Version is the version set with -ldflags -X, else the main module's
	// version (`go install ...@v1.2.3`, or the one Go 1.24+ derives from
	// the VCS of a clone), else "dev". It is one word: images record it.
	Version string
	// Commit is the VCS revision, Time its commit time (RFC 3339, UTC), and
	// Modified says the working tree had uncommitted changes; empty or
	// false when unknown.
	Commit   string
	Time     string
	Modified bool
}

// pseudoVersion matches a Go pseudo-version (v0.0.0-20261206044300-c5ac46c1a2b3,
// v1.2.4-0.20261206044300-c5ac46c1a2b3, ...), optionally +dirty.
var pseudoVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+-(?:[0-9A-Za-z.-]*\.)?(\d{14})-([0-9a-f]{12})(\+dirty)?$`)

// readBuild describes the build from the Go toolchain's build info (nil if
// there is none) and the values set with -ldflags -X. A version set with
// -ldflags is a deliberate choice and wins; the commit comes from the VCS
// stamp, else from -ldflags, else from a pseudo-version.
func readBuild(bi *debug.BuildInfo, ldVersion, ldCommit, ldTime string) build {
	b := build{Version: ldVersion, Commit: ldCommit, Time: ldTime}
	if bi == nil {
		if b.Version == "" {
			b.Version = "dev"
		}
		if strings.HasSuffix(b.Version, "-dirty") {
			b.Modified = true
		}
		return b
	}
	mainVersion := bi.Main.Version
	if mainVersion == "(devel)" {
		mainVersion = ""
	}
	if b.Version == "" {
		b.Version = mainVersion
	}
	vcs := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit, vcs = s.Value, true
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if !vcs {
		if m := pseudoVersion.FindStringSubmatch(mainVersion); m != nil && b.Commit == "" {
			b.Commit = m[2]
			if t, err := time.Parse("20060102150405", m[1]); err == nil {
				b.Time = t.UTC().Format(time.RFC3339)
			}
		}
		b.Modified = b.Modified || strings.HasSuffix(b.Version, "-dirty") || strings.HasSuffix(b.Version, "+dirty")
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	return b
}

// String is the version, then the commit, its time and "modified" when
// known: "v1.2.3", "c5ac46c-dirty (commit c5ac46c1a2b3, 2026-12-06T04:43:00Z, modified)".
func (b build) String() string {
	var extra []string
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		extra = append(extra, "commit "+c)
	}
	if b.Time != "" {
		extra = append(extra, b.Time)
	}
	if b.Modified {
		extra = append(extra, "modified")
	}
	if len(extra) == 0 {
		return b.Version
	}
	return b.Version + " (" + strings.Join(extra, ", ") + ")"
}

// currentBuild describes this binary.
func currentBuild() build {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return readBuild(bi, version, commit, commitTime)
}

// Version returns inferd's version, one word: the one set at build time,
// else the module version recorded by the Go toolchain, else "dev".
func Version() string { return currentBuild().Version }

// writeVersion prints what `inferd version` and `inferd --version` print:
// the version and commit, then the Go version, platform and engines.
func writeVersion(w io.Writer) error {
	var engines []string
	for _, name := range engine.Names() {
		if name == ort.Name && !ort.Compiled {
			name += " (not compiled in: build with -tags ort)"
		}
		engines = append(engines, name)
	}
	_, err := fmt.Fprintf(w, "inferd %s\n%s %s/%s, engines: %s\n",
		currentBuild(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(engines, ", "))
	return err
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print inferd's version and commit, Go version and engines (also: inferd --version)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(cmd.OutOrStdout())
		},
	}
}
