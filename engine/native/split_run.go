package native

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/inferd/inferd/tensor"
)

// Split runs. A batch-separable plan (split_analysis.go) runs a batch of
// B ≥ 2 rows as sub-batches (units) small enough for their intermediate
// values to stay in cache (splitCacheBytes), on parts: one goroutine per
// thread (at most B), each with its own runner and no barrier between
// operators, running units one after the other on the same arena. The
// parts claim units dynamically, the first part from the front of the
// batch and the others from the back (as parallelRange's chunks), so a
// part whose core is taken by another process leaves its remaining units
// to the others instead of delaying the run: with two fixed halves, the
// run took as long as the slower half. Every sub-run computes exactly
// what the whole batch's run computes for its rows, so the outputs are
// identical.

// splitCacheBytes is the working set a sub-batch aims at: about a core's
// share of the L2 cache.
var splitCacheBytes int64 = 1 << 20

// splitMinRows is the most rows a sub-batch is given beyond what fits
// splitCacheBytes: a model whose rows overflow the cache anyway runs
// sub-batches of up to this many rows when its weights outweigh a row's
// working set (see splitter.subBatch), so that a sub-run reads them once
// for several rows (ResNet-18: 47 MB of weights, 6.7 MB a row).
var splitMinRows int64 = 4

// splitter is a session's split state.
type splitter struct {
	// sampleBytes is the working set of one row (the bytes of the arena's
	// buffers after a sub-run, per row), learned by the first split run;
	// 0 until then.
	sampleBytes atomic.Int64
	// weightBytes is the size of the plan's constants.
	weightBytes int64
	jobs        freeList[splitJob]
}

// splitJob is one split run.
type splitJob struct {
	s      *session
	ctx    context.Context
	inputs map[string]*tensor.Tensor
	// axes are the batch axes of the graph's outputs.
	axes  []batchAxis
	batch int
	parts int
	// units is the number of sub-runs, rows [u·batch/units,
	// (u+1)·batch/units) for unit u.
	units int
	// ends holds the units not yet claimed, as parallelTask.ends.
	ends atomic.Uint64
	// threads is what each sub-run's kernels may use.
	threads int
	mu      sync.Mutex
	outs    []*tensor.Tensor
	err     error
	// shape is scratch for the shapes of the job's tensors.
	shape []int
	// mismatch is set when a sub-run's output does not have the rows it
	// should: the run is redone whole.
	mismatch atomic.Bool
}

// subBatch returns the rows per sub-run for parts of n rows: as many as
// fit splitCacheBytes, but never fewer than the weights' bytes over a
// row's working set, up to splitMinRows (at least one row).
// Single rows keep more of each layer in cache than sub-batches of 4,
// which cost MobileNetV2 (14 MB of weights, 13 MB a row) 7–12% and the
// text detector (0.9 and 0.7 MB) 20% more CPU time per row; ResNet-18's
// weight reads make its sub-batches of 4 0–3% cheaper than single rows
// (BenchmarkSplit, cpu-ns/op).
func (sp *splitter) subBatch(n int) int {
	per := sp.sampleBytes.Load()
	if per <= 0 {
		return n
	}
	least := min(splitMinRows, max(1, sp.weightBytes/per))
	return int(min(int64(n), max(least, splitCacheBytes/per)))
}

// constBytes returns the bytes of p's constants.
func (p *plan) constBytes() int64 {
	var n int64
	for _, c := range p.consts {
		if c != nil {
			n += int64(c.Bytes())
		}
	}
	return n
}

