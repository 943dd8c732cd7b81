package drift

import (
	"fmt"

	"github.com/inferd/inferd/monitor"
)

// RecordRows returns the feature rows of a captured record.
func RecordRows(r monitor.Record) ([]Row, error) {
	ins, err := r.Inputs.Tensors()
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	outs, err := r.Outputs.Tensors()
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	return Extract(ins, outs), nil
}
