package evaluate

import (
	"fmt"

	"github.com/inferd/inferd/tensor"
)

// MaxBatch is the most rows Run sends in one batch (Options.Batch), and
// MaxBatchBytes the most bytes one batch of table rows may fill: a batch
// and its feature tensor are allocated at the batch size before any row
// is read, so a larger one is refused up front rather than exhausting
// memory.
const (
	MaxBatch      = 1 << 16
	MaxBatchBytes = 1 << 30
)

// maxWarmRows bounds the batch Run warms the target at (Warmer): past it a
// batch's own work outweighs the one-off costs a warm-up removes, and a
// small dataset with a large batch is not made to run three large batches
// of zeros.
const maxWarmRows = 1024

// checkBatch refuses a batch of rows rows that is over MaxBatch, or whose
// table input would take more than MaxBatchBytes.
func checkBatch(m *Model, rows int) error {
	if rows > MaxBatch {
		return fmt.Errorf("a batch of %d rows is over the limit of %d rows per batch", rows, MaxBatch)
	}
	if m.TableErr != nil {
		return nil
	}
	per := int64(m.DType.Size()) * int64(tensor.NumElements(m.Shape))
	if bytes := int64(rows) * per; bytes > MaxBatchBytes {
		return fmt.Errorf("a batch of %d rows of %v %v takes %d MiB, over the limit of %d MiB per batch", rows, m.DType, m.Shape, bytes>>20, MaxBatchBytes>>20)
	}
	return nil
}