// runSplit runs p on rows of the inputs when that is worth it (more than
// one part or sub-run); ok is false when the caller must run the batch
// whole.
func (s *session) runSplit(ctx context.Context, inputs map[string]*tensor.Tensor) (out map[string]*tensor.Tensor, ok bool, err error) {
	p := s.plan
	b := splitBatch(p, inputs)
	if s.split == nil || b < 2 {
		return nil, false, nil
	}
	parts := min(s.threads, b)
	sub := s.split.subBatch((b + parts - 1) / parts)
	if parts == 1 && sub >= b && s.split.sampleBytes.Load() > 0 {
		return nil, false, nil
	}
	axes := p.splitOut
	if !p.separable {
		if axes, ok = p.late.separableFor(p, inputs); !ok {
			return nil, false, nil
		}
	}
	j := s.split.jobs.take()
	if j == nil {
		j = &splitJob{}
	}
	units := max(parts, (b+sub-1)/sub)
	*j = splitJob{s: s, ctx: ctx, inputs: inputs, axes: axes, batch: b, parts: parts, units: units, threads: 1, outs: j.outs[:0], shape: j.shape}
	j.ends.Store(uint64(units) << 32)
	if parts == 1 {
		j.threads = s.threads
	}
	j.runParts(parts)
	out, ok, err = j.result()
	clear(j.outs)
	j.s, j.ctx, j.inputs, j.axes, j.err = nil, nil, nil, nil, nil
	s.split.jobs.keep(j)
	return out, ok, err
}

// result returns the job's outputs by name.
func (j *splitJob) result() (map[string]*tensor.Tensor, bool, error) {
	if j.mismatch.Load() {
		return nil, false, nil
	}
	if j.err != nil {
		return nil, true, j.s.runError(j.err)
	}
	p := j.s.plan
	res := make(map[string]*tensor.Tensor, len(p.outputIDs))
	for i, t := range j.outs {
		res[p.graphOutputs[i].Name] = t
	}
	j.s.recycled.issue(res, nil)
	return res, true, nil
}

// splitBatch returns the batch size common to every input, or 0.
func splitBatch(p *plan, inputs map[string]*tensor.Tensor) int {
	b := -1
	for _, in := range p.graphInputs {
		t := inputs[in.Name]
		if t == nil || t.Rank() == 0 || b >= 0 && t.Shape()[0] != b {
			return 0
		}
		b = t.Shape()[0]
	}
	return max(b, 0)
}

// do runs parts [lo, hi): each claims units until none is left, part 0
// from the front, the others from the back.
func (j *splitJob) do(lo, hi int) {
	r := j.s.getRunner()
	defer j.s.putRunner(r)
	first := true
	for part := lo; part < hi; part++ {
		for {
			u := claimEnd(&j.ends, part == 0)
			if u < 0 {
				break
			}
			if !first {
				r.arena.endRun() // putRunner ends the last
			}
			first = false
			if err := j.subRun(r, u*j.batch/j.units, (u+1)*j.batch/j.units); err != nil {
				j.mu.Lock()
				if j.err == nil {
					j.err = err
				}
				j.mu.Unlock()
				return
			}
		}
	}
}

// subRun runs rows [from, to) on r and copies their outputs.
func (j *splitJob) subRun(r *runner, from, to int) error {
	s, p := j.s, j.s.plan
	st := &r.st
	st.reset(p)
	tag := uint64(0)
	for i := range p.inputIDs {
		tag = tagShape(tag, j.inputs[p.graphInputs[i].Name], to-from)
	}
	r.arena.start(tag)
	r.rc = runCtx{ctx: j.ctx, threads: j.threads, arena: r.arena, maxBytes: s.maxBytes, tag: tag}
	for i, id := range p.inputIDs {
		st.vals[id] = j.rows(r, j.inputs[p.graphInputs[i].Name], from, to)
	}
	if err := p.exec(&r.rc, st); err != nil {
		return err
	}
	j.keep(st, from, to)
	for _, id := range p.outputIDs {
		r.arena.release(st.vals[id])
	}
	if s.split.sampleBytes.Load() == 0 {
		s.split.sampleBytes.Store(max(1, r.arena.footprint()/int64(to-from)))
	}
	st.clear()
	return nil
}

