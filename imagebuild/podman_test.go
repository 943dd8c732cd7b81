package imagebuild

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// podmanArgs are the options containers need on the CI machines: crun
// fails on their cgroup layout, and the default limits are too low.
var podmanArgs = []string{"--runtime", "runc", "--network=host", "--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"}

// TestPodman runs the image of the example repository for real: it loads
// it into podman, starts it, classifies a sample image through it, runs its
// health check and stops it. It needs INFERD_TEST_PODMAN=1 (see
// scripts/image-test.sh) and is skipped, saying why, where podman cannot
// start containers. INFERD_TEST_PODMAN_ARCHIVE names a docker tarball of
// the example repository to use instead of building one (the script builds
// it with `inferd image build`); INFERD_TEST_PODMAN_IMAGE names an image
// podman already has (the script's build of deploy/Containerfile).
func TestPodman(t *testing.T) {
	if os.Getenv("INFERD_TEST_PODMAN") != "1" {
		t.Skip("set INFERD_TEST_PODMAN=1 to run the image in podman (scripts/image-test.sh does)")
	}
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman cannot start containers here: it is not installed (apt-get install podman runc)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel) // registered first, so it runs after the other cleanups
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(ctx, podman, args...)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if err != nil {
			err = fmt.Errorf("podman %s: %w\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return strings.TrimSpace(out.String()), err
	}

	suffix := randomHex(t)
	tag := os.Getenv("INFERD_TEST_PODMAN_IMAGE")
	if tag == "" {
		tag = "localhost/inferd-test:" + suffix
		loadImage(t, ctx, run, tag)
	}

	// Can podman start a container at all? Exit status 125 is an error of
	// podman or its runtime, not of the command in the container.
	var probeOut, probeErr bytes.Buffer
	probe := exec.CommandContext(ctx, podman, append(append([]string{"run", "--rm", "--no-healthcheck"}, podmanArgs...), "--entrypoint", BinaryPath, tag, "version")...)
	probe.Stdout, probe.Stderr = &probeOut, &probeErr
	if err := probe.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 125 {
			t.Skipf("podman cannot start containers here: %s", strings.TrimSpace(probeErr.String()))
		}
		t.Fatalf("inferd version in the image: %v\n%s%s", err, probeOut.String(), probeErr.String())
	} else if !strings.HasPrefix(probeOut.String(), "inferd ") {
		t.Fatalf("inferd version in the image printed %q", probeOut.String())
	}

	httpPort, grpcPort := freePort(t), freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	container := "inferd-test-" + suffix
	// No health check timer (it needs systemd); the check runs on demand
	// below. The HTTP address is an argument, not the image's environment:
	// the health check must follow it (through INFERD_ADDR_FILE).
	args := append(append([]string{"run", "-d", "--name", container, "--health-interval", "disable"}, podmanArgs...),
		"-e", "INFERD_GRPC_ADDR=127.0.0.1:"+strconv.Itoa(grpcPort),
		tag, "--http-addr=127.0.0.1:"+strconv.Itoa(httpPort))
	if _, err := run(args...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := run("rm", "-f", "-t", "0", container); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	logs := func() string { // the server logs to stderr, which podman logs passes on as such
		out, _ := exec.CommandContext(ctx, podman, "logs", container).CombinedOutput()
		return string(out)
	}

	waitReady(t, ctx, base, func() (bool, string) {
		state, _ := run("inspect", "--format", "{{.State.Status}}", container)
		return state == "running", state
	}, logs)

	t.Run("classify", func(t *testing.T) {
		png, err := os.ReadFile(filepath.Join("..", "examples", "digits", "images", "7_0.png"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(base+"/models/digits/v1", "image/png", bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Model       string `json:"model"`
			Predictions []struct {
				Label string  `json:"label"`
				Score float64 `json:"score"`
			} `json:"predictions"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d, %v", resp.StatusCode, err)
		}
		if len(got.Predictions) == 0 || got.Predictions[0].Label != "7" || got.Predictions[0].Score < 0.5 {
			t.Fatalf("predictions %+v, want 7 first", got.Predictions)
		}
	})
	t.Run("non-root", func(t *testing.T) {
		out, err := run("top", container, "huser")
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Fields(out); len(lines) != 2 || lines[1] != strconv.Itoa(UID) {
			t.Errorf("podman top huser: %q, want %d", out, UID)
		}
	})
	t.Run("health check", func(t *testing.T) {
		// podman runs the image's HEALTHCHECK (inferd healthcheck, which
		// finds the server through the file INFERD_ADDR_FILE names, though
		// INFERD_HTTP_ADDR names another port) in the container.
		if _, err := run("healthcheck", "run", container); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stop", func(t *testing.T) {
		if _, err := run("stop", "-t", "30", container); err != nil {
			t.Fatal(err)
		}
		code, err := run("inspect", "--format", "{{.State.ExitCode}}", container)
		if err != nil || code != "0" {
			t.Fatalf("exit code %q (%v) after SIGTERM; logs:\n%s", code, err, logs())
		}
		if l := logs(); !strings.Contains(l, "inferd stopped") {
			t.Errorf("logs lack a clean stop:\n%s", l)
		}
	})
}

// loadImage loads the example image into podman as tag, removed when the
// test ends: the archive of INFERD_TEST_PODMAN_ARCHIVE, else one built now.
// A given archive keeps its own tag too, which its maker removes.
func loadImage(t *testing.T, ctx context.Context, run func(...string) (string, error), tag string) {
	archive := os.Getenv("INFERD_TEST_PODMAN_ARCHIVE")
	if archive == "" {
		archive = buildExampleArchive(t, ctx, tag)
	}
	out, err := run("load", "-q", "-i", archive)
	if err != nil {
		t.Fatal(err)
	}
	if loaded := strings.TrimSpace(strings.TrimPrefix(out, "Loaded image:")); loaded != tag {
		if _, err := run("tag", loaded, tag); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if _, err := run("rmi", "-f", tag); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// buildExampleArchive builds inferd from this checkout and the image of
// the example repository, as a docker tarball tagged tag.
func buildExampleArchive(t *testing.T, ctx context.Context, tag string) string {
	mod, err := FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "inferd")
	if err := BuildBinary(ctx, BinaryOptions{ModuleDir: mod, Output: bin}); err != nil {
		t.Fatal(err)
	}
	img, err := Build(bin, WithRepository(exampleRepo), WithFormat(FormatDocker))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "image.tar")
	if err := WriteDockerArchive(archive, img, ref); err != nil {
		t.Fatal(err)
	}
	return archive
}

// waitReady polls /readyz until it answers 200, failing early when the
// container is no longer running.
func waitReady(t *testing.T, ctx context.Context, base string, running func() (bool, string), logs func() string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if ok, state := running(); !ok {
			t.Fatalf("the container is %s; logs:\n%s", state, logs())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("not ready after 60s (%v); logs:\n%s", err, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
