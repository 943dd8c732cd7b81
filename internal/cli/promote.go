package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/api/client"
	"github.com/inferd/inferd/evaluate"
)

func newPromoteCmd() *cobra.Command {
	o := &evalOptions{}
	var label, record, actor string
	cmd := &cobra.Command{
		Use:   "promote MODEL VERSION --to LABEL --data PATH --gate FILE --url URL --repository DIR",
		Short: "Move a version label to a version only if it passes a gate against the labelled version",
		Long: `Promote evaluates the candidate VERSION and the version LABEL points at on the
same dataset, through the running server at --url, and applies the gate
(gates.yaml; its change thresholds compare against the labelled version).
Only if every check passes does it move the label (PUT
/models/{name}/labels/{label}).

Every promotion and every refusal is appended to the model's promotion record,
<repository>/<model>/promotions.jsonl: who, when, from which version to which,
the metrics of both, and the gate's result. 'inferd promotions' shows it, and
the server shows which version each label pointed at when in the model's status
(GET /models/{name}, 'inferd models').
A refusal exits with status 1 after printing what failed and by how much.`,
		Example: `  inferd promote loans 2 --to production --data loans-test.csv --group sex --gate gates.yaml \
      --url http://127.0.0.1:8080 --repository models/`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if label == "" || o.gate == "" || o.url == "" || record == "" {
				return errors.New("--to, --gate, --url and --repository are required")
			}
			return runPromote(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args[0], args[1], label, record, actor)
		},
	}
	o.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&label, "to", "", "the label to move")
	cmd.Flags().StringVar(&record, "repository", "", "the model repository directory that keeps the promotion record")
	cmd.Flags().StringVar(&actor, "actor", "", "who promotes, for the record (default: the user name)")
	return cmd
}

func runPromote(ctx context.Context, out, errw io.Writer, o *evalOptions, model, version, label, dir, actor string) error {
	if err := o.check(); err != nil {
		return err
	}
	if _, err := strconv.Atoi(version); err != nil {
		return fmt.Errorf("VERSION %q is not a version number", version)
	}
	gate, err := evaluate.LoadGate(o.gate)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	from, err := labelTarget(ctx, o.url, model, label)
	if err != nil {
		return err
	}
	p := &evaluate.Promotion{Time: time.Now().UTC(), Actor: whoami(actor), Model: model, Label: label, From: from, To: version, Dataset: o.data.Path}
	rep, err := o.evaluate(ctx, errw, model, version)
	if err != nil {
		return err
	}
	p.Metrics = rep.Metrics
	if rep.Fairness != nil {
		p.Fairness = rep.Fairness.Metrics
	}
	var base *evaluate.Report
	switch {
	case from != "" && len(gate.Changes) > 0:
		if base, err = o.evaluate(ctx, errw, model, from); err != nil {
			return fmt.Errorf("the labelled version %s: %w", from, err)
		}
		p.Baseline = base.Metrics
		gate.Baseline = label
	case len(gate.Changes) > 0:
		gate.Changes = nil // nothing to compare with: the first promotion
		p.Reason = "label " + label + " pointed at no version: change thresholds not applied"
	}
	p.Gate = gate.Apply(rep, base)
	if p.Gate.Passed {
		err = withClient(ctx, o.url, o.timeout, func(ctx context.Context, c *client.Client) error {
			_, err := c.SetLabel(ctx, model, label, version)
			return err
		})
		p.Promoted = err == nil
		if err != nil {
			p.Reason = "moving the label failed: " + err.Error()
		}
	}
	if rerr := evaluate.AppendPromotion(dir, p); rerr != nil {
		return errors.Join(rerr, err)
	}
	if werr := evaluate.WriteMarkdown(out, rep, p.Gate); werr != nil {
		return werr
	}
	if err != nil {
		return err
	}
	if !p.Gate.Passed {
		return fmt.Errorf("%s: version %s not promoted to %s: %w", model, version, label, &gateError{p.Gate})
	}
	_, err = fmt.Fprintf(out, "\n%s: label %s moved from version %s to %s\n", model, label, orNone(from), version)
	return err
}

// labelTarget is the version a label points at on the server ("" when the
// label does not exist).
func labelTarget(ctx context.Context, url, model, label string) (string, error) {
	var from string
	err := withClient(ctx, url, time.Minute, func(ctx context.Context, c *client.Client) error {
		models, err := c.Models(ctx)
		if err != nil {
			return err
		}
		for _, m := range models {
			if m.Name == model {
				if v, ok := m.Labels[label]; ok {
					from = strconv.Itoa(v)
				}
				return nil
			}
		}
		return fmt.Errorf("the server has no model %q", model)
	})
	return from, err
}

func whoami(actor string) string {
	if actor != "" {
		return actor
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func newPromotionsCmd() *cobra.Command {
	var (
		dir    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "promotions MODEL --repository DIR",
		Short: "Show a model's promotion record: which version each label was moved to, when, by whom",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return errors.New("--repository is required")
			}
			ps, err := evaluate.ReadPromotions(dir, args[0])
			if err != nil {
				return err
			}
			return writePromotions(cmd.OutOrStdout(), ps, asJSON)
		},
	}
	cmd.Flags().StringVar(&dir, "repository", "", "the model repository directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the record's entries as JSON lines")
	return cmd
}

func writePromotions(w io.Writer, ps []evaluate.Promotion, asJSON bool) error {
	if asJSON {
		for _, p := range ps {
			if err := evaluate.WriteJSONLine(w, p); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tLABEL\tFROM\tTO\tRESULT\tACCURACY\tFAILED CHECKS")
	for _, p := range ps {
		result := "promoted"
		if !p.Promoted {
			result = "refused"
		}
		failed := "-"
		if p.Gate != nil && len(p.Gate.Failures) > 0 {
			failed = p.Gate.Failures[0].Check
			if n := len(p.Gate.Failures); n > 1 {
				failed += fmt.Sprintf(" (+%d)", n-1)
			}
		}
		acc := "-"
		if v, ok := p.Metrics["accuracy"]; ok {
			acc = fmt.Sprintf("%.4f", v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Time.Format(time.RFC3339), p.Actor, p.Label, orNone(p.From), p.To, result, acc, failed)
	}
	return tw.Flush()
}
