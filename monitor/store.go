package monitor

import (
	"context"
	"encoding/json"
	"time"
)

// Store keeps captured records and feedback labels. Implementations are
// safe for concurrent use; monitor/sqlstore has SQLite and PostgreSQL.
type Store interface {
	// Append stores records in one transaction: all of them or none. It
	// keeps nothing of recs once it returns (the capture writer reuses
	// their payloads' memory).
	Append(ctx context.Context, recs []Record) error
	// AddFeedback stores labels (a later label for the same model and
	// request replaces the earlier one) and returns the captured records
	// they join, each with its Label set.
	AddFeedback(ctx context.Context, fb []Feedback) ([]Record, error)
	// Records returns records in ID order with their labels joined.
	Records(ctx context.Context, q Query) ([]Record, error)
	// Retain deletes records older than the policy's age and the oldest
	// ones beyond its size; it returns how many it deleted.
	Retain(ctx context.Context, p Retention) (int64, error)
	Close() error
}

// Feedback is a ground-truth label for a request.
type Feedback struct {
	Model     string
	RequestID string
	Label     json.RawMessage
	Time      time.Time
}

// Query selects records; zero fields select everything.
type Query struct {
	Model   string
	Version int
	// AfterID returns records with a larger ID (to page through).
	AfterID int64
	Since   time.Time
	// Limit bounds the records returned (default and maximum 10000).
	Limit int
	// Labeled returns only records that have a feedback label.
	Labeled bool
}

// MaxQueryLimit is the largest (and default) Query.Limit.
const MaxQueryLimit = 10000

// Retention bounds what a store keeps; zero fields keep everything.
type Retention struct {
	MaxAge time.Duration
	// MaxBytes bounds the stored payload (inputs, outputs and headers).
	MaxBytes int64
}
