package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	v2 "github.com/inferd/inferd/api/v2"
)

// httpBody is one prepared request body.
type httpBody struct {
	data        []byte
	contentType string
	// headerLen is the Inference-Header-Content-Length of a v2 request with
	// binary data, or "".
	headerLen string
	// raw is the whole request, serialized for rawHTTP.
	raw []byte
}

// httpTarget POSTs prepared bodies to one URL: through rawHTTP for
// http://, through net/http for https://.
type httpTarget struct {
	raw    *rawHTTP     // http://
	hc     *http.Client // https://
	host   string
	path   string
	url    string
	bodies []httpBody
}

// newHTTPTarget is a target for POSTs to base (checked by baseURL) + path.
func newHTTPTarget(base, path string, maxConns int) *httpTarget {
	t := &httpTarget{url: base + path, path: path}
	u, _ := url.Parse(base)
	t.host = u.Host
	if u.Scheme == "http" {
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), "80")
		}
		t.raw = newRawHTTP(addr, maxConns)
	} else {
		t.hc = newHTTPClient(maxConns)
	}
	return t
}

// add prepares one more body.
func (h *httpTarget) add(b httpBody) {
	if h.raw != nil {
		b.raw = rawRequest(h.host, h.path, b.data, "Content-Type", b.contentType, v2.HeaderContentLength, b.headerLen)
	}
	h.bodies = append(h.bodies, b)
}

// newHTTPClient returns a client that keeps up to maxConns connections
// alive (http.DefaultTransport keeps 2 per host, which would make a load
// generator reconnect all the time) and never goes through a proxy.
func newHTTPClient(maxConns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

// baseURL checks an http:// or https:// server URL and returns it without
// a trailing slash.
func baseURL(serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("server URL %q: %w", serverURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST:PORT", serverURL)
	}
	return strings.TrimRight(serverURL, "/"), nil
}

// newSeedTarget prepares seed-route requests: POST /models/{m}[/{v}] with
// the raw image or the {"inputs": {...}} JSON.
func newSeedTarget(c TargetConfig) (Target, error) {
	base, err := baseURL(c.URL)
	if err != nil {
		return nil, err
	}
	path := "/models/" + url.PathEscape(c.Model)
	if c.Version != "" {
		path += "/" + url.PathEscape(c.Version)
	}
	t := newHTTPTarget(base, path, c.MaxConns)
	for _, in := range c.Inputs {
		if ct := imageType(in.Data); ct != "" {
			t.add(httpBody{data: in.Data, contentType: ct})
			continue
		}
		if err := checkSeedJSON(in.Data); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		t.add(httpBody{data: in.Data, contentType: "application/json"})
	}
	return t, nil
}

// imageType is the Content-Type of an encoded image, or "".
func imageType(data []byte) string {
	switch ct := http.DetectContentType(data); ct {
	case "image/png", "image/jpeg", "image/webp":
		return ct
	}
	return ""
}

// checkSeedJSON checks that data is a seed-route tensor request,
// {"inputs": {"<name>": <nested array>}}.
func checkSeedJSON(data []byte) error {
	var probe struct {
		Inputs json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return fmt.Errorf("neither an image (PNG, JPEG, WebP) nor JSON: %w", err)
	}
	in := bytes.TrimSpace(probe.Inputs)
	switch {
	case len(in) > 0 && in[0] == '{':
		return nil
	case len(in) > 0 && in[0] == '[':
		return fmt.Errorf(`"inputs" is a list of tensors, an Open Inference Protocol request; send it with protocol v2 or v2-grpc`)
	}
	return fmt.Errorf(`no "inputs" object: the seed route wants {"inputs": {"<input name>": <nested array>}}`)
}

func (h *httpTarget) Do(ctx context.Context, seq int) Outcome {
	b := &h.bodies[seq%len(h.bodies)]
	if h.raw != nil {
		var o Outcome
		err := h.raw.do(ctx, b.raw, func(resp *http.Response) (err error) {
			o, err = answer(resp)
			return err
		})
		if err != nil {
			return transportOutcome(ctx, err)
		}
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(b.data))
	if err != nil {
		return Outcome{Status: StatusTransport, Message: err.Error()}
	}
	req.Header.Set("Content-Type", b.contentType)
	if b.headerLen != "" {
		req.Header.Set(v2.HeaderContentLength, b.headerLen)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return transportOutcome(ctx, err)
	}
	defer resp.Body.Close()
	o, err := answer(resp)
	if err != nil {
		return transportOutcome(ctx, err)
	}
	return o
}

// answer reads a response: its status, the error message of a failure,
// the server's timing. It consumes the body.
func answer(resp *http.Response) (Outcome, error) {
	o := Outcome{OK: resp.StatusCode == http.StatusOK, Status: strconv.Itoa(resp.StatusCode)}
	var err error
	if o.OK {
		_, err = io.Copy(io.Discard, resp.Body)
	} else {
		o.Message, err = errorMessage(resp.Body)
	}
	if err != nil {
		return o, fmt.Errorf("reading the answer: %w", err)
	}
	if v := resp.Header.Get(TimingHeader); v != "" {
		if t, err := ParseTiming(v); err == nil {
			o.Timing, o.HasTiming = t, true
		}
	}
	return o, nil
}

// errorMessage reads an error answer: the "error" of {"error": "..."} or
// the start of the body.
func errorMessage(body io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(body, 4096))
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return "", err
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error, nil
	}
	return strings.TrimSpace(string(b)), nil
}

func (h *httpTarget) Close() error {
	if h.raw != nil {
		h.raw.close()
	} else {
		h.hc.CloseIdleConnections()
	}
	return nil
}

var _ Target = (*httpTarget)(nil)
