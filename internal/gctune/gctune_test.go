package gctune

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name           string
		live, headroom uint64
		want           int
	}{
		{"tuning off", 4 * mib, 0, 100},
		{"nothing live yet", 0, 64 * mib, maxPercent},
		{"tiny heap is capped", 100 << 10, 64 * mib, maxPercent},
		{"small heap", 4 * mib, 64 * mib, 1600},
		{"half the headroom", 32 * mib, 64 * mib, 200},
		{"live equals headroom", 64 * mib, 64 * mib, 100},
		{"large heap keeps the default", 2048 * mib, 64 * mib, 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Percent(c.live, c.headroom); got != c.want {
				t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
			}
		})
	}
}

// gogc reads the collector's current GOGC setting.
func gogc(t *testing.T) uint64 {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func TestTuneSetsAndRestores(t *testing.T) {
	if _, ok := os.LookupEnv("GOGC"); ok {
		t.Skip("GOGC is set in the environment, which Tune respects")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	runtime.GC() // the live heap Tune reads is this test binary's, a few MiB
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Tune(ctx, 1<<30, log) }()
	deadline := time.Now().Add(10 * time.Second)
	for gogc(t) == 100 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := gogc(t); got <= 100 {
		t.Fatalf("GOGC = %d with a 1 GiB headroom and a small heap; want it raised", got)
	}
	cancel()
	<-done
	if got := gogc(t); got != 100 {
		t.Errorf("GOGC = %d after Tune returned, want the previous 100", got)
	}
}

func TestTuneRespectsGOGC(t *testing.T) {
	t.Setenv("GOGC", "150")
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	done := make(chan struct{})
	go func() {
		defer close(done)
		Tune(context.Background(), 1<<30, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Tune kept running although GOGC is set")
	}
	if got := gogc(t); got != 150 {
		t.Errorf("GOGC = %d, want the environment's 150 untouched", got)
	}
}
