package sqlstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/inferd/inferd/monitor"
)

// childEnv, when set ("sqlite:PATH" or "postgres:DSN"), makes the test
// binary the writer of TestKilledWriterLosesNothing.
const childEnv = "INFERD_SQLSTORE_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := writeUntilKilled(spec); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childBatch is the records the writer commits at a time.
const childBatch = 40

// writeUntilKilled appends batches of records forever, printing the total
// committed after each commit.
func writeUntilKilled(spec string) error {
	ctx := context.Background()
	kind, where, _ := strings.Cut(spec, ":")
	var s *Store
	var err error
	if kind == "sqlite" {
		s, err = OpenSQLite(ctx, where)
	} else {
		s, err = OpenPostgres(ctx, where)
	}
	if err != nil {
		return err
	}
	out := bufio.NewWriter(os.Stdout)
	for n := 0; n < 1_000_000; n += childBatch {
		recs := make([]monitor.Record, childBatch)
		for i := range recs {
			recs[i] = record("digits", 1, n+i)
		}
		if err := s.Append(ctx, recs); err != nil {
			return err
		}
		fmt.Fprintf(out, "committed %d\n", n+childBatch)
		out.Flush()
	}
	return nil
}

// TestKilledWriterLosesNothing kills a process with SIGKILL while it
// writes, then reopens the store: every batch it reported committed is
// there, intact, and the store opens and takes writes.
func TestKilledWriterLosesNothing(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t) // creates the schema; the child opens the same database
			spec := "sqlite:" + s.dsn
			if b.name == "postgres" {
				spec = "postgres:" + s.dsn
			}
			committed := runAndKill(t, spec, 400)
			s.Close()
			s = b.open(t)
			recs, err := s.Records(context.Background(), monitor.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) < committed || len(recs)%childBatch != 0 {
				t.Fatalf("%d records after the kill; the writer had committed %d in batches of %d", len(recs), committed, childBatch)
			}
			for i, r := range recs {
				checkRecord(t, r, "digits", 1, i)
			}
			if s.d.name != "postgres" {
				var ok string
				if err := s.db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
					t.Fatalf("integrity_check: %q %v", ok, err)
				}
			}
			if err := s.Append(context.Background(), []monitor.Record{record("digits", 1, len(recs))}); err != nil {
				t.Fatalf("writing after the kill: %v", err)
			}
			t.Logf("%d records committed before SIGKILL, %d found", committed, len(recs))
		})
	}
}

// runAndKill starts the writer, kills it with SIGKILL once it has
// committed at least n records, and returns the last total it reported.
func runAndKill(t *testing.T, spec string, n int) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(stdout)
	for committed < n && sc.Scan() {
		committed, _ = strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed "))
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // a report written before the signal landed counts too
		committed, _ = strconv.Atoi(strings.TrimPrefix(sc.Text(), "committed "))
	}
	_ = cmd.Wait()
	if committed < n {
		t.Fatalf("the writer stopped after %d records", committed)
	}
	return committed
}
