package console

import (
	"context"
	"time"

	"github.com/inferd/inferd/console/series"
	"github.com/inferd/inferd/evaluate"
	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/serving"
)

// Catalog lists the served models (*serving.Manager).
type Catalog interface {
	Models() []*serving.ServedModel
	Model(name string) (*serving.ServedModel, error)
}

// Accuracy is the live accuracy from feedback (*monitor.Monitor).
type Accuracy interface {
	Status(model string) map[string]map[string]monitor.WindowStatus
}

// Drift is the drift of each version's last window (*drift.Watcher).
type Drift interface {
	Last(model string, version int) (drift.Report, bool)
	LastSides(model string, version int) []drift.Side
}

// Config is what the console shows.
type Config struct {
	Models Catalog
	// Series is the ring buffer of metrics (nil: no charts).
	Series *series.Store
	// Accuracy and Drift are optional (nil: payload capture is off).
	Accuracy Accuracy
	Drift    Drift
	// Promotions reads a model's promotion record (nil: none).
	Promotions func(model string) ([]evaluate.Promotion, error)
	// Interval is how often the event stream sends (default 2 s).
	Interval time.Duration
	// MaxClients bounds the event streams open at once (default 32).
	MaxClients int
}

// Console serves the console's data and events.
type Console struct {
	cfg Config
	hub *hub
}

// New returns a console over cfg.
func New(cfg Config) *Console {
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 32
	}
	c := &Console{cfg: cfg}
	c.hub = newHub(cfg.Interval, cfg.MaxClients, func() any { return c.Overview(context.Background()) })
	return c
}

// Close ends the event streams (the server calls it when it drains).
func (c *Console) Close() { c.hub.close() }

// PromotionsFromDir reads promotion records from a repository directory.
func PromotionsFromDir(dir string) func(string) ([]evaluate.Promotion, error) {
	return func(model string) ([]evaluate.Promotion, error) { return evaluate.ReadPromotions(dir, model) }
}
