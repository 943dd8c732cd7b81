package console_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inferd/inferd/app"
	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/server"
	"github.com/inferd/inferd/server/servertest"
)

// examples is a copy of the example repository where digits has a second
// version (a copy of the first) and batches its requests.
func examples(t *testing.T) string {
	t.Helper()
	dir := testutil.ExamplesCopy(t)
	digits := filepath.Join(dir, "digits")
	if err := os.CopyFS(filepath.Join(digits, "2"), os.DirFS(filepath.Join(digits, "1"))); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(digits, "config.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("batching: {max_batch_size: 8, max_queue_delay: 2ms}\nversion_policy: all\n"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// start serves repo with the console in mode.
func start(t *testing.T, repo string, mode server.ConsoleMode, opts ...server.Option) *servertest.Instance {
	t.Helper()
	return servertest.StartConfig(t, app.Config{RepositoryDir: repo, Server: opts,
		Console: app.Console{Mode: mode, PromotionsDir: repo}})
}

// get fetches url and decodes its JSON into v (when not nil); it returns
// the status.
func get(t *testing.T, url string, v any) int {
	t.Helper()
	return do(t, http.MethodGet, url, "", v)
}

func do(t *testing.T, method, url, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	if resp.StatusCode >= 400 && !bytes.Contains(data, []byte(`"error"`)) {
		t.Errorf("%s %s: %d without a JSON error: %s", method, url, resp.StatusCode, data)
	}
	return resp.StatusCode
}

// digitsInput is a v2 request of rows zero images for digits.
func digitsInput(rows int) string {
	data := strings.TrimSuffix(strings.Repeat("0,", rows*64), ",")
	return `{"inputs":[{"name":"input","datatype":"FP32","shape":[` + itoa(rows) + `,1,8,8],"data":[` + data + `]}]}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