// keep copies a sub-run's outputs, rows [from, to), into the job's: for
// an output whose batch axis holds outer·B·inner entries, each of its
// outer blocks (per index of the axes before) is one run of elements.
func (j *splitJob) keep(st *runState, from, to int) {
	p, n := j.s.plan, to-from
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.outs) == 0 && !j.allocOuts(st, n) {
		return
	}
	for i, id := range p.outputIDs {
		t, o, bx := st.vals[id], j.outs[i], j.axes[i]
		if !splitDType(t.DType()) || t.Rank() != o.Rank() || t.DType() != o.DType() || t.Shape()[bx.axis] != bx.outer*n*bx.inner ||
			o.Shape()[bx.axis] != bx.outer*j.batch*bx.inner || t.Len()*j.batch != o.Len()*n {
			j.mismatch.Store(true)
			continue
		}
		run := bx.inner * tensor.NumElements(t.Shape()[bx.axis+1:])
		for b := range bx.outer * tensor.NumElements(t.Shape()[:bx.axis]) {
			copyElemsN(o, (b*j.batch+from)*run, t, b*n*run, n*run)
		}
	}
}

// allocOuts allocates the job's outputs from a sub-run's of n rows;
// false (and the job redone whole) when one has not the rank its batch
// axis needs.
func (j *splitJob) allocOuts(st *runState, n int) bool {
	p := j.s.plan
	for i, id := range p.outputIDs {
		if t := st.vals[id]; t.Rank() <= j.axes[i].axis {
			j.mismatch.Store(true)
			return false
		}
	}
	for i, id := range p.outputIDs {
		t, ax := st.vals[id], j.axes[i].axis
		j.shape = append(j.shape[:0], t.Shape()...)
		j.shape[ax] = t.Shape()[ax] / n * j.batch
		j.outs = append(j.outs, j.s.recycled.alloc(t.DType(), j.shape))
	}
	return true
}

// footprint returns the bytes of the buffers the arena holds free.
func (a *arena) footprint() int64 {
	var n int64
	for dt, list := range a.free {
		for _, b := range list {
			n += int64(b.size) * elemBytes(dt)
		}
	}
	return n
}

// rows returns a copy of rows [from, to) of t's axis 0 in a buffer of r's
// arena, which the run recycles like its other values (a view of t would
// cost allocations in every sub-run, and so would views of it).
func (j *splitJob) rows(r *runner, t *tensor.Tensor, from, to int) *tensor.Tensor {
	var buf [8]int // the parts run at once: no scratch in j
	shape := append(append(buf[:0], to-from), t.Shape()[1:]...)
	c := r.arena.alloc(t.DType(), shape)
	r.arena.retain(c)
	row := c.Len() / (to - from)
	lo := from * row
	copyElems(c, 0, t, lo)
	return c
}

// copyElems copies src's elements from srcAt into dst from dstAt, as many
// as both have; the two hold one element type of the split types.
func copyElems(dst *tensor.Tensor, dstAt int, src *tensor.Tensor, srcAt int) {
	copyElemsN(dst, dstAt, src, srcAt, min(dst.Len()-dstAt, src.Len()-srcAt))
}

// copyElemsN copies n of src's elements from srcAt into dst from dstAt.
func copyElemsN(dst *tensor.Tensor, dstAt int, src *tensor.Tensor, srcAt, n int) {
	switch wordKind(dst) {
	case 1:
		copy(wordsAs[uint8](dst)[dstAt:dstAt+n], wordsAs[uint8](src)[srcAt:])
	case 4:
		copy(wordsAs[uint32](dst)[dstAt:dstAt+n], wordsAs[uint32](src)[srcAt:])
	case 8:
		copy(wordsAs[uint64](dst)[dstAt:dstAt+n], wordsAs[uint64](src)[srcAt:])
	}
}

// runParts runs the job's parts, counted as a run of the session's
// threads while they compute (exitRun deferred, so that a panic does not
// leave helpers lingering for ever).
func (j *splitJob) runParts(parts int) {
	enterRun(j.s.threads)
	defer exitRun(j.s.threads)
	parallelRange(j.s.threads, parts, 1, j)
}
