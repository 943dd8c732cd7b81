package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/inferd/inferd/serving"
)

// ErrTooManyStreams refuses an event stream past Config.MaxClients.
var ErrTooManyStreams = errors.New("too many console event streams are open")

// clientBuffer is how many events wait for a slow client before it is
// dropped (never buffered without limit).
const clientBuffer = 4

// hub sends the overview to every open event stream each interval. It
// computes one overview per tick whatever the number of clients, and only
// while a client is connected.
type hub struct {
	interval time.Duration
	max      int
	snapshot func() any

	mu      sync.Mutex
	clients map[chan []byte]struct{}
	stop    chan struct{} // closes the ticker goroutine; nil when idle
	closed  bool
}

func newHub(interval time.Duration, max int, snapshot func() any) *hub {
	return &hub{interval: interval, max: max, snapshot: snapshot, clients: map[chan []byte]struct{}{}}
}

// join adds a client; its channel closes when the client is dropped or
// the hub closes.
func (h *hub) join() (chan []byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("the server is shutting down")
	}
	if len(h.clients) >= h.max {
		return nil, fmt.Errorf("%w (%d)", ErrTooManyStreams, h.max)
	}
	ch := make(chan []byte, clientBuffer)
	h.clients[ch] = struct{}{}
	if h.stop == nil {
		h.stop = make(chan struct{})
		go h.run(h.stop)
	}
	return ch, nil
}

// leave removes a client (once: a dropped one is already gone).
func (h *hub) leave(ch chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(ch)
}

// remove drops ch and stops the ticker when no client is left; the
// caller holds h.mu.
func (h *hub) remove(ch chan []byte) {
	if _, ok := h.clients[ch]; !ok {
		return
	}
	delete(h.clients, ch)
	close(ch)
	if len(h.clients) == 0 && h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
}

// run ticks until stop closes.
func (h *hub) run(stop chan struct{}) {
	t := time.NewTicker(h.interval)
	defer t.Stop()
	h.broadcast()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			h.broadcast()
		}
	}
}

// broadcast sends one overview event to every client; a client whose
// buffer is full is dropped.
func (h *hub) broadcast() {
	data, err := json.Marshal(h.snapshot())
	if err != nil {
		return
	}
	msg := fmt.Appendf(nil, "event: overview\ndata: %s\n\n", data)
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.clients {
		select {
		case ch <- msg:
		default:
			h.remove(ch)
		}
	}
}

// close ends every stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.clients {
		h.remove(ch)
	}
}

// ServeEvents streams server-sent events: an "overview" event (the
// overview's JSON) every interval, until the client goes, falls behind
// (its events are not buffered beyond a few: it is dropped and may
// reconnect), the server shuts down, or ?events=N events were sent. An
// error is returned before anything is written.
func (c *Console) ServeEvents(w http.ResponseWriter, r *http.Request) error {
	limit := 0
	if q := r.URL.Query().Get("events"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: events=%q: want a count of events to send (0: no limit)", serving.ErrInvalid, q)
		}
		limit = n
	}
	rc := http.NewResponseController(w)
	ch, err := c.hub.join()
	if err != nil {
		return err
	}
	defer c.hub.leave(ch)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "retry: %d\n\n", c.cfg.Interval.Milliseconds())
	_ = rc.Flush()
	for sent := 0; limit == 0 || sent < limit; sent++ {
		select {
		case <-r.Context().Done():
			return nil
		case msg, ok := <-ch:
			if !ok {
				return nil
			}
			_ = rc.SetWriteDeadline(time.Now().Add(10 * c.cfg.Interval))
			if _, err := w.Write(msg); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
	return nil
}
