package processtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository/bucket"
	"github.com/inferd/inferd/repository/bucket/buckettest"
)

// fleetPoll is the replicas' repository poll interval.
const fleetPoll = 500 * time.Millisecond

// TestFleetBehindNginx runs three replicas on loopback addresses behind
// Debian's nginx, sharing a repository in MinIO, under continuous load
// through nginx: a new version is uploaded and rolled out, a label moved
// through one replica reaches every replica, and the replicas restart one
// after another (SIGTERM: not ready, the shutdown delay, drain, exit).
// No request may fail, and once every replica serves the new version no
// answer may come from the old one.
func TestFleetBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("runs MinIO, nginx and three servers: not in -short")
	}
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
		if _, err := os.Stat(nginx); err != nil {
			t.Skip("nginx is not installed: scripts/test.sh installs it")
		}
	}
	repoURL, src := fleetRepository(t)
	replicas := make([]*server, 3)
	for i := range replicas {
		replicas[i] = startReplica(t, repoURL, fmt.Sprintf("127.0.0.%d", i+2))
	}
	lb := startNginx(t, nginx, replicas)
	load := startLoad(lb, 8)
	defer load.stop()

	ctx := context.Background()
	version := os.DirFS(filepath.Join(testutil.ExamplesDir(), "digits", "1"))
	pushed := time.Now()
	if err := src.PushVersion(ctx, "digits", 2, version); err != nil {
		t.Fatal(err)
	}
	rolledOut := waitFleet(t, replicas, "version 2 AVAILABLE", func(s *server) bool { return s.versionReady("2") })
	load.mark(rolledOut)
	t.Logf("version 2 uploaded: every replica serves it %v later", rolledOut.Sub(pushed).Round(time.Millisecond))

	moved := time.Now()
	if code := replicas[0].putLabel(t, "production", 2); code != http.StatusOK {
		t.Fatalf("moving the label through replica 1: %d", code)
	}
	agreed := waitFleet(t, replicas, "production → 2", func(s *server) bool { return s.label("production") == 2 })
	took := agreed.Sub(moved)
	t.Logf("label moved through one replica: all three agree after %v (poll interval %v)", took.Round(time.Millisecond), fleetPoll)
	if took > fleetPoll+time.Second {
		t.Errorf("the label took %v to reach every replica, more than the poll interval + 1 s", took)
	}

	for i, r := range replicas {
		replicas[i] = restartReplica(t, r, repoURL)
		waitFleet(t, replicas[i:i+1], "restarted replica ready", func(s *server) bool { return s.versionReady("2") })
	}
	counts := load.stop()
	t.Logf("through nginx during the rollout, the label move and the rolling restart: %d requests, %d failed, per version %v, %d answered by version 1 after version 2 was everywhere",
		counts.total, counts.failed, counts.perVersion, counts.stale)
	if counts.failed != 0 || counts.total == 0 || counts.stale != 0 {
		t.Fatalf("%d of %d requests failed (first: %s), %d stale answers", counts.failed, counts.total, counts.firstErr, counts.stale)
	}
}

// fleetRepository makes a bucket in MinIO holding digits version 1 and
// returns its URL for the replicas.
func fleetRepository(t *testing.T) (string, *bucket.Source) {
	t.Helper()
	src, url := buckettest.MinIO(t, "models")
	buckettest.PushDigits(t, src)
	return url, src
}

// startReplica serves the repository on host (a loopback address) with a
// short poll, settle and shutdown delay, and its own cache.
func startReplica(t *testing.T, repoURL, host string) *server {
	t.Helper()
	return startAt(t, host, replicaArgs(t, repoURL)...)
}

func replicaArgs(t *testing.T, repoURL string) []string {
	return []string{"--repository", repoURL, "--cache-dir", t.TempDir(), "--poll-interval", fleetPoll.String(),
		"--settle", "0s", "--shutdown-delay", "1s", "--drain-timeout", "10s", "--log-level", "warn"}
}

// restartReplica stops a replica with SIGTERM, waits for it to exit, and
// starts it again on the same addresses.
func restartReplica(t *testing.T, s *server, repoURL string) *server {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.exit(t, 30*time.Second); err != nil {
		t.Fatalf("replica %s exit after SIGTERM: %v", s.http, err)
	}
	return startOn(t, s.http, s.grpc, replicaArgs(t, repoURL)...)
}

