package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/inferd/inferd/evaluate/dataset"
	"github.com/inferd/inferd/tensor"
)

// batch is a batch of rows read ahead, with its feature tensor when the
// target takes one, or the reading error.
type batch struct {
	rows     []*dataset.Row
	features *tensor.Tensor
	buf      FeatureBuffer
	answer   answer
	err      error
}

// result is a batch the target ran: its scores, or (TensorPredictor) the
// output to turn into scores. kept is set when out is the batch's copy of
// the output, which went straight back to the target.
type result struct {
	b      *batch
	out    *tensor.Tensor
	scores []float64
	kept   bool
}

// keep replaces r's output with the batch's copy of it (answer) and
// hands the output back to the target, when the batch has storage of the
// output's type and shape, from an earlier use: the target's goroutine
// then allocates nothing (fresh memory costs page faults).
func (r *result) keep(tp TensorPredictor) {
	if r.b.answer.copyFrom(r.out) {
		tp.Recycle(r.out)
		r.out, r.kept = r.b.answer.t, true
	}
}

// answer is a copy of the target's output for a batch, in storage the
// batch reuses. The target's goroutine copies each FP32 or FP64 output
// (the scores: a few values a row) and hands the output back at once
// (TensorPredictor.Recycle), rather than after the side goroutine has
// recorded it, chunks later: an engine then writes every answer into the
// same memory, which stays in cache, instead of into memory it allocates
// afresh while earlier answers wait to be recorded (the native engine
// takes back only its last 16 outputs; eval has up to 40 in flight). The
// side goroutine makes the storage when it records a batch's first use.
type answer struct{ t *tensor.Tensor }

// copyFrom copies out into a's storage, if that has out's type (FP32 or
// FP64) and shape.
func (a *answer) copyFrom(out *tensor.Tensor) bool {
	if a.t == nil || a.t.DType() != out.DType() || !slices.Equal(a.t.Shape(), out.Shape()) {
		return false
	}
	switch out.DType() {
	case tensor.Float32:
		copy(tensor.Data[float32](a.t), tensor.Data[float32](out))
	case tensor.Float64:
		copy(tensor.Data[float64](a.t), tensor.Data[float64](out))
	default:
		return false
	}
	return true
}

// prepare makes a's storage fit out, an FP32 or FP64 output, for the
// batch's next use.
func (a *answer) prepare(out *tensor.Tensor) {
	dt := out.DType()
	if (dt == tensor.Float32 || dt == tensor.Float64) && (a.t == nil || a.t.DType() != dt || !slices.Equal(a.t.Shape(), out.Shape())) {
		a.t = tensor.New(dt, out.Shape()...)
	}
}

// chunk is batches that the target's goroutine runs in one go, and their
// results, in order up to the first that failed. The side goroutine
// reuses a recorded chunk for a later read.
type chunk struct {
	batches []*batch
	results []result
}

// rowFiller is a dataset reader that can fill a row it is given, reusing
// its slices (dataset's CSV reader).
type rowFiller interface {
	NextInto(row *dataset.Row) error
}

// side is the work of a run besides the target's: on its own goroutine it
// reads batches ahead (building their feature tensor when the target
// takes one) and records the batches the target ran (their scores into
// collected), reusing recorded batches and chunks for the next reads.
// The goroutine running the target then does nothing else: it takes a
// chunk of batches from out, runs them, and hands their results to done.
// Chunks of several small batches (up to chunkRows rows) wake each
// goroutine once per chunk rather than once per batch: a wake-up costs
// the waker 10–20 µs on a virtual machine whose other core idles. The side goroutine works in
// bursts: it fills out with up to aheadChunks chunks, records every
// result waiting in done, tops out up again, then sleeps until the
// target's goroutine, having taken out down to half, asks for more on
// want. The target's goroutine
// thus never waits for a side goroutine that the machine's other work
// keeps off a core for a few milliseconds, never blocks handing results
// back, and wakes the side goroutine once per aheadChunks/2 chunks. At
// the ends of a run neither waits for the other either: the side
// goroutine starts reading while the target warms up, and after the last
// batch the target's goroutine records the last results itself (finish).
// A CSV run allocates nothing per row.
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
	progress func(rows int)

	out  chan *chunk
	done chan *chunk
	// want asks the side goroutine for more batches; end is closed when
	// finish has recorded the last results.
	want chan struct{}
	end  chan struct{}
	// finished is closed when the goroutine ends.
	finished chan struct{}

	// tail is the rows of the dataset's last batch once the reading has
	// reached its end, when that batch is not full (0 otherwise): Run
	// reads it after the warm-up, to warm that shape too (warmUp).
	tail atomic.Int64

	// mu guards what follows: the side goroutine holds it while it
	// works, finish while it records the last results.
	mu sync.Mutex
	// stopped is set by finish; err is the first error recording a batch.
	stopped bool
	err     error

	free    []*batch
	chunks  []*chunk // recorded, for reuse
	scores  []float64
	readErr error
	sent    int  // chunks sent
	reading bool // out is open
}

// chunkRows bounds the rows of a chunk of batches, aheadChunks the
// chunks read ahead.
const (
	chunkRows   = 256
	aheadChunks = 4
)

