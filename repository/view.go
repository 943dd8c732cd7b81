package repository

import (
	"context"
	"io/fs"
)

// View reads the repository layout (one directory per model holding
// config.yaml, one numbered directory per version holding model.onnx)
// from any fs.FS: the reading that NewDir and NewMemory use, for sources
// outside this package such as object storage, which present a listing
// as an fs.FS.
type View struct {
	// FS holds the repository's root.
	FS fs.FS
	// Display names a slash-separated path of FS in messages and as a
	// Config's Dir, such as "s3://bucket/models/digits"; "." is the root.
	Display func(p string) string
}

func (v View) repo() fsRepo { return fsRepo{fsys: v.FS, display: v.Display} }

// List returns every entry, sorted by name (Source.List).
func (v View) List(ctx context.Context) ([]Entry, error) { return v.repo().list(ctx) }

// Get returns one entry (Source.Get).
func (v View) Get(ctx context.Context, name string) (Entry, error) { return v.repo().get(ctx, name) }

// Sub returns the files of one model directory (Source.FS).
func (v View) Sub(name string) (fs.FS, error) { return v.repo().sub(name) }

// Broadcaster sends to the channels of a source's Watch calls: Subscribe
// returns a channel for Watch, Notify tells every subscriber that the
// repository may have changed. The zero value is ready to use.
type Broadcaster struct{ b broadcaster }

// Subscribe returns a channel that receives Notify's sends (coalesced,
// never blocking) until ctx is done, then closes.
func (b *Broadcaster) Subscribe(ctx context.Context) <-chan struct{} { return b.b.subscribe(ctx) }

// Notify wakes every subscriber.
func (b *Broadcaster) Notify() { b.b.notify() }
