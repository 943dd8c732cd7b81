package imagebuild

import (
	"bufio"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModulePath is the Go module whose ./cmd/inferd BuildBinary builds.
const ModulePath = "github.com/inferd/inferd"

// versionVar is the variable -ldflags -X sets to inferd's version.
const versionVar = ModulePath + "/internal/cli.version"

// Arches are the architectures images can be built for (GOARCH names).
var Arches = []string{"amd64", "arm64"}

var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// BinaryInfo describes a vetted inferd binary.
type BinaryInfo struct {
	Arch string
	// GoVersion is the toolchain that built it.
	GoVersion string
	// Version is inferd's version as set at build time with -ldflags -X
	// (recorded in the build info unless built with -trimpath, as
	// BuildBinary does), else the main module's version (`go install
	// ...@v1.2.3`); empty when neither is known.
	Version string
}

// CheckBinary checks that the file at path can be the binary of a scratch
// image for linux/arch: a Linux ELF executable for that architecture,
// statically linked (no program interpreter, as there is no libc in the
// image), and, when it is a Go binary, built with CGO_ENABLED=0.
func CheckBinary(path, arch string) (BinaryInfo, error) {
	machine, ok := elfMachine[arch]
	if !ok {
		return BinaryInfo{}, fmt.Errorf("architecture %q is not one of %v", arch, Arches)
	}
	f, err := elf.Open(path)
	if err != nil {
		return BinaryInfo{}, fmt.Errorf("binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	if f.Machine != machine {
		return BinaryInfo{}, fmt.Errorf("binary %s is for %v, not %s (linux/%s)", path, f.Machine, arch, arch)
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return BinaryInfo{}, fmt.Errorf("binary %s is an ELF %v, not an executable", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return BinaryInfo{}, fmt.Errorf("binary %s is dynamically linked; a scratch image has no libc: build it with CGO_ENABLED=0", path)
		}
	}
	info := BinaryInfo{Arch: arch}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return info, nil // not a Go binary, or stripped of its build info: nothing more to learn
	}
	info.GoVersion = bi.GoVersion
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED":
			if s.Value == "1" {
				return BinaryInfo{}, fmt.Errorf("binary %s was built with CGO_ENABLED=1; build it with CGO_ENABLED=0", path)
			}
		case "-ldflags":
			if v, ok := ldflagsVersion(s.Value); ok {
				info.Version = v
			}
		}
	}
	return info, nil
}

// ldflagsVersion finds -X <versionVar>=V in a -ldflags value.
func ldflagsVersion(flags string) (string, bool) {
	for _, f := range strings.Fields(flags) {
		f = strings.Trim(f, `"'`)
		if v, ok := strings.CutPrefix(f, versionVar+"="); ok {
			return v, true
		}
	}
	return "", false
}

// BinaryOptions say how BuildBinary builds inferd.
type BinaryOptions struct {
	// ModuleDir is the root of an inferd checkout (the directory holding
	// the go.mod of ModulePath).
	ModuleDir string
	// Output is the file to write.
	Output string
	// Arch is the GOARCH (default amd64).
	Arch string
	// Version, when set, is compiled in as inferd's version.
	Version string
}

// BuildBinary runs `go build` on ./cmd/inferd of the checkout for
// linux/arch with CGO_ENABLED=0. The flags make the output depend only on
// the sources and the toolchain: -trimpath, no VCS stamping, no build ID,
// no symbol table. Its output (the go command's errors) is in the error.
func BuildBinary(ctx context.Context, o BinaryOptions) error {
	if o.Arch == "" {
		o.Arch = "amd64"
	}
	if _, ok := elfMachine[o.Arch]; !ok {
		return fmt.Errorf("architecture %q is not one of %v", o.Arch, Arches)
	}
	if err := checkModule(o.ModuleDir); err != nil {
		return err
	}
	ldflags := "-s -w -buildid="
	if o.Version != "" {
		if strings.ContainsAny(o.Version, " \t\n'\"") {
			return fmt.Errorf("version %q contains spaces or quotes", o.Version)
		}
		ldflags += " -X " + versionVar + "=" + o.Version
	}
	out, err := filepath.Abs(o.Output)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/inferd")
	cmd.Dir = o.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch)
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("building inferd needs the go command in PATH (or pass a prebuilt binary): %w", err)
		}
		return fmt.Errorf("go build ./cmd/inferd in %s: %w\n%s", o.ModuleDir, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// FindModule returns the root of the inferd checkout that holds dir: the
// nearest directory at or above dir with a go.mod declaring ModulePath.
func FindModule(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if checkModule(d) == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s is not inside a checkout of %s (no go.mod declaring it in any parent directory)", abs, ModulePath)
		}
	}
}

// checkModule checks that dir holds the go.mod of ModulePath.
func checkModule(dir string) error {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("%s is not a checkout of %s: %w", dir, ModulePath, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if strings.Trim(strings.TrimSpace(mod), `"`) == ModulePath {
				return nil
			}
			break
		}
	}
	return fmt.Errorf("%s is not a checkout of %s: its go.mod declares another module", dir, ModulePath)
}
