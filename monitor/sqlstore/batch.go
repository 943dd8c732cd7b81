package sqlstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/inferd/inferd/monitor"
)

// A batch row holds the records of one model version that one Append
// wrote, encoded into one blob: SQLite and PostgreSQL then write one row
// (and no per-request index entry) for up to maxBatchRecords records.
//
// Record ids are the batch row's id shifted left by idBits, plus the
// record's index in the batch; the index is stored with each record, so
// that retention can drop records from a batch and keep the others' ids.
const (
	idBits          = 16
	maxBatchRecords = 4096
	// nearRequestTime is how far a time-ordered request id's time may be
	// from its record's time and still be found by time; a request id
	// further off is indexed like a client's id.
	nearRequestTime = time.Hour
)

// batchRow is one batch row's values.
type batchRow struct {
	id             int64
	model          string
	version        int
	n              int
	timeLo, timeHi int64
	// ridLo and ridHi bound the times (ms) of the batch's time-ordered
	// request ids; Valid is false when it has none.
	ridLo, ridHi nullInt
	size         int64
	body         []byte
	// indexed are the records whose request id needs an index entry (not
	// time-ordered): their index in the batch.
	indexed []int
}

// nullInt is an int64 that may be NULL in the database.
type nullInt struct {
	v     int64
	valid bool
}

func (n nullInt) value() any {
	if !n.valid {
		return nil
	}
	return n.v
}

// requestTime is the time (ms) a server-made request id starts with: 24
// lower-case hex digits, the first 12 the time in milliseconds.
func requestTime(id string) (int64, bool) {
	if len(id) != 24 {
		return 0, false
	}
	var ms int64
	for i := 0; i < 24; i++ {
		var d byte
		switch c := id[i]; {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		if i < 12 {
			ms = ms<<4 | int64(d)
		}
	}
	return ms, true
}

// encodeBatch encodes recs (one model version, at most maxBatchRecords)
// as a batch row; record i gets index i, or with keep the index in its ID.
// Per record: uvarint index, varint time and latency (ns), then request
// id, client id, headers (JSON, "" for none), prediction, inputs and
// outputs as uvarint length and bytes.
func encodeBatch(recs []monitor.Record, keep bool) batchRow {
	b := batchRow{model: recs[0].Model, version: recs[0].Version, n: len(recs)}
	size := 0
	for i := range recs {
		size += len(recs[i].Inputs) + len(recs[i].Outputs) + len(recs[i].RequestID) + 64
	}
	b.body = make([]byte, 0, size)
	for i := range recs {
		r := &recs[i]
		tns := r.Time.UnixNano()
		if i == 0 {
			b.timeLo, b.timeHi = tns, tns
		}
		b.timeLo, b.timeHi = min(b.timeLo, tns), max(b.timeHi, tns)
		if ms, ok := requestTime(r.RequestID); ok && (r.Time.Sub(time.UnixMilli(ms))).Abs() <= nearRequestTime {
			b.ridLo, b.ridHi = widen(b.ridLo, b.ridHi, ms)
		} else if r.RequestID != "" {
			b.indexed = append(b.indexed, i) // a position in recs
		}
		headers := ""
		if r.Headers != nil {
			headers = string(mustJSON(r.Headers))
		}
		b.size += recordSize(len(headers), r)
		idx := uint64(i)
		if keep {
			idx = uint64(r.ID & (1<<idBits - 1))
		}
		b.body = binary.AppendUvarint(b.body, idx)
		b.body = binary.AppendVarint(b.body, tns)
		b.body = binary.AppendVarint(b.body, int64(r.Latency))
		for _, s := range [...]string{r.RequestID, r.ClientID, headers, r.Prediction} {
			b.body = append(binary.AppendUvarint(b.body, uint64(len(s))), s...)
		}
		b.body = append(binary.AppendUvarint(b.body, uint64(len(r.Inputs))), r.Inputs...)
		b.body = append(binary.AppendUvarint(b.body, uint64(len(r.Outputs))), r.Outputs...)
	}
	return b
}

// mustJSON marshals headers (a map of strings: it cannot fail).
func mustJSON(h map[string]string) []byte {
	b, _ := json.Marshal(h)
	return b
}

// recordSize is the stored payload of a record, as retention by size
// counts it: headers (JSON; "null" for none), inputs and outputs.
func recordSize(headers int, r *monitor.Record) int64 {
	if headers == 0 {
		headers = len("null")
	}
	return int64(headers + len(r.Inputs) + len(r.Outputs))
}

func widen(lo, hi nullInt, v int64) (nullInt, nullInt) {
	if !lo.valid {
		return nullInt{v, true}, nullInt{v, true}
	}
	return nullInt{min(lo.v, v), true}, nullInt{max(hi.v, v), true}
}

var errCorrupt = errors.New("corrupt batch")

// decodeBatch returns the records of a batch row, in index order, with
// their ids; their payloads share b.body.
func decodeBatch(b *batchRow) ([]monitor.Record, error) {
	recs := make([]monitor.Record, 0, b.n)
	p := b.body
	for len(p) > 0 {
		r := monitor.Record{Model: b.model, Version: b.version}
		var idx uint64
		var tns, lat int64
		var fields [6][]byte
		ok := true
		idx, p, ok = uvarint(p, ok)
		tns, p, ok = varint(p, ok)
		lat, p, ok = varint(p, ok)
		for i := range fields {
			fields[i], p, ok = bytesField(p, ok)
		}
		if !ok || idx >= 1<<idBits {
			return nil, fmt.Errorf("batch %d: %w", b.id, errCorrupt)
		}
		r.ID = b.id<<idBits | int64(idx)
		r.Time, r.Latency = time.Unix(0, tns), time.Duration(lat)
		r.RequestID, r.ClientID, r.Prediction = string(fields[0]), string(fields[1]), string(fields[3])
		if len(fields[2]) > 0 {
			if err := json.Unmarshal(fields[2], &r.Headers); err != nil {
				return nil, fmt.Errorf("batch %d: record %d: headers: %w", b.id, idx, err)
			}
		}
		r.Inputs, r.Outputs = monitor.Payload(fields[4]), monitor.Payload(fields[5])
		recs = append(recs, r)
	}
	return recs, nil
}

func uvarint(p []byte, ok bool) (uint64, []byte, bool) {
	v, n := binary.Uvarint(p)
	if !ok || n <= 0 {
		return 0, nil, false
	}
	return v, p[n:], true
}

func varint(p []byte, ok bool) (int64, []byte, bool) {
	v, n := binary.Varint(p)
	if !ok || n <= 0 {
		return 0, nil, false
	}
	return v, p[n:], true
}

func bytesField(p []byte, ok bool) ([]byte, []byte, bool) {
	l, p, ok := uvarint(p, ok)
	if !ok || l > uint64(len(p)) {
		return nil, nil, false
	}
	return p[:l:l], p[l:], true
}
