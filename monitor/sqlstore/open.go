package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite" (pure Go)
)

// OpenSQLite opens (creating it if needed) the SQLite store at path, in
// WAL mode: a committed batch survives the process being killed, and
// readers do not block the writer.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	// Transactions take the write lock as they begin, so that segment
	// writes are in commit order even with several stores on one database.
	v := url.Values{"_txlock": {"immediate"}}
	for _, p := range sqlitePragmas {
		v.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// One writer at a time is SQLite's rule; waiting in Go is cheaper than
	// busy retries.
	db.SetMaxOpenConns(1)
	// WAL mode is kept in the file. (A page_size pragma beside it in the
	// DSN never applied: modernc runs a DSN's pragmas sorted, journal_mode
	// first. With the bodies in segments, rows are small and SQLite's
	// default 4 KiB pages suit them.)
	if _, err := db.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	seg, err := openSegments(path + "-segments")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	return open(ctx, db, path, seg, dialect{name: "sqlite " + path, serial: "INTEGER PRIMARY KEY AUTOINCREMENT", blob: "BLOB",
		withoutRowid: " WITHOUT ROWID", hasTable: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		segCols: "seg, seg_off, seg_len, seg_crc"})
}

// sqlitePragmas are set on each connection.
var sqlitePragmas = []string{"synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(on)", "temp_store(MEMORY)", "cache_size(-16384)"}

// OpenPostgres opens the PostgreSQL store at dsn (a URL or key=value
// string), creating its tables if needed.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(8)
	return open(ctx, db, dsn, nil, dialect{name: "postgres", serial: "BIGSERIAL PRIMARY KEY", numbered: true, blob: "BYTEA",
		hasTable: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
		segCols:  "NULL, NULL, NULL, NULL"})
}

func open(ctx context.Context, db *sql.DB, dsn string, seg *segments, d dialect) (*Store, error) {
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	s := &Store{db: db, d: d, dsn: dsn, seg: seg}
	if err := s.schema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if seg != nil {
		if err := s.checkSegments(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: checking the segments: %w", d.name, err)
		}
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
