package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/inferd/inferd/api/client"
)

// printLabelHistory prints, for the models with a promotion record, which
// version each label pointed at when.
func printLabelHistory(out io.Writer, models []client.ModelStatus) error {
	var rows [][]string
	for _, m := range models {
		p := m.Promotions
		if p == nil {
			continue
		}
		if p.Error != "" {
			rows = append(rows, []string{m.Name, "-", "-", "-", "-", "-", "promotion record: " + p.Error})
			continue
		}
		for _, label := range slices.Sorted(maps.Keys(p.Labels)) {
			for _, period := range p.Labels[label] {
				rows = append(rows, []string{m.Name, label, period.Version, timeOr(period.Since, "-"), timeOr(period.Until, "now"), dash(period.Actor), "-"})
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nMODEL\tLABEL\tVERSION\tSINCE\tUNTIL\tBY\tERROR")
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func timeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
