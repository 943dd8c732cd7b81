package serving

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/inferd/inferd/tensor"
)

// shadowConcurrency bounds the mirrored requests running at once; more are
// dropped (and counted) rather than queued, so that a shadow can never slow
// the primary down or pile up memory.
const shadowConcurrency = 4

// shadowTimeout bounds one mirrored run.
const shadowTimeout = 30 * time.Second

// shadower mirrors requests to shadow versions and compares the answers.
type shadower struct {
	m   *Manager
	sem chan struct{}
	wg  sync.WaitGroup
}

func newShadower(m *Manager) *shadower {
	return &shadower{m: m, sem: make(chan struct{}, shadowConcurrency)}
}

func (s *shadower) wait() { s.wg.Wait() }

// mirror runs the inputs that primary answered with outputs on the
// model's shadow version, in the background, and records whether the
// answers agree. The inputs and outputs are not modified.
func (s *shadower) mirror(primary *Version, inputs, outputs map[string]*tensor.Tensor) {
	cfg := primary.Config.Shadow
	if cfg == nil || cfg.Version == primary.Number || (cfg.Percent < 100 && rand.Float64()*100 >= cfg.Percent) {
		return
	}
	labels := []string{primary.Model, primary.Label(), fmt.Sprint(cfg.Version)}
	mod, err := s.m.Model(primary.Model)
	if err != nil {
		return
	}
	sv := mod.Version(cfg.Version)
	if sv == nil || sv.State() != StateAvailable || !sv.acquire() {
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, "unavailable")...).Inc()
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		sv.Release()
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, "dropped")...).Inc()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		defer sv.Release()
		ctx, cancel := context.WithTimeout(context.Background(), shadowTimeout)
		defer cancel()
		start := time.Now()
		outs, err := sv.run(ctx, inputs)
		s.m.metrics.shadowLat.WithLabelValues(primary.Model, sv.Label()).Observe(time.Since(start).Seconds())
		result := "agree"
		switch {
		case err != nil:
			result = "error"
			s.m.log.Warn("shadow run failed", "model", primary.Model, "shadow_version", sv.Number, "err", err)
		case !agree(primary, sv, outputs, outs):
			result = "disagree"
		}
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, result)...).Inc()
	}()
}

// agree compares two answers: the top-1 class of every row for
// classifiers, otherwise every output within a small tolerance.
func agree(primary, shadow *Version, a, b map[string]*tensor.Tensor) bool {
	if pa, err := primary.Classify(a); err == nil && pa != nil {
		pb, err := shadow.Classify(b)
		if err != nil || len(pa) != len(pb) {
			return false
		}
		for i := range pa {
			if len(pa[i]) == 0 || len(pb[i]) == 0 || pa[i][0].Index != pb[i][0].Index {
				return false
			}
		}
		return true
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || !closeTensors(x, y) {
			return false
		}
	}
	return true
}

func closeTensors(x, y *tensor.Tensor) bool {
	if x.DType() != y.DType() || x.Len() != y.Len() {
		return false
	}
	switch x.DType() {
	case tensor.Float32:
		xs, ys := tensor.Data[float32](x), tensor.Data[float32](y)
		for i := range xs {
			if math.Abs(float64(xs[i]-ys[i])) > 1e-4*(1+math.Abs(float64(xs[i]))) {
				return false
			}
		}
		return true
	case tensor.Float64:
		xs, ys := tensor.Data[float64](x), tensor.Data[float64](y)
		for i := range xs {
			if math.Abs(xs[i]-ys[i]) > 1e-4*(1+math.Abs(xs[i])) {
				return false
			}
		}
		return true
	}
	return string(tensor.AppendJSON(nil, x)) == string(tensor.AppendJSON(nil, y))
}