// label returns the version a label of digits points at on s (0: none).
func (s *server) label(name string) int {
	resp, err := http.Get("http://" + s.http + "/models/digits")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var m struct {
		Labels map[string]int `json:"version_labels"`
	}
	if json.NewDecoder(resp.Body).Decode(&m) != nil {
		return 0
	}
	return m.Labels[name]
}

// versionReady reports whether digits version v is ready on s.
func (s *server) versionReady(v string) bool {
	resp, err := http.Get("http://" + s.http + "/v2/models/digits/versions/" + v + "/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *server) putLabel(t *testing.T, label string, v int) int {
	req, _ := http.NewRequest(http.MethodPut, "http://"+s.http+"/models/digits/labels/"+label, strings.NewReader(fmt.Sprintf(`{"version": %d}`, v)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFleet waits up to 30 s until cond holds on every replica and
// returns when it did.
func waitFleet(t *testing.T, replicas []*server, what string, cond func(*server) bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := true
		for _, r := range replicas {
			all = all && cond(r)
		}
		if all {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not on every replica within 30 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startNginx runs nginx in the foreground on a free loopback port,
// balancing over the replicas' HTTP addresses; a replica that refuses a
// connection or answers 503 (loading, shutting down) is skipped for the
// next (proxy_next_upstream), POST included.
func startNginx(t *testing.T, nginx string, replicas []*server) string {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	var upstreams strings.Builder
	for _, r := range replicas {
		fmt.Fprintf(&upstreams, "    server %s max_fails=0;\n", r.http)
	}
	conf := fmt.Sprintf(`daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_processes 1;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  upstream inferd {
%[2]s  }
  server {
    listen %[3]s;
    location / {
      proxy_pass http://inferd;
      # Inference is a pure function of the request: safe to send again
      # to another replica when one is starting (503) or going (refused).
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 3;
    }
  }
}
`, dir, upstreams.String(), addr)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-c", path, "-p", dir, "-e", filepath.Join(dir, "error.log"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx: %s\n%s", out.String(), b)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not answer on %s: %s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loadResult counts a load's answers.
type loadResult struct {
	total, failed, stale int
	perVersion           map[string]int
	firstErr             string
}

// fleetLoad sends digits requests through the load balancer from n
// workers until stopped.
type fleetLoad struct {
	stopOnce sync.Once
	stopC    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	res      loadResult
	newOnly  atomic.Int64 // UnixNano after which version 1 is stale; 0: none yet
}

func startLoad(addr string, n int) *fleetLoad {
	l := &fleetLoad{stopC: make(chan struct{}), res: loadResult{perVersion: map[string]int{}}}
	for range n {
		l.wg.Go(func() {
			c := &http.Client{Timeout: 20 * time.Second}
			for {
				select {
				case <-l.stopC:
					return
				default:
				}
				started := time.Now().UnixNano()
				v, err := inferVersion(c, addr)
				l.record(started, v, err)
			}
		})
	}
	return l
}

func (l *fleetLoad) record(started int64, version string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.total++
	if err != nil {
		l.res.failed++
		if l.res.firstErr == "" {
			l.res.firstErr = err.Error()
		}
		return
	}
	l.res.perVersion[version]++
	if after := l.newOnly.Load(); after != 0 && started > after && version == "1" {
		l.res.stale++
	}
}

// mark makes version 1 stale for requests started after t.
func (l *fleetLoad) mark(t time.Time) { l.newOnly.Store(t.UnixNano()) }

func (l *fleetLoad) stop() loadResult {
	l.stopOnce.Do(func() { close(l.stopC) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res
}

// inferVersion sends one digit through the balancer and returns the
// version that answered.
func inferVersion(c *http.Client, addr string) (string, error) {
	resp, err := c.Post("http://"+addr+"/v2/models/digits/infer", "application/json", bytes.NewReader(jsonZeros(1)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var answer struct {
		ModelVersion string `json:"model_version"`
		Error        string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return "", fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, answer.Error)
	}
	return answer.ModelVersion, nil
}
