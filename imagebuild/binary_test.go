package imagebuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckBinary(t *testing.T) {
	amd64 := testBinary(t, "amd64")
	script := filepath.Join(t.TempDir(), "script")
	writeFile(t, script, "#!/bin/sh\necho hi\n")
	dynamic, err := exec.LookPath("sh") // /bin/sh is dynamically linked on every distribution we run on
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, arch string
		wantErr          string
	}{
		{"static go binary", amd64, "amd64", ""},
		{"wrong architecture", amd64, "arm64", "is for EM_X86_64, not arm64"},
		{"unknown architecture", amd64, "s390x", `architecture "s390x" is not one of`},
		{"not ELF", script, "amd64", "not a Linux executable"},
		{"missing", filepath.Join(t.TempDir(), "nope"), "amd64", "not a Linux executable"},
		{"dynamic", dynamic, "amd64", "dynamically linked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := CheckBinary(tt.path, tt.arch)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// -trimpath keeps -ldflags (and so the version) out of the
			// build info, and the module version is (devel).
			if info.Version != "" || info.Arch != tt.arch || !strings.HasPrefix(info.GoVersion, "go1.") {
				t.Errorf("info = %+v", info)
			}
		})
	}
}

func TestCheckBinaryArm64(t *testing.T) {
	bin := testBinary(t, "arm64")
	if _, err := CheckBinary(bin, "arm64"); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckBinary(bin, "amd64"); err == nil || !strings.Contains(err.Error(), "EM_AARCH64, not amd64") {
		t.Fatalf("err = %v", err)
	}
}

func TestLdflagsVersion(t *testing.T) {
	tests := []struct {
		flags, want string
		ok          bool
	}{
		{"-s -w -X " + versionVar + "=v1.4.0", "v1.4.0", true},
		{"-X '" + versionVar + "=2.0'", "2.0", true},
		{"-X main.version=3", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ldflagsVersion(tt.flags)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ldflagsVersion(%q) = %q, %v; want %q, %v", tt.flags, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBuildBinaryErrors(t *testing.T) {
	ctx := context.Background()
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "go.mod"), "module example.com/other\n")
	broken := t.TempDir()
	copyTree(t, filepath.Join("testdata", "fakeinferd"), broken)
	writeFile(t, filepath.Join(broken, "cmd", "inferd", "main.go"), "package main\nfunc main() { undefined() }\n")
	tests := []struct {
		name    string
		o       BinaryOptions
		wantErr string
	}{
		{"not a module", BinaryOptions{ModuleDir: t.TempDir()}, "is not a checkout of github.com/inferd/inferd"},
		{"another module", BinaryOptions{ModuleDir: other}, "declares another module"},
		{"bad arch", BinaryOptions{ModuleDir: broken, Arch: "mips"}, `architecture "mips"`},
		{"bad version", BinaryOptions{ModuleDir: broken, Version: "1 2"}, "contains spaces"},
		{"compile error", BinaryOptions{ModuleDir: broken, Output: filepath.Join(t.TempDir(), "x")}, "undefined: undefined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := BuildBinary(ctx, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// Building twice gives the same bytes: the binary does not depend on where
// the checkout is or when it was built.
func TestBuildBinaryReproducible(t *testing.T) {
	elsewhere := t.TempDir()
	copyTree(t, filepath.Join("testdata", "fakeinferd"), elsewhere)
	out := filepath.Join(t.TempDir(), "inferd")
	if err := BuildBinary(context.Background(), BinaryOptions{ModuleDir: elsewhere, Output: out, Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(testBinary(t, "amd64"))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("the same sources built in another directory gave a different binary")
	}
}

func TestFindModule(t *testing.T) {
	root, err := FindModule(filepath.Join("testdata", "fakeinferd", "cmd", "inferd"))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.Abs(filepath.Join("testdata", "fakeinferd")); root != want {
		t.Errorf("FindModule = %s, want %s", root, want)
	}
	// This package is in the real checkout.
	root, err = FindModule(".")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.Abs(".."); root != want {
		t.Errorf("FindModule(.) = %s, want %s", root, want)
	}
	if _, err := FindModule(t.TempDir()); err == nil || !strings.Contains(err.Error(), "is not inside a checkout") {
		t.Errorf("outside a checkout: %v", err)
	}
}
