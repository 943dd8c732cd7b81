package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// Segment files keep the SQLite store's batch bodies out of the database:
// SQLite would write each payload byte to its WAL, then read it back and
// write it again at checkpoint, page by page, whereas a segment takes it
// in one write. The batch row keeps the index (its segment, offset,
// length and a CRC-32C of the bytes) and commits after the bytes are
// written, so a committed batch's bytes are in the file: a killed process
// loses nothing committed, and bytes written for a transaction that did
// not commit are skipped garbage.
//
// Segments are append-only files named by increasing number in a
// directory beside the database. Writers append to the newest one only,
// holding SQLite's write lock (transactions begin IMMEDIATE), so that
// several stores on one database never interleave; the newest is never
// deleted, and an older one is deleted once no batch row refers to it.
var segmentBytes int64 = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segments is the segment directory of a store.
type segments struct {
	dir string

	mu  sync.Mutex
	cur int64    // the number of the segment f is open on; 0 for none
	f   *os.File // opened for appending
}

// segRef locates a batch body in a segment.
type segRef struct {
	seg, off, n int64
	crc         uint32
}

func openSegments(dir string) (*segments, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	return &segments{dir: dir}, nil
}

func (g *segments) path(n int64) string { return filepath.Join(g.dir, fmt.Sprintf("%08d.seg", n)) }

// list returns the segment numbers in the directory, in no order.
func (g *segments) list() ([]int64, error) {
	ents, err := os.ReadDir(g.dir)
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	var out []int64
	for _, e := range ents {
		if n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".seg"), 10, 64); err == nil && strings.HasSuffix(e.Name(), ".seg") {
			out = append(out, n)
		}
	}
	return out, nil
}

func (g *segments) newest() (int64, error) {
	ns, err := g.list()
	if err != nil {
		return 0, err
	}
	newest := int64(0)
	for _, n := range ns {
		newest = max(newest, n)
	}
	return newest, nil
}

// append writes body at the end of the newest segment (starting a new one
// when it is full) and returns where. The caller holds the database's
// write lock.
func (g *segments) append(body []byte) (segRef, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	newest, err := g.newest() // another store on the database may have started one
	if err != nil {
		return segRef{}, err
	}
	off := int64(0)
	if newest > 0 {
		if err := g.use(newest); err != nil {
			return segRef{}, err
		}
		fi, err := g.f.Stat()
		if err != nil {
			return segRef{}, fmt.Errorf("segments: %w", err)
		}
		off = fi.Size()
	}
	if newest == 0 || off >= segmentBytes {
		if err := g.use(newest + 1); err != nil {
			return segRef{}, err
		}
		off = 0
	}
	if _, err := g.f.Write(body); err != nil {
		return segRef{}, fmt.Errorf("segments: %w", err)
	}
	return segRef{seg: g.cur, off: off, n: int64(len(body)), crc: crc32.Checksum(body, castagnoli)}, nil
}

// use makes f the segment n, creating it if needed.
func (g *segments) use(n int64) error {
	if g.f != nil && g.cur == n {
		return nil
	}
	f, err := os.OpenFile(g.path(n), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("segments: %w", err)
	}
	g.close()
	g.f, g.cur = f, n
	return nil
}

func (g *segments) close() error {
	if g.f == nil {
		return nil
	}
	err := g.f.Close()
	g.f, g.cur = nil, 0
	return err
}

// errSegmentGone is a batch whose segment file was deleted: retention
// deleted the batch after it was read.
var errSegmentGone = errors.New("segment deleted")

// read returns the body ref locates, checked against its CRC.
func (g *segments) read(ref segRef) ([]byte, error) {
	f, err := os.Open(g.path(ref.seg))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errSegmentGone
	}
	if err != nil {
		return nil, fmt.Errorf("segments: %w", err)
	}
	defer f.Close()
	body := make([]byte, ref.n)
	if _, err := f.ReadAt(body, ref.off); err != nil {
		return nil, fmt.Errorf("segment %d at %d: %w", ref.seg, ref.off, err)
	}
	if crc32.Checksum(body, castagnoli) != ref.crc {
		return nil, fmt.Errorf("segment %d at %d: %w", ref.seg, ref.off, errCorrupt)
	}
	return body, nil
}

// prune deletes the segments older than oldest (the oldest one a batch row
// refers to; 0 for none) except the newest. The caller holds the
// database's write lock.
func (g *segments) prune(oldest int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns, err := g.list()
	if err != nil {
		return err
	}
	newest := int64(0)
	for _, n := range ns {
		newest = max(newest, n)
	}
	for _, n := range ns {
		if n < newest && (oldest == 0 || n < oldest) {
			if n == g.cur {
				g.close()
			}
			if err := os.Remove(g.path(n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("segments: %w", err)
			}
		}
	}
	return nil
}

// pruneSegments deletes the segment files no batch row refers to, holding
// the write lock (an IMMEDIATE transaction) meanwhile.
func (s *Store) pruneSegments(ctx context.Context) error {
	if s.seg == nil {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var oldest *int64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(seg) FROM inferd_batches`).Scan(&oldest); err != nil {
		return err
	}
	if err := s.seg.prune(deref(oldest)); err != nil {
		return err
	}
	return tx.Commit()
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// checkSegments deletes the batch rows whose bytes are not all in their
// segment. A killed process leaves none (the bytes are written before
// the row commits); a machine that lost power may, since neither SQLite
// (synchronous=NORMAL) nor the segments sync on every commit.
func (s *Store) checkSegments(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT seg, MAX(seg_off + seg_len) FROM inferd_batches WHERE seg IS NOT NULL GROUP BY seg`)
	if err != nil {
		return err
	}
	ends := map[int64]int64{}
	for rows.Next() {
		var seg, end int64
		if err := rows.Scan(&seg, &end); err != nil {
			rows.Close()
			return err
		}
		ends[seg] = end
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for seg, end := range ends {
		size := int64(0)
		if fi, err := os.Stat(s.seg.path(seg)); err == nil {
			size = fi.Size()
		}
		if size >= end {
			continue
		}
		if _, err := s.db.ExecContext(ctx, `DELETE FROM inferd_batches WHERE seg = ? AND seg_off + seg_len > ?`, seg, size); err != nil {
			return err
		}
	}
	return nil
}
