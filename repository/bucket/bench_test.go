package bucket_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/bucket/buckettest"
)

// BenchmarkMinIOPoll measures one poll of a repository of 1,000 models ×
// 5 versions in MinIO (INFERD_BENCH_MODELS changes the count): listing
// every object and reading the repository from the listing, as the
// control loop does after a change is seen, with the files already
// cached.
func BenchmarkMinIOPoll(b *testing.B) {
	models := 1000
	if s := os.Getenv("INFERD_BENCH_MODELS"); s != "" {
		models, _ = strconv.Atoi(s)
	}
	src, _ := buckettest.MinIO(b, "fleet")
	populate(b, src, models, 5)
	ctx := context.Background()
	if _, err := src.List(ctx); err != nil { // fills the caches
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		entries, err := src.List(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(entries) != models || len(entries[0].Versions) != 5 {
			b.Fatalf("%d models, %d versions of the first", len(entries), len(entries[0].Versions))
		}
	}
	b.ReportMetric(float64(models*5), "versions")
}

// populate pushes models × versions small versions, 16 at a time.
func populate(b *testing.B, src *bucket.Source, models, versions int) {
	b.Helper()
	ctx := context.Background()
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			for j := range jobs {
				name := fmt.Sprintf("model-%04d", j[0])
				if j[1] == 1 {
					if err := src.Put(ctx, name+"/config.yaml", []byte("description: fleet\n")); err != nil {
						errs <- err
						return
					}
				}
				files := fstest.MapFS{"model.onnx": {Data: fmt.Appendf(nil, "%s v%d", name, j[1])}}
				if err := src.PushVersion(ctx, name, j[1], files); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for m := range models {
		for v := 1; v <= versions; v++ {
			jobs <- [2]int{m, v}
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}
