package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inferd/inferd/monitor"
	"github.com/inferd/inferd/tensor"
)

// postgresEnv names the variable holding a PostgreSQL DSN for the tests
// (scripts/postgres.sh sets it to a throwaway cluster).
const postgresEnv = "INFERD_TEST_POSTGRES"

// backend opens stores of one kind; open may be called more than once
// and opens the same database each time (like two replicas).
type backend struct {
	name string
	open func(t *testing.T) *Store
}

// backends returns SQLite and, when postgresEnv is set, PostgreSQL, each
// over a database of its own.
func backends(t *testing.T) []backend {
	t.Helper()
	path := filepath.Join(t.TempDir(), "monitor.db")
	bs := []backend{{name: "sqlite", open: func(t *testing.T) *Store {
		s, err := OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}}}
	dsn := postgresDSN(t)
	return append(bs, backend{name: "postgres", open: func(t *testing.T) *Store {
		if dsn == "" {
			t.Skipf("%s is not set: run the tests under scripts/postgres.sh to test the PostgreSQL store", postgresEnv)
		}
		s, err := OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}})
}

// postgresDSN makes a schema of its own for the test in the database of
// postgresEnv and returns a DSN that uses it; "" without the variable.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		return ""
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	s, err := OpenPostgres(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// record makes the i-th test record: its payload is a function of i.
func record(model string, version, i int) monitor.Record {
	x := tensor.MustFromSlice([]float32{float32(i), float32(i) / 2, -1}, 1, 3)
	y := tensor.MustFromSlice([]float32{0.1, 0.7, 0.2}, 1, 3)
	return monitor.Record{
		RequestID: fmt.Sprintf("req-%d", i), Model: model, Version: version,
		Time: time.Unix(1_700_000_000+int64(i), 0), Latency: time.Duration(i) * time.Microsecond,
		ClientID: "c", Headers: map[string]string{"X-Tenant": "t1"},
		Inputs:  monitor.EncodePayload(map[string]*tensor.Tensor{"x": x}, nil),
		Outputs: monitor.EncodePayload(map[string]*tensor.Tensor{"y": y}, nil), Prediction: "1",
	}
}

// checkRecord fails unless got is record(model, version, i), as stored.
func checkRecord(t *testing.T, got monitor.Record, model string, version, i int) {
	t.Helper()
	want := record(model, version, i)
	if got.RequestID != want.RequestID || got.Model != model || got.Version != version || !got.Time.Equal(want.Time) ||
		got.Latency != want.Latency || got.ClientID != want.ClientID || got.Headers["X-Tenant"] != "t1" || got.Prediction != "1" {
		t.Fatalf("record %d: got %+v", i, got)
	}
	ins, err := got.Inputs.Tensors()
	if err != nil {
		t.Fatalf("record %d: %v", i, err)
	}
	if x := tensor.Data[float32](ins["x"]); len(x) != 3 || x[0] != float32(i) || x[1] != float32(i)/2 {
		t.Fatalf("record %d: inputs %s", i, got.Inputs)
	}
	outs, err := got.Outputs.Tensors()
	if err != nil || outs["y"].DType() != tensor.Float32 || tensor.Data[float32](outs["y"])[1] != 0.7 {
		t.Fatalf("record %d: outputs %v (%v)", i, outs, err)
	}
}
