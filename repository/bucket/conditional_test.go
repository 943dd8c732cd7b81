package bucket_test

import (
	"context"
	"errors"
	"testing"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/bucket/buckettest"
	"github.com/inferd/inferd/repository/repotest"
)

// Routing writes are conditional in the store itself, on S3 (MinIO), GCS
// (fake-gcs-server) and Azure (Azurite): another replica's write landing
// between a write's read and the write itself makes it fail with
// ErrConflict, where a check before the write would let it replace the
// other's content.
func TestConditionalRoutingWrites(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T) *bucket.Source
	}{
		{"s3 (MinIO)", func(t *testing.T) *bucket.Source { src, _ := buckettest.MinIO(t, "cas"); return src }},
		{"gcs (fake-gcs-server)", func(t *testing.T) *bucket.Source { return buckettest.FakeGCS(t, "cas") }},
		{"azure (Azurite)", func(t *testing.T) *bucket.Source { return buckettest.Azurite(t, "cas") }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			src := st.open(t)
			if err := src.Put(context.Background(), "m/config.yaml", []byte("description: x\n")); err != nil {
				t.Fatal(err)
			}
			repotest.CheckRoutingWrites(t, src)
			checkWriteRace(t, src)
		})
	}
}

func routing(gen int) []byte {
	return (&model.Routing{Generation: int64(gen), Labels: map[string]int{"stable": gen}}).Marshal()
}

// checkWriteRace: src holds m/routing.yaml (CheckRoutingWrites left it).
func checkWriteRace(t *testing.T, src *bucket.Source) {
	t.Helper()
	ctx := context.Background()
	e, err := src.Get(ctx, "m")
	if err != nil || e.RoutingID == "" {
		t.Fatalf("no routing.yaml to race on: %v", err)
	}
	other := routing(10)
	src.SetBeforeRoutingWrite(func() {
		if err := src.Put(ctx, "m/"+model.RoutingFileName, other); err != nil {
			t.Error(err)
		}
	})
	err = src.WriteRouting(ctx, "m", routing(3), e.RoutingID)
	src.SetBeforeRoutingWrite(nil)
	if !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a replacement raced by another write: %v, want ErrConflict from the store", err)
	}
	if e, _ = src.Get(ctx, "m"); e.Routing == nil || e.Routing.Generation != 10 {
		t.Fatalf("after the raced write: %+v, want the other replica's generation 10 kept", e.Routing)
	}
	if err := src.Delete(ctx, "m/"+model.RoutingFileName); err != nil {
		t.Fatal(err)
	}
	src.SetBeforeRoutingWrite(func() {
		if err := src.Put(ctx, "m/"+model.RoutingFileName, other); err != nil {
			t.Error(err)
		}
	})
	err = src.WriteRouting(ctx, "m", routing(4), "")
	src.SetBeforeRoutingWrite(nil)
	if !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a creation raced by another: %v, want ErrConflict from the store", err)
	}
}