func newSide(r dataset.Reader, t Target, c *collected, o *Options) *side {
	s := &side{r: r, size: o.Batch, chunk: max(1, chunkRows/o.Batch), model: t.Model(), c: c,
		progress: o.Progress, out: make(chan *chunk, aheadChunks), done: make(chan *chunk, 2*aheadChunks+2),
		want: make(chan struct{}, 1), end: make(chan struct{}), finished: make(chan struct{}), reading: true}
	s.filler, _ = r.(rowFiller)
	if tp, ok := t.(TensorPredictor); ok && s.model.TableErr == nil {
		s.tp = tp
	}
	return s
}

// run reads batches into out until the dataset ends or fails (closing
// out), and records the results that come back on done, until finish
// stops it or ctx is cancelled. A recording error stops the reading. Each
// wake-up fills out before it records, and tops it up after: recording
// can stall (a new block of a kept column is fresh memory, whose page
// faults cost about 18 µs a page on the 2-core VM), and the target's
// goroutine then still has out's chunks to run.
func (s *side) run(ctx context.Context) {
	defer close(s.finished)
	for s.step(ctx) {
		select {
		case <-s.want:
		case <-s.end:
			return
		case <-ctx.Done(): // the run stops too
			s.mu.Lock()
			s.stopReading()
			s.mu.Unlock()
			return
		}
	}
}

// step is one wake-up's work, under mu: fill, record, fill. It reports
// false once finish has taken over.
func (s *side) step(ctx context.Context) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.fill(ctx)
	s.drain(ctx)
	if s.err != nil {
		s.stopReading() // the run fails
	}
	s.fill(ctx)
	return true
}

// finish is called on the target's goroutine once it has sent its last
// results to done: it records the results still waiting there itself
// (rather than wake the side goroutine and wait for it, which on a loaded
// machine can take a millisecond), and stops the side goroutine.
func (s *side) finish(ctx context.Context) {
	s.mu.Lock()
	s.stopped = true
	s.drain(ctx)
	s.stopReading()
	s.mu.Unlock()
	close(s.end)
}

// stopReading closes out, if it is open.
func (s *side) stopReading() {
	if s.reading {
		close(s.out)
		s.reading = false
	}
}

// fill reads chunks into out until it is full or the dataset has ended.
// Short of recycled batches for a chunk, it first records a chunk waiting
// in done, if there is one, and reads into its batches: the batches in
// flight stay about those of out and of the target's chunk, and are not
// allocated afresh (fresh memory costs page faults) when the target's
// goroutine ran ahead.
func (s *side) fill(ctx context.Context) {
	for s.reading && s.err == nil && len(s.out) < cap(s.out) {
		if len(s.free) < s.chunk {
			select {
			case ch := <-s.done:
				s.recordAll(ctx, ch)
			default:
			}
			if s.err != nil {
				return
			}
		}
		ch, last := s.nextChunk()
		if len(ch.batches) > 0 {
			s.out <- ch // only this goroutine sends, and there is room
		}
		if last {
			s.stopReading()
		}
	}
}

// drain records the results waiting in done.
func (s *side) drain(ctx context.Context) {
	for {
		select {
		case ch := <-s.done:
			s.recordAll(ctx, ch)
		default:
			return
		}
	}
}

// recordAll records the results of a chunk, up to the first error or
// until ctx is cancelled, and keeps the chunk for a later read.
func (s *side) recordAll(ctx context.Context, ch *chunk) {
	for _, r := range ch.results {
		if s.err == nil && ctx.Err() == nil {
			s.err = s.record(r)
		}
	}
	clear(ch.results)
	ch.batches, ch.results = ch.batches[:0], ch.results[:0]
	s.chunks = append(s.chunks, ch)
}

// nextChunk returns the next chunk of batches to send, empty when the
// dataset has ended, and whether it is the last. The first chunks are
// small (1, 2, 4… batches, up to s.chunk), so that the target starts on
// the first batch read rather than on a whole chunk's.
func (s *side) nextChunk() (*chunk, bool) {
	ch := &chunk{}
	if n := len(s.chunks); n > 0 {
		ch, s.chunks = s.chunks[n-1], s.chunks[:n-1]
	}
	size := min(s.chunk, 1<<min(s.sent, 16))
	s.sent++
	if cap(ch.results) < size { // filled on the target's goroutine
		ch.results = make([]result, 0, s.chunk)
	}
	for len(ch.batches) < size {
		b, last := s.next()
		if b != nil {
			ch.batches = append(ch.batches, b)
		}
		if last {
			return ch, true
		}
	}
	return ch, false
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
		if len(b.rows) < s.size {
			s.tail.Store(int64(len(b.rows)))
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
		rows := make([]dataset.Row, s.size)
		for i := range b.rows {
			b.rows[i] = &rows[i]
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
		scores, err = s.tp.Scores(s.scores[:0], r.out, len(rows))
		if !r.kept {
			r.b.answer.prepare(r.out)
			s.tp.Recycle(r.out) // read: Scores copied what it needs
		}
		if err != nil {
			return fmt.Errorf("rows %s to %s: %w", rows[0].Where(), rows[len(rows)-1].Where(), err)
		}
		s.scores = scores
	}
	if len(scores) != k*len(rows) {
		return fmt.Errorf("the model answered %d scores for %d rows of %d classes", len(scores), len(rows), k)
	}
	for i, row := range rows {
		if err := s.c.add(row, scores[i*k:(i+1)*k]); err != nil {
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
