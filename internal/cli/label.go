package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/inferd/inferd/api/client"
)

func newLabelCmd() *cobra.Command {
	var (
		o   manageOptions
		del bool
	)
	cmd := &cobra.Command{
		Use:   "label MODEL LABEL VERSION | label MODEL LABEL --delete",
		Short: "Point a version label of a running server's model at a version, or delete it",
		Long: `Label moves a version label (PUT /models/{name}/labels/{label}): requests for
MODEL/LABEL, on every protocol, go to VERSION from then on. The version stays
loaded while a label points at it. --delete removes the label
(DELETE /models/{name}/labels/{label}).

The change lives in the server's memory: it holds until the server restarts,
where config.yaml's version_labels apply again.`,
		Example: `  inferd label digits production 2
  inferd label digits canary --delete`,
		Args: func(cmd *cobra.Command, args []string) error {
			if del {
				return cobra.ExactArgs(2)(cmd, args)
			}
			if len(args) != 3 {
				return errors.New("want MODEL LABEL VERSION, or MODEL LABEL --delete")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			model, label := args[0], args[1]
			return o.call(cmd.Context(), func(ctx context.Context, c *client.Client) error {
				if del {
					if err := c.DeleteLabel(ctx, model, label); err != nil {
						return err
					}
					_, err := fmt.Fprintf(cmd.OutOrStdout(), "%s: label %s deleted\n", model, label)
					return err
				}
				version, err := c.SetLabel(ctx, model, label, args[2])
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: label %s points at version %s\n", model, label, version)
				return err
			})
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().BoolVar(&del, "delete", false, "delete the label")
	return cmd
}
