package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// rawHTTP is the load generator's HTTP/1.1 client for plain http://
// servers. net/http's client runs two goroutines per connection (a reader
// and a writer) and hands every request and response between them; on a
// loopback benchmark whose client shares the cores with the server, that
// is a third of the client's CPU, taken from the server being measured.
// rawHTTP writes each request, serialized once in advance, with one write
// on a kept-alive connection, and reads the answer with http.ReadResponse
// on the same goroutine.
//
// A connection is reused unless the answer says Connection: close, the
// request failed, or it was cut short by its context. A request on a
// reused connection that the server had closed in the meantime (no answer
// at all) is retried once on a new connection.
type rawHTTP struct {
	addr   string
	idle   chan *rawConn
	dialer net.Dialer
}

type rawConn struct {
	c  net.Conn
	br *bufio.Reader
}

func newRawHTTP(addr string, maxConns int) *rawHTTP {
	return &rawHTTP{
		addr:   addr,
		idle:   make(chan *rawConn, maxConns),
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
	}
}

// rawRequest serializes a POST of body with the given headers (name,
// value pairs).
func rawRequest(host, path string, body []byte, headers ...string) []byte {
	b := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: inferd-bench\r\nContent-Length: %d\r\n", path, host, len(body))
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			b = fmt.Appendf(b, "%s: %s\r\n", headers[i], headers[i+1])
		}
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// errNoAnswer marks a reused connection that gave no answer at all.
var errNoAnswer = errors.New("connection closed before an answer")

// do sends req and hands the answer to read, which must consume the body.
func (h *rawHTTP) do(ctx context.Context, req []byte, read func(*http.Response) error) error {
	for attempt := 0; ; attempt++ {
		rc, reused, err := h.conn(ctx)
		if err != nil {
			return err
		}
		err = h.exchange(ctx, rc, req, read)
		if errors.Is(err, errNoAnswer) && reused && attempt == 0 && ctx.Err() == nil {
			continue // the server closed an idle connection: once more
		}
		return err
	}
}

// conn takes an idle connection or dials one.
func (h *rawHTTP) conn(ctx context.Context) (*rawConn, bool, error) {
	select {
	case rc := <-h.idle:
		return rc, true, nil
	default:
	}
	c, err := h.dialer.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return nil, false, err
	}
	return &rawConn{c: c, br: bufio.NewReaderSize(c, 16<<10)}, false, nil
}

// exchange runs one request on rc, then keeps rc for the next or closes it.
func (h *rawHTTP) exchange(ctx context.Context, rc *rawConn, req []byte, read func(*http.Response) error) error {
	// Cancellation and the deadline interrupt the blocking write or read.
	stop := context.AfterFunc(ctx, func() { _ = rc.c.SetDeadline(time.Unix(1, 0)) })
	keep := false
	defer func() {
		if stop() && keep {
			select {
			case h.idle <- rc:
				return
			default:
			}
		}
		rc.c.Close()
	}()
	if _, err := rc.c.Write(req); err != nil {
		return h.wrap(ctx, fmt.Errorf("%w: %w", errNoAnswer, err))
	}
	// Not a byte of an answer: the server may have closed the connection
	// while it was idle (EOF, or a reset).
	if _, err := rc.br.Peek(1); err != nil {
		return h.wrap(ctx, fmt.Errorf("%w: %w", errNoAnswer, err))
	}
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		return h.wrap(ctx, err)
	}
	err = read(resp)
	if err == nil {
		// The rest of the body, if read left any.
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return h.wrap(ctx, err)
	}
	keep = !resp.Close
	return nil
}

// wrap reports a failure caused by ctx as ctx's error.
func (h *rawHTTP) wrap(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// close closes the idle connections.
func (h *rawHTTP) close() {
	for {
		select {
		case rc := <-h.idle:
			rc.c.Close()
		default:
			return
		}
	}
}
