package bucket

import "context"

// PruneNow prunes the model cache as every poll does, against the
// bucket's listing now.
func (s *Source) PruneNow(ctx context.Context) error {
	l, err := s.list(ctx, "")
	if err != nil {
		return err
	}
	s.pruneCache(ctx, l)
	return nil
}

// CacheDir is the directory of the model cache.
func (s *Source) CacheDir() string { return s.cache.dir }

// SetBeforeRoutingWrite sets a function WriteRouting runs between its
// read and its write.
func (s *Source) SetBeforeRoutingWrite(f func()) { s.beforeRoutingWrite = f }
