package serving

import (
	"context"
	"maps"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/inferd/inferd/engine"
	"github.com/inferd/inferd/serving/codec"
	"github.com/inferd/inferd/serving/runner"
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

// wrap returns the shadow wrapper of v's runner: every successful run is
// mirrored to the version config.yaml names as the shadow. It is nil when
// there is none.
func (s *shadower) wrap(v *Version) runner.Wrapper {
	cfg := v.Config.Shadow
	if cfg == nil || cfg.Version == v.Number {
		return nil
	}
	return func(next runner.Runner) runner.Runner { return &shadowed{next: next, s: s, primary: v} }
}

type shadowed struct {
	next    runner.Runner
	s       *shadower
	primary *Version
}

func (r *shadowed) Inputs() []engine.TensorInfo  { return r.next.Inputs() }
func (r *shadowed) Outputs() []engine.TensorInfo { return r.next.Outputs() }

func (r *shadowed) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	out, err := r.next.Run(ctx, inputs)
	if err == nil {
		r.s.mirror(r.primary, inputs, out)
	}
	return out, err
}

// mirror runs the inputs that primary answered with outputs on the
// model's shadow version, in the background, and records whether the
// answers agree. The inputs and outputs are not modified.
func (s *shadower) mirror(primary *Version, inputs, outputs map[string]*tensor.Tensor) {
	cfg := primary.Config.Shadow
	if cfg.Percent < 100 && rand.Float64()*100 >= cfg.Percent {
		return
	}
	labels := []string{primary.ModelName, primary.Label(), strconv.Itoa(cfg.Version)}
	mod, err := s.m.Model(primary.ModelName)
	if err != nil {
		return
	}
	sv := mod.Version(cfg.Version)
	if sv == nil || sv.State() != StateAvailable || !sv.acquire() {
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, "unavailable")...).Inc()
		s.m.series.Shadow(primary.ModelName, primary.Label(), "unavailable")
		return
	}
	select {
	case s.sem <- struct{}{}:
	default:
		sv.Release()
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, "dropped")...).Inc()
		s.m.series.Shadow(primary.ModelName, primary.Label(), "dropped")
		return
	}
	// The caller may reuse its maps once Run returns (a pipeline does):
	// the background run keeps copies (the tensors are not modified).
	inputs, outputs = maps.Clone(inputs), maps.Clone(outputs)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		defer sv.Release()
		result := s.compare(primary, sv, inputs, outputs)
		s.m.metrics.shadowRuns.WithLabelValues(append(labels, result)...).Inc()
		s.m.series.Shadow(primary.ModelName, primary.Label(), result)
	}()
}

// compare runs the shadow and says how its answer compares with the
// primary's: agree, disagree or error.
func (s *shadower) compare(primary, sv *Version, inputs, outputs map[string]*tensor.Tensor) string {
	ctx, cancel := context.WithTimeout(context.Background(), shadowTimeout)
	defer cancel()
	start := time.Now()
	data, err := sv.servable()
	var outs map[string]*tensor.Tensor
	if err == nil {
		outs, err = data.direct.Run(ctx, inputs)
	}
	s.m.metrics.shadowLat.WithLabelValues(primary.ModelName, sv.Label()).Observe(time.Since(start).Seconds())
	switch {
	case err != nil:
		s.m.log.Warn("shadow run failed", "model", primary.ModelName, "shadow_version", sv.Number, "err", err)
		return "error"
	case !agree(primary.Codec(), data.codec, outputs, outs):
		return "disagree"
	}
	return "agree"
}

// shadowTolerance is how close the outputs of two versions must be to
// agree, for models that are not classifiers.
var shadowTolerance = tensor.Tolerance{RTol: 1e-4, ATol: 1e-4, NaNEqual: true}

// agree compares two answers: the top-1 class of every row for
// classifiers, otherwise every output within shadowTolerance.
func agree(primary, shadow *codec.Codec, a, b map[string]*tensor.Tensor) bool {
	if primary == nil || shadow == nil {
		return false
	}
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
		if !ok || !compareOK(y, x) {
			return false
		}
	}
	return true
}

func compareOK(got, want *tensor.Tensor) bool {
	_, err := tensor.Compare(got, want, shadowTolerance)
	return err == nil
}
