package server

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/inferd/inferd/tensor"
)

func TestReservationCharge(t *testing.T) {
	tests := []struct {
		name     string
		held     int64 // the server's other requests
		charges  []int64
		wantCode int // of the last charge; 0: none fails
		wantMsg  string
	}{
		{"fits", 0, []int64{10, 20}, 0, ""},
		{"over the per-request budget", 0, []int64{60, 50}, http.StatusRequestEntityTooLarge, "over the per-request memory limit of 100 bytes"},
		{"one charge over the per-request budget", 0, []int64{101}, http.StatusRequestEntityTooLarge, "--max-request-memory-bytes"},
		{"server budget spent", 150, []int64{60}, http.StatusTooManyRequests, "150 bytes of the 200 bytes memory budget for requests in flight is taken"},
		{"zero and negative charge nothing", 200, []int64{0, -5}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newMemBudget(100, 200)
			b.used = tt.held
			r := b.newReservation()
			var err error
			for _, n := range tt.charges {
				if err = r.charge(n, "thing"); err != nil {
					break
				}
			}
			if tt.wantCode == 0 {
				if err != nil {
					t.Fatalf("charge: %v", err)
				}
			} else if err == nil || statusOf(err) != tt.wantCode || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("charge error = %v (status %d), want %d containing %q", err, statusOf(err), tt.wantCode, tt.wantMsg)
			}
			r.done()
			if got := b.inUse(); got != tt.held {
				t.Fatalf("after done, %d bytes in use, want %d", got, tt.held)
			}
		})
	}
}

func TestNilReservation(t *testing.T) {
	var r *reservation
	if err := r.charge(math.MaxInt64, "anything"); err != nil {
		t.Fatal(err)
	}
	if r.chargeFunc() != nil {
		t.Fatal("a nil reservation has a charge function")
	}
	r.done()
}

// TestFreeAfterBurst checks that memory goes back to the operating system
// once, after the last large request of a burst, and not after small ones.
func TestFreeAfterBurst(t *testing.T) {
	b := newMemBudget(1<<30, 1<<30)
	freed := make(chan struct{}, 4)
	b.free = func() { freed <- struct{}{} }
	small := b.newReservation()
	if err := small.charge(1<<10, "small"); err != nil {
		t.Fatal(err)
	}
	small.done()
	big1, big2 := b.newReservation(), b.newReservation()
	for _, r := range []*reservation{big1, big2} {
		if err := r.charge(freeOver, "big"); err != nil {
			t.Fatal(err)
		}
	}
	big1.done() // big2 still holds more than freeOver: no return yet
	select {
	case <-freed:
		t.Fatal("memory returned while a large request is in flight")
	case <-time.After(50 * time.Millisecond):
	}
	big2.done()
	select {
	case <-freed:
	case <-time.After(5 * time.Second):
		t.Fatal("memory not returned after the burst")
	}
}

func TestJSONLeaves(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{``, 0},
		{`[]`, 0},
		{`0`, 1},
		{`[0,0,0]`, 3},
		{`[[1.5, -2e3], [true, null]]`, 4},
		{` [ "a,b]", "c\"d" ] `, 2},
		{`[{"b64": "AAAA"}, {"b64": "BBBB"}]`, 4}, // keys count too
		{`{"x": [1, 2], "y": 3}`, 5},
	}
	for _, tt := range tests {
		if got := jsonLeaves([]byte(tt.in)); got != tt.want {
			t.Errorf("jsonLeaves(%s) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTensorBytes(t *testing.T) {
	tests := []struct {
		dt    tensor.DType
		shape []int64
		want  int64
	}{
		{tensor.Float32, []int64{250045, 1, 8, 8}, 250045 * 64 * 4},
		{tensor.Float64, nil, 8},
		{tensor.Bool, []int64{3}, 3},
		{tensor.String, []int64{2, 2}, 4 * stringHeaderBytes},
		{tensor.Float32, []int64{-1, 5}, 0},
		{tensor.Float32, []int64{1 << 40, 1 << 40}, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := tensorBytes(tt.dt, tt.shape); got != tt.want {
			t.Errorf("tensorBytes(%v, %v) = %d, want %d", tt.dt, tt.shape, got, tt.want)
		}
	}
}
