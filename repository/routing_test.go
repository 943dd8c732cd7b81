package repository_test

import (
	"context"
	"os"
	"path/filepath"
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
