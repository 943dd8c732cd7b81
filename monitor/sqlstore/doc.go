// Package sqlstore is the monitor.Store over SQL: SQLite (OpenSQLite, the
// pure-Go modernc.org/sqlite driver, so the binary stays cgo-free) for one
// server, and PostgreSQL (OpenPostgres, pgx) for a fleet of replicas that
// share captured requests and feedback. Both use the same schema and
// queries; a dialect holds their differences.
package sqlstore
