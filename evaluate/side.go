package evaluate

import (
	"context"
	"errors"
	"fmt"
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

// result is a batch the target ran: its scores, or (TensorPredictor) the
// output to turn into scores.
type result struct {
	b      *batch
	out    *tensor.Tensor
	scores []float64
}

// rowFiller is a dataset reader that can fill a row it is given, reusing
// its slices (dataset's CSV reader).
type rowFiller interface {
	NextInto(row *dataset.Row) error
}

// side is the work of a run besides the target's: on its own goroutine it
// reads batches ahead (building their feature tensor when the target
// takes one) and records the batches the target ran (their scores into
// collected), reusing recorded batches for the next reads. The goroutine
// running the target then does nothing else: it takes a chunk of batches
// from out, runs them, and hands their results to done. Chunks of several
// small batches (up to chunkRows rows) wake each goroutine once per chunk
// rather than once per batch: a wake-up costs the waker 10–20 µs on a
// virtual machine whose other core idles. The side goroutine works in
// bursts: it records every result waiting in done and fills out with up
// to aheadChunks chunks, then sleeps until the target's goroutine, having
// taken out down to half, asks for more on want. The target's goroutine
// thus never waits for a side goroutine that the machine's other work
// keeps off a core for a few milliseconds, never blocks handing results
// back, and wakes the side goroutine once per aheadChunks/2 chunks. A CSV
// run allocates nothing per row.
type side struct {
	r      dataset.Reader
	filler rowFiller
	size   int
	chunk  int // batches per chunk
	model  *Model
	// tp is set when the target runs feature tensors and the model's
	// input can hold table rows.
	tp       TensorPredictor
	c        *collected
	weighted bool
	progress func(rows int)

	out  chan []*batch
	done chan []result
	// want asks the side goroutine for more batches; end is closed when
	// the target's goroutine has sent its last results to done, closed.
	want chan struct{}
	end  chan struct{}
	// finished is closed when the goroutine ends, err set: the first
	// error recording a batch.
	finished chan struct{}
	err      error

	free    []*batch
	scores  []float64
	readErr error
}

// chunkRows bounds the rows of a chunk of batches, aheadChunks the
// chunks read ahead.
const (
	chunkRows   = 256
	aheadChunks = 4
)

func newSide(r dataset.Reader, t Target, c *collected, o *Options) *side {
	s := &side{r: r, size: o.Batch, chunk: max(1, chunkRows/o.Batch), model: t.Model(), c: c, weighted: o.Data.Weight != "",
		progress: o.Progress, out: make(chan []*batch, aheadChunks), done: make(chan []result, 2*aheadChunks+2),
		want: make(chan struct{}, 1), end: make(chan struct{}), finished: make(chan struct{})}
	s.filler, _ = r.(rowFiller)
	if tp, ok := t.(TensorPredictor); ok && s.model.TableErr == nil {
		s.tp = tp
	}
	return s
}

// run reads batches into out until the dataset ends or fails (closing
// out), and records the results that come back on done until done is
// closed or ctx is cancelled. A recording error stops the reading.
func (s *side) run(ctx context.Context) {
	defer close(s.finished)
	reading := true
	defer func() {
		if reading { // cancelled: the run stops too
			close(s.out)
		}
	}()
	for {
		for drained := false; !drained; {
			select {
			case rs, ok := <-s.done:
				if drained = !ok; ok { // closed: end follows
					s.recordAll(ctx, rs)
				}
			default:
				drained = true
			}
		}
		if reading && s.err != nil {
			close(s.out) // stop reading: the run fails
			reading = false
		}
		for reading && len(s.out) < cap(s.out) {
			chunk, last := s.nextChunk()
			if len(chunk) > 0 {
				s.out <- chunk // only this goroutine sends, and there is room
			}
			if last {
				close(s.out)
				reading = false
			}
		}
		select {
		case <-s.want:
		case <-s.end:
			for rs := range s.done {
				s.recordAll(ctx, rs)
			}
			return
		case <-ctx.Done():
			return
		}
	}
}

// recordAll records the results of a chunk, up to the first error or
// until ctx is cancelled.
func (s *side) recordAll(ctx context.Context, rs []result) {
	for _, r := range rs {
		if s.err == nil && ctx.Err() == nil {
			s.err = s.record(r)
		}
	}
}

// nextChunk returns the next chunk of batches to send, nil when the
// dataset has ended, and whether it is the last.
func (s *side) nextChunk() ([]*batch, bool) {
	var chunk []*batch
	for len(chunk) < s.chunk {
		b, last := s.next()
		if b != nil {
			chunk = append(chunk, b)
		}
		if last {
			return chunk, true
		}
	}
	return chunk, false
}

// next returns the next batch to send (the rows read before a reading
// error, then the error), or nil when the dataset has ended, and whether
// it is the last.
func (s *side) next() (*batch, bool) {
	if s.readErr != nil {
		return &batch{err: s.readErr}, true
	}
	b, err := s.read()
	switch {
	case err == nil:
		return b, false
	case errors.Is(err, io.EOF):
		if len(b.rows) == 0 {
			return nil, true
		}
		return b, true
	case len(b.rows) == 0:
		return &batch{err: err}, true
	}
	s.readErr = err
	return b, false
}

// read reads up to size rows into a recycled batch or a new one, and
// builds their feature tensor when the target takes one. A row that does
// not fit the tensor is left to Predict, which names it.
func (s *side) read() (*batch, error) {
	var b *batch
	if n := len(s.free); n > 0 {
		b, s.free = s.free[n-1], s.free[:n-1]
		b.rows, b.features = b.rows[:cap(b.rows)], nil
	} else {
		b = &batch{rows: make([]*dataset.Row, s.size)}
		for i := range b.rows {
			b.rows[i] = &dataset.Row{}
		}
	}
	var err error
	for i := range b.rows {
		if s.filler != nil {
			err = s.filler.NextInto(b.rows[i])
		} else {
			b.rows[i], err = s.r.Next()
		}
		if err != nil {
			b.rows = b.rows[:i]
			break
		}
	}
	if s.tp != nil && len(b.rows) > 0 && b.rows[0].Image == nil && b.rows[0].Inputs == nil {
		b.features, _ = b.buf.Tensor(s.model, b.rows)
	}
	return b, err
}

// record adds a batch's rows with their scores to collected, and keeps
// the batch for a later read.
func (s *side) record(r result) error {
	rows, scores := r.b.rows, r.scores
	k, from := len(s.model.Classes), s.c.rows()
	if r.out != nil {
		var err error
		if scores, err = s.tp.Scores(s.scores[:0], r.out, len(rows)); err != nil {
			return fmt.Errorf("rows %s to %s: %w", rows[0].Where(), rows[len(rows)-1].Where(), err)
		}
		s.scores = scores
	}
	if len(scores) != k*len(rows) {
		return fmt.Errorf("the model answered %d scores for %d rows of %d classes", len(scores), len(rows), k)
	}
	for i, row := range rows {
		if err := s.c.add(row, scores[i*k:(i+1)*k], s.weighted); err != nil {
			return err
		}
	}
	s.c.endBatch(from)
	if s.progress != nil {
		s.progress(s.c.seen)
	}
	if len(s.free) < (3*aheadChunks+3)*s.chunk { // the batches of the chunks in flight
		s.free = append(s.free, r.b)
	}
	return nil
}
