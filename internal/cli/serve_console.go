package cli

import (
	"fmt"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/monitor/drift"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/server"
)

// console is the web console's configuration (--ui): the drift watcher w
// (nil: none) and, for a directory repository, its promotion records.
func (o serveOptions) console(w *drift.Watcher) app.Console {
	c := app.Console{Mode: server.ConsoleMode(o.ui)}
	if w != nil {
		c.Drift = w
	}
	if !bucket.IsURL(o.repository) {
		c.PromotionsDir = o.repository
	}
	return c
}

// checkConsole checks --ui.
func (o serveOptions) checkConsole() error {
	switch server.ConsoleMode(o.ui) {
	case server.ConsoleAuto, server.ConsoleOn, server.ConsoleOff:
		return nil
	}
	return fmt.Errorf("--ui: %q is not auto, on or off", o.ui)
}
