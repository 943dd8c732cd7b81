package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/engine/ort"
)

// version is set at build time with -ldflags "-X github.com/inferd/inferd/internal/cli.version=...".
var version = ""

// Version returns inferd's version: the one set at build time, else the
// module version or VCS revision recorded by the Go toolchain.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print inferd's version, Go version and engines",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var engines []string
			for _, name := range engine.Names() {
				if name == ort.Name && !ort.Compiled {
					name += " (not compiled in: build with -tags ort)"
				}
				engines = append(engines, name)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "inferd %s (%s, %s/%s, engines: %s)\n",
				Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(engines, ", "))
			return err
		},
	}
}
