package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/api/client"
)

func newTrafficCmd() *cobra.Command {
	var (
		o          manageOptions
		clearSplit bool
	)
	cmd := &cobra.Command{
		Use:   "traffic MODEL VERSION=WEIGHT... | traffic MODEL --clear",
		Short: "Split a running server's unversioned requests to a model between versions",
		Long: `Traffic splits the requests that name no version (POST /models/{name},
/v2/models/{name}/infer, /v1/models/{name}:predict, gRPC without a version)
between versions by weight (PUT /models/{name}/traffic). Weights are relative:
3=90 4=10 and 3=9 4=1 are the same split. A client that sends the same
Inferd-Client-Id header (inferd-client-id gRPC metadata) always gets the same
version. The versions of the split stay loaded. --clear removes the split, so
that those requests go to the default version again
(DELETE /models/{name}/traffic).

The change lives in the server's memory: it holds until the server restarts,
where config.yaml's traffic applies again.`,
		Example: `  inferd traffic digits 1=90 2=10
  inferd traffic digits --clear`,
		Args: func(cmd *cobra.Command, args []string) error {
			if clearSplit {
				return cobra.ExactArgs(1)(cmd, args)
			}
			if len(args) < 2 {
				return errors.New("want MODEL VERSION=WEIGHT..., or MODEL --clear")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTraffic(cmd.Context(), cmd.OutOrStdout(), o, clearSplit, args[0], args[1:])
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().BoolVar(&clearSplit, "clear", false, "remove the traffic split")
	return cmd
}

func runTraffic(ctx context.Context, out io.Writer, o manageOptions, clearSplit bool, model string, pairs []string) error {
	split, err := parseSplit(pairs)
	if err != nil {
		return err
	}
	return o.call(ctx, func(ctx context.Context, c *client.Client) error {
		if clearSplit {
			if err := c.ClearTraffic(ctx, model); err != nil {
				return err
			}
			_, err := fmt.Fprintf(out, "%s: traffic split cleared; unversioned requests go to the default version\n", model)
			return err
		}
		got, err := c.SetTraffic(ctx, model, split)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s: unversioned requests go to %s\n", model, formatSplit(got))
		return err
	})
}

// parseSplit reads VERSION=WEIGHT arguments.
func parseSplit(pairs []string) (map[string]int, error) {
	split := map[string]int{}
	for _, p := range pairs {
		v, w, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			return nil, fmt.Errorf("%q: want VERSION=WEIGHT, such as 3=90", p)
		}
		weight, err := strconv.Atoi(w)
		if err != nil {
			return nil, fmt.Errorf("%q: the weight is not an integer", p)
		}
		if _, dup := split[v]; dup {
			return nil, fmt.Errorf("version %s is given twice", v)
		}
		split[v] = weight
	}
	return split, nil
}

// formatSplit prints a split as "version 3 (90%), version 4 (10%)", by
// ascending version.
func formatSplit(split map[string]int) string {
	shares := trafficShares(split)
	versions := make([]string, 0, len(split))
	for v := range split {
		versions = append(versions, v)
	}
	slices.SortFunc(versions, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	parts := make([]string, len(versions))
	for i, v := range versions {
		parts[i] = fmt.Sprintf("version %s (%s)", v, shares[v])
	}
	return strings.Join(parts, ", ")
}
