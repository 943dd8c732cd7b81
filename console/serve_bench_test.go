package console_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// BenchmarkServe is the cost of the console to serving: v2 requests to
// the fake engine (so that the server's own work dominates) with the
// console off (no ring buffer), on, and on with an event stream open.
func BenchmarkServe(b *testing.B) {
	body := `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1,2]}]}`
	for _, tc := range []struct {
		name   string
		mode   server.ConsoleMode
		stream bool
	}{{"off", server.ConsoleOff, false}, {"on", server.ConsoleAuto, false}, {"on+events", server.ConsoleAuto, true}} {
		b.Run(tc.name, func(b *testing.B) {
			in := servertest.StartConfig(b, app.Config{Repository: servertest.FakeRepository(), Console: app.Console{Mode: tc.mode}})
			if tc.stream {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/ui/api/events", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				go func() { // a client that reads every event
					sc := bufio.NewScanner(resp.Body)
					sc.Buffer(nil, 1<<20)
					for sc.Scan() {
					}
				}()
			}
			url := in.URL + "/v2/models/m/versions/1/infer"
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := http.Post(url, "application/json", stringsReader(body))
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Error(err, resp)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}
