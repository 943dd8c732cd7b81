package console_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/inferd/inferd/auth"
	"github.com/inferd/inferd/auth/authtest"
	"github.com/inferd/inferd/console"
	"github.com/inferd/inferd/server"
)

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serve serves the models of in on api (and mgmt, when not nil) with the
// console in mode, until the test ends.
func serve(t *testing.T, models server.Models, api, mgmt net.Listener, mode server.ConsoleMode, opts ...server.Option) {
	t.Helper()
	opts = append(opts, server.WithLogger(slog.New(slog.DiscardHandler)), server.WithConsole(console.New(console.Config{Models: models}), mode))
	if mgmt != nil {
		opts = append(opts, server.WithManagementListener(mgmt))
	}
	srv := server.New(models, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeListeners(ctx, api, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// publicListener reports a public address (the auto rule looks at it).
type publicListener struct{ net.Listener }

func (publicListener) Addr() net.Addr { return &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 8080} }

func TestWhereTheConsoleIsServed(t *testing.T) {
	in := start(t, examples(t), server.ConsoleOff)
	for _, tc := range []struct {
		name          string
		mode          server.ConsoleMode
		publicAPI     bool
		mgmt          bool
		publicMgmt    bool
		wantAPI, want int // status of /ui/api/overview on the API and management listeners
	}{
		{"off", server.ConsoleOff, false, false, false, 404, 0},
		{"auto on loopback", server.ConsoleAuto, false, false, false, 200, 0},
		{"auto on a public address", server.ConsoleAuto, true, false, false, 404, 0},
		{"on, public", server.ConsoleOn, true, false, false, 200, 0},
		{"with a management listener", server.ConsoleAuto, false, true, false, 404, 200},
		{"public management listener", server.ConsoleAuto, false, true, true, 404, 404},
		{"on, public management listener", server.ConsoleOn, true, true, true, 404, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			apiLn := listen(t)
			apiURL := "http://" + apiLn.Addr().String()
			var api net.Listener = apiLn
			if tc.publicAPI {
				api = publicListener{apiLn}
			}
			var mgmt net.Listener
			mgmtURL := ""
			if tc.mgmt {
				ln := listen(t)
				mgmtURL = "http://" + ln.Addr().String()
				mgmt = ln
				if tc.publicMgmt {
					mgmt = publicListener{ln}
				}
			}
			serve(t, in.Models, api, mgmt, tc.mode)
			if got := get(t, apiURL+"/ui/api/overview", nil); got != tc.wantAPI {
				t.Errorf("API listener: %d, want %d", got, tc.wantAPI)
			}
			if got := get(t, apiURL+"/ui/", nil); got != tc.wantAPI {
				t.Errorf("API listener, the page: %d, want %d", got, tc.wantAPI)
			}
			if mgmtURL != "" {
				if got := get(t, mgmtURL+"/ui/api/overview", nil); got != tc.want {
					t.Errorf("management listener: %d, want %d", got, tc.want)
				}
			}
		})
	}
}

// With credentials the page is open, its data needs read, and its
// actions (the management routes) need manage.
func TestConsoleWithAuth(t *testing.T) {
	in := start(t, examples(t), server.ConsoleOff)
	path := filepath.Join(t.TempDir(), "tokens")
	authtest.WriteTokens(t, path,
		authtest.Key{Token: "reader", Name: "reader", Scopes: []string{"read"}},
		authtest.Key{Token: "admin", Name: "admin", Scopes: []string{"read", "manage"}})
	tokens, err := auth.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	base := "http://" + ln.Addr().String()
	serve(t, in.Models, ln, nil, server.ConsoleAuto, server.WithAuth(tokens))
	for _, tc := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/ui/", "", "", 200},
		{"GET", "/ui/api/overview", "", "", 401},
		{"GET", "/ui/api/events", "", "", 401},
		{"GET", "/ui/api/overview", "reader", "", 200},
		{"GET", "/ui/api/models/digits", "reader", "", 200},
		{"PUT", "/models/digits/labels/production", "reader", `{"version": 2}`, 403},
		{"PUT", "/models/digits/labels/production", "admin", `{"version": 2}`, 200},
	} {
		req, _ := http.NewRequest(tc.method, base+tc.path, stringsReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s as %q: %d, want %d", tc.method, tc.path, tc.token, resp.StatusCode, tc.want)
		}
	}
	m, _ := in.Models.Model("digits")
	if m.Labels()["production"] != 2 {
		t.Errorf("production is %d after the admin's move, want 2", m.Labels()["production"])
	}
}
