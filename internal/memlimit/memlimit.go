package memlimit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Paths read by Detect, relative to the root file system it is given.
const (
	cgroupV2Max   = "sys/fs/cgroup/memory.max"
	cgroupV1Limit = "sys/fs/cgroup/memory/memory.limit_in_bytes"
	procMeminfo   = "proc/meminfo"
)

// Limit is the memory the process may use and where that figure came from.
type Limit struct {
	// Bytes is the limit; 0 when nothing could be read.
	Bytes uint64
	// Source names the file it came from ("" when none could be read).
	Source string
	// Container is true when Bytes is a cgroup limit, false when it is
	// the machine's physical memory.
	Container bool
}

// Detect reads the memory limit from root, the root file system
// (os.DirFS("/") in production, an fstest.MapFS in tests). A cgroup limit
// wins when it is set and smaller than physical memory; cgroup v1's
// "unlimited" (a huge number) and v2's "max" count as no limit. It fails
// only when neither a limit nor physical memory can be read.
func Detect(root fs.FS) (Limit, error) {
	total, memErr := memTotal(root)
	for _, path := range []string{cgroupV2Max, cgroupV1Limit} {
		n, ok, err := cgroupLimit(root, path)
		if err != nil {
			return Limit{}, err
		}
		if ok && (total == 0 || n < total) {
			return Limit{Bytes: n, Source: "/" + path, Container: true}, nil
		}
	}
	if memErr != nil {
		return Limit{}, fmt.Errorf("reading physical memory: %w", memErr)
	}
	return Limit{Bytes: total, Source: "/" + procMeminfo}, nil
}

// unlimited is the smallest cgroup v1 value taken to mean "no limit" (the
// kernel reports a page-aligned value near 2^63).
const unlimited = 1 << 62

// cgroupLimit reads a cgroup limit file: ok is false when the file is
// missing or says there is no limit.
func cgroupLimit(root fs.FS, path string) (n uint64, ok bool, err error) {
	b, err := fs.ReadFile(root, path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading /%s: %w", path, err)
	}
	s := string(bytes.TrimSpace(b))
	if s == "max" {
		return 0, false, nil
	}
	n, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("/%s: %q is not a byte count: %w", path, s, err)
	}
	if n == 0 || n >= unlimited {
		return 0, false, nil
	}
	return n, true, nil
}

// memTotal reads MemTotal from /proc/meminfo, in bytes.
func memTotal(root fs.FS) (uint64, error) {
	b, err := fs.ReadFile(root, procMeminfo)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || f[0] != "MemTotal:" {
			continue
		}
		kb, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/%s: MemTotal %q: %w", procMeminfo, f[1], err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("/%s has no MemTotal line", procMeminfo)
}
