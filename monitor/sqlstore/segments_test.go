package sqlstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/inferd/inferd/monitor"
)

// appendBatches appends n batches of per records each, record i at
// time i s (1_700_000_000 s on), and returns how many it appended.
func appendBatches(t *testing.T, s *Store, from, n, per int) int {
	t.Helper()
	for b := range n {
		var recs []monitor.Record
		for i := range per {
			recs = append(recs, record("digits", 1, from+b*per+i))
		}
		if err := s.Append(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
	}
	return from + n*per
}

func segmentFiles(t *testing.T, s *Store) []int64 {
	t.Helper()
	ns, err := s.seg.list()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ns)
	return ns
}

func smallSegments(t *testing.T, n int64) {
	old := segmentBytes
	segmentBytes = n
	t.Cleanup(func() { segmentBytes = old })
}

// Batch bodies live in segment files, not in the rows; retention deletes
// the segments no row refers to any more, but never the newest.
func TestSegmentsAndRetention(t *testing.T) {
	smallSegments(t, 1) // a segment a batch
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "monitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := appendBatches(t, s, 0, 6, 10)
	var inRows int64
	if err := s.db.QueryRow(`SELECT SUM(LENGTH(body)) FROM inferd_batches`).Scan(&inRows); err != nil || inRows != 0 {
		t.Fatalf("%d body bytes in the rows (%v), want 0", inRows, err)
	}
	if got := segmentFiles(t, s); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("segments %v, want 1 to 6", got)
	}
	// Records 0..39 are older than the cut; batches 0-3 go, so do
	// segments 1 to 4.
	cut := time.Since(time.Unix(1_700_000_039, 5e8))
	if d, err := s.Retain(ctx, monitor.Retention{MaxAge: cut}); err != nil || d != 40 {
		t.Fatalf("retained %d (%v), want 40", d, err)
	}
	if got := segmentFiles(t, s); !slices.Equal(got, []int64{5, 6}) {
		t.Fatalf("segments after retention %v, want [5 6]", got)
	}
	n = appendBatches(t, s, n, 2, 10)
	recs, err := s.Records(ctx, monitor.Query{})
	if err != nil || len(recs) != n-40 {
		t.Fatalf("%d records (%v), want %d", len(recs), err, n-40)
	}
	for k, r := range recs {
		checkRecord(t, r, "digits", 1, 40+k)
	}
	// Everything goes: the newest segment stays for the next batch.
	if _, err := s.Retain(ctx, monitor.Retention{MaxAge: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	if got := segmentFiles(t, s); !slices.Equal(got, []int64{8}) {
		t.Fatalf("segments after deleting everything %v, want the newest alone", got)
	}
}

// A changed byte in a segment is reported, not returned as data.
func TestSegmentCorruption(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "monitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendBatches(t, s, 0, 1, 10)
	f, err := os.OpenFile(s.seg.path(1), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, 100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := s.Records(ctx, monitor.Query{}); !errors.Is(err, errCorrupt) {
		t.Fatalf("reading a corrupt segment: %v, want %v", err, errCorrupt)
	}
}

// A segment shorter than its rows say (a machine that lost power before
// the file reached the disk) loses the rows past its end when the store
// opens; the others read back intact.
func TestShortSegmentOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "monitor.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	appendBatches(t, s, 0, 3, 10)
	var end int64
	if err := s.db.QueryRow(`SELECT seg_off + seg_len FROM inferd_batches ORDER BY id LIMIT 1 OFFSET 1`).Scan(&end); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Truncate(filepath.Join(path+"-segments", "00000001.seg"), end-1); err != nil {
		t.Fatal(err)
	}
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, err := s.Records(ctx, monitor.Query{})
	if err != nil || len(recs) != 10 {
		t.Fatalf("%d records (%v), want the first batch's 10", len(recs), err)
	}
	for i, r := range recs {
		checkRecord(t, r, "digits", 1, i)
	}
	appendBatches(t, s, 30, 1, 10)
	if recs, err = s.Records(ctx, monitor.Query{}); err != nil || len(recs) != 20 {
		t.Fatalf("%d records after a new batch (%v), want 20", len(recs), err)
	}
}

// A store made before segments (bodies in the rows, no segment columns)
// opens, reads its rows and writes new batches to segments.
func TestStoreBeforeSegments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "monitor.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: s.db, d: s.d} // writes bodies into the rows
	if _, err := s.db.Exec(`DROP TABLE inferd_batches`); err != nil {
		t.Fatal(err)
	}
	if err := old.schemaWithout(ctx); err != nil {
		t.Fatal(err)
	}
	appendBatches(t, old, 0, 2, 10)
	s.Close()
	s, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendBatches(t, s, 20, 1, 10)
	recs, err := s.Records(ctx, monitor.Query{})
	if err != nil || len(recs) != 30 {
		t.Fatalf("%d records (%v), want 30", len(recs), err)
	}
	for i, r := range recs {
		checkRecord(t, r, "digits", 1, i)
	}
	if got := segmentFiles(t, s); !slices.Equal(got, []int64{1}) {
		t.Fatalf("segments %v, want [1]", got)
	}
}

// schemaWithout creates the schema as a store before segments had it.
func (s *Store) schemaWithout(ctx context.Context) error {
	seg := s.seg
	s.seg, s.d.segCols = nil, "NULL, NULL, NULL, NULL"
	defer func() { s.seg = seg }()
	return s.schema(ctx)
}
