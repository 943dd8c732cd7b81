package drift

import (
	"fmt"

	"github.com/inferd/inferd/monitor"
)

// RecordRows returns the feature rows of a captured record.
func RecordRows(r monitor.Record) ([]Row, error) {
	ins, err := monitor.DecodeTensors(r.Inputs)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	outs, err := monitor.DecodeTensors(r.Outputs)
	if err != nil {
		return nil, fmt.Errorf("record %d: %w", r.ID, err)
	}
	return Extract(ins, outs), nil
}
