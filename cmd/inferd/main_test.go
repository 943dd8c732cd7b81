package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run this test binary as the inferd command.
func TestMain(m *testing.M) {
	if os.Getenv("INFERD_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func inferd(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "INFERD_TEST_RUN_MAIN=1"), env...)
	return cmd
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(x)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var addrRE = regexp.MustCompile(`msg="serving HTTP" addr=(\S+)`)

// The real command: flags from the environment, serving the examples, and
// a clean exit 0 on SIGTERM.
func TestServeCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	repo := filepath.Join("..", "..", "examples", "models")
	cmd := inferd(ctx, []string{"INFERD_REPOSITORY=" + repo, "INFERD_HTTP_ADDR=127.0.0.1:0", "INFERD_GRPC_ADDR=127.0.0.1:0"}, "serve")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	addrc := make(chan string, 1)
	rest := make(chan struct{})
	go func() {
		defer close(rest)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-rest:
		t.Fatalf("no listen address in the logs:\n%s", logs.String())
	}

	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	png, err := os.ReadFile(filepath.Join("..", "..", "examples", "digits", "images", "7_0.png"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(base+"/models/digits/v1", "image/png", bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"predictions":[{"label":"7"`) {
		t.Fatalf("predict: %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-rest
	if err := cmd.Wait(); err != nil {
		t.Fatalf("inferd exited with %v after SIGTERM:\n%s", err, logs.String())
	}
	for _, want := range []string{"model version loaded", "shutting down", "inferd stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
}

func TestCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"missing repository", nil, []string{"serve", "--repository", "/nonexistent/models"}, "--repository: stat /nonexistent/models"},
		{"bad address", nil, []string{"serve", "--repository", ".", "--http-addr", "nope"}, "--http-addr"},
		{"bad env value", []string{"INFERD_MAX_BODY_BYTES=lots"}, []string{"serve", "--repository", "."}, "environment INFERD_MAX_BODY_BYTES=\"lots\""},
		{"bad log level", nil, []string{"serve", "--log-level", "loud"}, "--log-level"},
		{"unknown flag", nil, []string{"serve", "--bogus"}, "unknown flag: --bogus"},
		{"unknown command", nil, []string{"serv"}, `unknown command "serv"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := inferd(ctx, tt.env, tt.args...).CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; output:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output %q lacks %q", out, tt.want)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, err := inferd(context.Background(), nil, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "inferd ") || !strings.Contains(string(out), "native") {
		t.Errorf("version: %v %s", err, out)
	}
	out, err = inferd(context.Background(), nil, "serve", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--http-addr") || !strings.Contains(string(out), "POST /models/{name}/{version}") {
		t.Errorf("serve --help: %v %s", err, out)
	}
}
