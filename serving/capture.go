package serving

import "github.com/inferd/inferd/serving/runner"

// WithCapture sets a function that returns a wrapper for each version's
// runner as it loads (nil: none), such as monitor.Monitor's payload
// capture. The wrapper sits after the input checks and before the shadow
// and the batcher, so it sees every validated request the version answers
// (mirrored shadow requests are not captured) and its latency includes the
// batching queue.
func WithCapture(f func(*Version) runner.Wrapper) Option {
	return func(m *Manager) { m.capture = f }
}
