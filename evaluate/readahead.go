package evaluate

import (
	"context"
	"errors"
	"io"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/tensor"
)

// batch is a batch of rows read ahead, with its feature tensor when the
// target takes one, or the reading error.
type batch struct {
	rows     []*dataset.Row
	features *tensor.Tensor
	buf      FeatureBuffer
	err      error
}

// rowFiller is a dataset reader that can fill a row it is given, reusing
// its slices (dataset's CSV reader).
type rowFiller interface {
	NextInto(row *dataset.Row) error
}

// readAhead reads batches on its own goroutine, reusing the batches that
// Run hands back: a CSV run then allocates nothing per row, and the
// inference goroutine gets table rows as a ready feature tensor.
type readAhead struct {
	r      dataset.Reader
	filler rowFiller
	size   int
	model  *Model
	// tensors is set when the target runs feature tensors and the model's
	// input can hold table rows.
	tensors bool
	out     chan *batch
	free    chan *batch
}

func newReadAhead(r dataset.Reader, size int, t Target) *readAhead {
	rd := &readAhead{r: r, size: size, model: t.Model(), out: make(chan *batch, 2), free: make(chan *batch, 4)}
	rd.filler, _ = r.(rowFiller)
	_, ok := t.(TensorPredictor)
	rd.tensors = ok && rd.model.TableErr == nil
	return rd
}

// recycle hands a batch that Run is done with back to the reader.
func (rd *readAhead) recycle(b *batch) {
	select {
	case rd.free <- b:
	default:
	}
}

// run reads batches into out until the dataset ends, fails, or ctx is
// cancelled, and closes out.
func (rd *readAhead) run(ctx context.Context) {
	yieldToInference()
	defer close(rd.out)
	send := func(b *batch) bool {
		select {
		case rd.out <- b:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		b, err := rd.read()
		if len(b.rows) > 0 && !send(b) {
			return
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			send(&batch{err: err})
			return
		}
	}
}

// read reads up to size rows into a recycled batch or a new one, and
// builds their feature tensor when the target takes one. A row that does
// not fit the tensor is left to Predict, which names it.
func (rd *readAhead) read() (*batch, error) {
	var b *batch
	select {
	case b = <-rd.free:
		b.rows, b.features = b.rows[:cap(b.rows)], nil
	default:
		b = &batch{rows: make([]*dataset.Row, rd.size)}
		for i := range b.rows {
			b.rows[i] = &dataset.Row{}
		}
	}
	var err error
	for i := range b.rows {
		if rd.filler != nil {
			err = rd.filler.NextInto(b.rows[i])
		} else {
			b.rows[i], err = rd.r.Next()
		}
		if err != nil {
			b.rows = b.rows[:i]
			break
		}
	}
	if rd.tensors && len(b.rows) > 0 && b.rows[0].Image == nil && b.rows[0].Inputs == nil {
		b.features, _ = b.buf.Tensor(rd.model, b.rows)
	}
	return b, err
}
