package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/tensor"
)

// Pool runs on one of several engine sessions of the same model (a
// version's instances), round robin. Close waits for the runs in flight
// and closes the sessions, so that a session is never closed under a run;
// runs after Close fail with ErrClosed.
type Pool struct {
	name     string
	sessions []engine.Session
	next     atomic.Uint64

	mu     sync.RWMutex // held for reading by runs, for writing by Close
	closed bool
}

// NewPool returns a pool over sessions (at least one); name says which
// model version it runs, in errors.
func NewPool(name string, sessions []engine.Session) *Pool {
	return &Pool{name: name, sessions: sessions}
}

// Inputs implements Runner: the first session's declarations.
func (p *Pool) Inputs() []engine.TensorInfo { return p.sessions[0].Inputs() }

// Outputs implements Runner.
func (p *Pool) Outputs() []engine.TensorInfo { return p.sessions[0].Outputs() }

// Size is the number of sessions.
func (p *Pool) Size() int { return len(p.sessions) }

// Run implements Runner on the next session.
func (p *Pool) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	i := 0
	if len(p.sessions) > 1 {
		i = int(p.next.Add(1) % uint64(len(p.sessions)))
	}
	return p.RunOn(ctx, i, inputs)
}

// Recycle implements engine.Recycler: every session of the pool is
// offered the outputs, and each takes back only its own.
func (p *Pool) Recycle(outputs []*tensor.Tensor) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return
	}
	for _, s := range p.sessions {
		if rc, ok := s.(engine.Recycler); ok {
			rc.Recycle(outputs)
		}
	}
}

// RunOn runs on session i (modulo the pool's size): a batcher's instance
// i always uses the same session.
func (p *Pool) RunOn(ctx context.Context, i int, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return nil, fmt.Errorf("%w: %s", ErrClosed, p.name)
	}
	return p.sessions[i%len(p.sessions)].Run(ctx, inputs)
}

// Close waits for runs in flight and closes every session; it reports
// whether this call closed them.
func (p *Pool) Close() (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false, nil
	}
	p.closed = true
	var errs []error
	for _, s := range p.sessions {
		errs = append(errs, s.Close())
	}
	return true, errors.Join(errs...)
}
