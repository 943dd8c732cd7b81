package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	_ "github.com/inferd/inferd/engine/native" // the default engine
)

// NewRootCmd returns the inferd command with its subcommands.
func NewRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "inferd",
		Short: "inferd serves machine-learning models over HTTP",
		Long: `inferd is a framework-agnostic inference server. It serves the ONNX models of a
model repository (one directory per model, one numbered directory per version)
over HTTP, decoding and preprocessing images as each model's config.yaml says.

Every flag can also be set from the environment: --http-addr is INFERD_HTTP_ADDR,
--repository is INFERD_REPOSITORY, and so on. A flag on the command line wins.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd.Flags())
		},
	}
	// --version prints what `inferd version` prints.
	var v strings.Builder
	_ = writeVersion(&v)
	root.Version = Version()
	root.Flags().Bool("version", false, "print inferd's version and commit, Go version and engines")
	root.SetVersionTemplate(strings.ReplaceAll(v.String(), "{{", `{{"{{"}}`))
	root.AddCommand(newServeCmd(), newPredictCmd(), newPerfCmd(), newVersionCmd(), newConformanceCmd(), newImageCmd(), newHealthcheckCmd(), newBenchCmd(),
		newModelCmd(), newModelsCmd(), newLabelCmd(), newTrafficCmd(), newEvalCmd(), newPromoteCmd(), newPromotionsCmd())
	root.AddCommand(newProfileCmd(), newDriftCmd(), newDataCmd())
	return root
}

// envName is the environment variable for a flag: INFERD_ and the flag
// name in upper case with - as _.
func envName(flag string) string {
	return "INFERD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagsFromEnv sets every flag not given on the command line from its
// environment variable, if set.
func flagsFromEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("environment %s=%q: %w", envName(f.Name), v, e)
			}
		}
	})
	return err
}

// logOptions are the logging flags shared by long-running commands.
type logOptions struct {
	level  string
	format string
}

func (o *logOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.level, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.format, "log-format", "text", "log format: text or json")
}

func (o *logOptions) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch o.format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", o.format)
}
