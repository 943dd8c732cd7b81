package repository_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/repository/repotest"
)

func TestDirRoutingWrites(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "m", "1"), 0o755)
	os.WriteFile(filepath.Join(dir, "m", "config.yaml"), []byte("description: x\n"), 0o644)
	repotest.CheckRoutingWrites(t, repository.NewDir(dir))
}

func TestMemoryRoutingWrites(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("description: x\n"))
	repotest.CheckRoutingWrites(t, src)
}

func TestBadRoutingFileIsReported(t *testing.T) {
	src := repository.NewMemory()
	src.Put("m/config.yaml", []byte("description: x\n"))
	src.Put("m/"+model.RoutingFileName, []byte("labels: {\"1\": 2}\n"))
	e, err := src.Get(context.Background(), "m")
	if err != nil || e.RoutingErr == nil || e.Routing != nil || e.Config == nil {
		t.Fatalf("entry %+v, %v: want the routing error reported and the config kept", e, err)
	}
}

// Concurrent writes through one directory source, each based on the
// content it read, never both succeed on the same base: the flock holds
// writers of one process apart too.
func TestDirRoutingWritesExclude(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "m", "1"), 0o755)
	os.WriteFile(filepath.Join(dir, "m", "config.yaml"), []byte("description: x\n"), 0o644)
	src := repository.NewDir(dir)
	w, _ := repository.Writer(src)
	const writers = 8
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			data := (&model.Routing{Generation: int64(i + 1)}).Marshal()
			if w.WriteRouting(context.Background(), "m", data, "") == nil {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d of %d creations based on no file succeeded, want exactly 1", ok.Load(), writers)
	}
}
