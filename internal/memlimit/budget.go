package memlimit

// Caps and floors of the derived budgets.
const (
	// MaxPerRequest caps the derived per-request budget: one request
	// needing more than this is refused unless the flag raises it.
	MaxPerRequest = 512 << 20
	// MaxInflightUncontained caps the derived in-flight budget when the
	// figure is the machine's memory rather than a container's limit
	// (other processes share it).
	MaxInflightUncontained = 4 << 30
	// MinPerRequest keeps a tiny or unknown limit from refusing ordinary
	// requests: a request body of the default 32 MiB limit and its
	// decoding fit.
	MinPerRequest = 64 << 20
	// Fallback is the limit assumed when none can be read.
	Fallback = 4 << 30
)

// Budgets are the server's memory budgets in bytes.
type Budgets struct {
	// Inflight bounds the bytes all requests in flight may hold together.
	Inflight int64
	// PerRequest bounds the bytes one request may hold.
	PerRequest int64
}

// Derive returns the budgets for a limit: half of it in flight and a
// quarter of that per request, with MaxPerRequest as the per-request cap,
// MaxInflightUncontained as the in-flight cap outside a container, and
// MinPerRequest as the per-request floor (the in-flight budget is never
// below it). A zero limit is taken as Fallback, outside a container.
func Derive(l Limit) Budgets {
	total := l.Bytes
	if total == 0 {
		total, l.Container = Fallback, false
	}
	inflight := total / 2
	if !l.Container {
		inflight = min(inflight, MaxInflightUncontained)
	}
	per := min(inflight/4, MaxPerRequest)
	per = max(per, MinPerRequest)
	inflight = max(inflight, per)
	return Budgets{Inflight: int64(inflight), PerRequest: int64(per)}
}
