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
	v := url.Values{}
	for _, p := range []string{"page_size(16384)", "journal_mode(WAL)", "synchronous(NORMAL)", "busy_timeout(10000)", "foreign_keys(on)", "temp_store(MEMORY)", "cache_size(-16384)"} {
		v.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", path, err)
	}
	// One writer at a time is SQLite's rule; waiting in Go is cheaper than
	// busy retries.
	db.SetMaxOpenConns(1)
	return open(ctx, db, path, dialect{name: "sqlite " + path, serial: "INTEGER PRIMARY KEY AUTOINCREMENT", blob: "BLOB",
		withoutRowid: " WITHOUT ROWID", hasTable: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`})
}

// OpenPostgres opens the PostgreSQL store at dsn (a URL or key=value
// string), creating its tables if needed.
func OpenPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(8)
	return open(ctx, db, dsn, dialect{name: "postgres", serial: "BIGSERIAL PRIMARY KEY", numbered: true, blob: "BYTEA",
		hasTable: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`})
}

func open(ctx context.Context, db *sql.DB, dsn string, d dialect) (*Store, error) {
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	s := &Store{db: db, d: d, dsn: dsn}
	if err := s.schema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
