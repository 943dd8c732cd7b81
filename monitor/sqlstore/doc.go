// Package sqlstore is the monitor.Store over SQL: SQLite (OpenSQLite, the
// pure-Go modernc.org/sqlite driver, so the binary stays cgo-free) for one
// server, and PostgreSQL (OpenPostgres, pgx) for a fleet of replicas that
// share captured requests and feedback. Both use the same schema and
// queries; a dialect holds their differences.
//
// Captured records are stored a batch row at a time (batch.go): the
// records of one model version that one Append writes, encoded into one
// blob, so that a record costs no row and no index entry of its own.
// Feedback finds a server-made request id's batch by the time the id
// starts with; other ids are indexed. A store of the first schema (a row
// per record) is migrated when it opens (migrate.go). SQLite keeps the
// blobs that Append writes in append-only segment files beside the
// database, the row keeping where (segments.go): one write a batch instead
// of the WAL's page writes and the checkpoint's copy.
package sqlstore
