package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/inferd/inferd/monitor"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyRecords writes recs to PostgreSQL with COPY: one statement, all the
// rows or none, without a round trip per row.
func (s *Store) copyRecords(ctx context.Context, recs []monitor.Record) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", s.d.name, err)
	}
	defer conn.Close()
	rows := make([][]any, len(recs))
	for i := range recs {
		rows[i] = appendRecordRow(make([]any, 0, len(recordFields)), &recs[i])
	}
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("not a pgx connection")
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{"inferd_records"}, recordFields, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: storing captured requests: %w", s.d.name, err)
	}
	return nil
}
