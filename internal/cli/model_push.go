package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/repository/bucket"
)

type modelPushOptions struct {
	versions []int
}

// newModelPushCmd uploads a local model directory to an object-storage
// repository, each version's marker last.
func newModelPushCmd() *cobra.Command {
	o := modelPushOptions{}
	cmd := &cobra.Command{
		Use:   "push MODEL_DIR REPOSITORY_URL",
		Short: "Upload a model directory to an object-storage repository (each version appears whole)",
		Long: `Push uploads MODEL_DIR (a model directory of a local repository: config.yaml,
labels, and numbered version directories) to REPOSITORY_URL (s3://BUCKET/PREFIX,
gs://..., azblob://..., file:///DIR) as NAME/..., NAME being MODEL_DIR's base
name. The model's own files go first; then each version's files, and last the
version's inferd.sha256 marker, so that servers see the version only once it is
whole (docs/scaling.md). --version pushes only some versions (default: all).`,
		Example: `  inferd model push examples/models/digits s3://models/prod?use_path_style=true
  AWS_ENDPOINT_URL=http://127.0.0.1:9000 inferd model push my-repo/fraud s3://models/prod --version 3`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelPush(cmd.Context(), cmd.OutOrStdout(), args[0], args[1], o)
		},
	}
	cmd.Flags().IntSliceVar(&o.versions, "version", nil, "versions to push (repeat or comma-separate; default: every version directory)")
	return cmd
}

func runModelPush(ctx context.Context, out io.Writer, dir, url string, o modelPushOptions) error {
	name := filepath.Base(filepath.Clean(dir))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	src, err := bucket.Open(ctx, url)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	defer src.Close()
	var versions []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		switch {
		case e.IsDir() && err == nil && n > 0 && strconv.Itoa(n) == e.Name():
			if len(o.versions) == 0 || slices.Contains(o.versions, n) {
				versions = append(versions, n)
			}
		case e.Type().IsRegular():
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return fmt.Errorf("push: %w", err)
			}
			if err := src.Put(ctx, name+"/"+e.Name(), b); err != nil {
				return fmt.Errorf("push %s: %w", e.Name(), err)
			}
		}
	}
	for _, want := range o.versions {
		if !slices.Contains(versions, want) {
			return fmt.Errorf("push: %s has no version directory %d", dir, want)
		}
	}
	slices.Sort(versions)
	for _, n := range versions {
		vdir := os.DirFS(filepath.Join(dir, strconv.Itoa(n)))
		if err := src.PushVersion(ctx, name, n, vdir); err != nil {
			return err
		}
		fmt.Fprintf(out, "pushed %s version %d to %s/%s/%d\n", name, n, src, name, n)
	}
	return nil
}
