package console

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A client that does not read is dropped once clientBuffer events wait
// for it; its channel closes, and the hub keeps nothing more for it.
func TestSlowClientDropped(t *testing.T) {
	var n atomic.Int64 // the ticker's first broadcast runs beside ours
	h := newHub(time.Hour, 2, func() any { return n.Add(1) })
	slow, err := h.join() // the ticker's first broadcast: 1 event
	if err != nil {
		t.Fatal(err)
	}
	for range clientBuffer + 3 {
		h.broadcast()
	}
	got := 0
	for range slow {
		got++
	}
	if got != clientBuffer {
		t.Errorf("the slow client got %d events before it was dropped, want %d", got, clientBuffer)
	}
	h.mu.Lock()
	clients, ticking := len(h.clients), h.stop != nil
	h.mu.Unlock()
	if clients != 0 || ticking {
		t.Errorf("after the drop: %d clients, ticker running %v; want 0, false", clients, ticking)
	}
}

func TestClientLimitAndClose(t *testing.T) {
	h := newHub(time.Hour, 2, func() any { return 1 })
	a, _ := h.join()
	if _, err := h.join(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.join(); !errors.Is(err, ErrTooManyStreams) {
		t.Errorf("third client: %v, want ErrTooManyStreams", err)
	}
	h.leave(a)
	h.leave(a) // twice is harmless
	h.close()
	if _, err := h.join(); err == nil {
		t.Error("a closed hub took a client")
	}
}
