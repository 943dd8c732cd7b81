package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/inferd/inferd/api/client"
)

// manageOptions are the flags of the commands that manage a running
// server: models, label, traffic.
type manageOptions struct {
	url     string
	timeout time.Duration
}

func (o *manageOptions) register(fs *pflag.FlagSet) {
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080", "server: http://HOST:PORT")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the answer")
}

// call runs fn with a client of the server and the timeout. The
// management API is REST only: a grpc:// URL fails with
// client.ErrRESTOnly.
func (o *manageOptions) call(ctx context.Context, fn func(context.Context, *client.Client) error) error {
	return withClient(ctx, o.url, o.timeout, fn)
}

// withClient runs fn with a client of the server at url (the --url flag)
// and a context bounded by timeout.
func withClient(ctx context.Context, url string, timeout time.Duration, fn func(context.Context, *client.Client) error) error {
	c, err := client.New(url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return fn(ctx, c)
}

func newModelsCmd() *cobra.Command {
	var (
		o      manageOptions
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List a server's models: versions, states, labels and traffic splits",
		Long: `Models asks a running server (GET /models) for its models and prints one line
per version:

  MODEL    the model
  VERSION  the version number
  STATE    LOADING, AVAILABLE, FAILED or UNLOADED
  DEFAULT  * for the version that unversioned requests go to when there is
           no traffic split (the highest AVAILABLE one)
  LABELS   the version labels that point at it
  TRAFFIC  its share of unversioned requests, when the model has a traffic split
  ERROR    why it failed to load; for the model's line (VERSION -), why its
           config.yaml was rejected

Models whose directory holds a promotion record (inferd promote) then get a
second table: which version each label pointed at, since when (- before the
record began), until when (now: it still does),
and who moved it there.

--json prints the server's answer instead.`,
		Example: `  inferd models
  inferd models --url http://inferd.internal:8080 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.call(cmd.Context(), func(ctx context.Context, c *client.Client) error {
				models, err := c.Models(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return printModelsJSON(cmd.OutOrStdout(), models)
				}
				return printModels(cmd.OutOrStdout(), models)
			})
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the models as JSON")
	return cmd
}

func printModelsJSON(out io.Writer, models []client.ModelStatus) error {
	if models == nil {
		models = []client.ModelStatus{}
	}
	b, err := json.MarshalIndent(map[string]any{"models": models}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", b)
	return err
}

// printModels prints the models as a table, one line per version.
func printModels(out io.Writer, models []client.ModelStatus) error {
	if len(models) == 0 {
		_, err := fmt.Fprintln(out, "no models")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tVERSION\tSTATE\tDEFAULT\tLABELS\tTRAFFIC\tERROR")
	for _, m := range models {
		for _, row := range modelRows(m) {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return printLabelHistory(out, models)
}

// modelRows are a model's lines: one for the model itself when it has an
// error, is unloaded or has no versions, then one per version, including
// versions that only a label or the traffic split names.
func modelRows(m client.ModelStatus) [][]string {
	var rows [][]string
	if m.Error != "" || m.Unloaded || len(m.Versions) == 0 {
		state := "-"
		if m.Unloaded {
			state = "UNLOADED"
		}
		rows = append(rows, []string{m.Name, "-", state, "-", "-", "-", dash(m.Error)})
	}
	labels := map[string][]string{}
	for l, v := range m.Labels {
		labels[strconv.Itoa(v)] = append(labels[strconv.Itoa(v)], l)
	}
	shares := trafficShares(m.Traffic)
	versions := slices.Clone(m.Versions)
	for _, v := range versionsNamed(m) {
		if !slices.ContainsFunc(versions, func(s client.VersionStatus) bool { return s.Version == v }) {
			versions = append(versions, client.VersionStatus{Version: v, State: "-"})
		}
	}
	for _, v := range versions {
		def := "-"
		if v.Version == m.DefaultVersion {
			def = "*"
		}
		slices.Sort(labels[v.Version])
		rows = append(rows, []string{m.Name, v.Version, v.State, def, dash(strings.Join(labels[v.Version], ",")), dash(shares[v.Version]), dash(v.Error)})
	}
	return rows
}

// versionsNamed are the versions a model's labels and traffic split name,
// in ascending order.
func versionsNamed(m client.ModelStatus) []string {
	var vs []int
	for _, v := range m.Labels {
		vs = append(vs, v)
	}
	for k := range m.Traffic {
		if v, err := strconv.Atoi(strings.TrimPrefix(k, "v")); err == nil {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	out := make([]string, 0, len(vs))
	for _, v := range slices.Compact(vs) {
		out = append(out, strconv.Itoa(v))
	}
	return out
}

// trafficShares formats each version's weight as a percentage of the
// split's total.
func trafficShares(split map[string]int) map[string]string {
	total := 0
	for _, w := range split {
		total += w
	}
	out := map[string]string{}
	for v, w := range split {
		if total > 0 {
			out[v] = fmt.Sprintf("%.0f%%", 100*float64(w)/float64(total))
		}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
