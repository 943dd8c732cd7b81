package bucket

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// WriteRouting implements repository.RoutingWriter. The write is
// conditional in the store itself where the provider allows: on S3 (and
// S3-compatible servers) an If-Match on the object's ETag, or an
// If-None-Match when there is none yet; elsewhere a creation is
// conditional and a replacement is checked just before it is written.
func (s *Source) WriteRouting(ctx context.Context, name string, data []byte, ifID string) error {
	if !model.ValidName(name) {
		return fmt.Errorf("%q is not a model name", name)
	}
	key := name + "/" + model.RoutingFileName
	cur, etag := "", ""
	attrs, err := s.b.Attributes(ctx, key)
	switch {
	case err == nil:
		b, err := s.b.ReadAll(ctx, key)
		if err != nil {
			return fmt.Errorf("reading %s: %w", s.displayPath(key), err)
		}
		cur, etag = repository.RoutingID(b), attrs.ETag
	case gcerrors.Code(err) != gcerrors.NotFound:
		return fmt.Errorf("reading %s: %w", s.displayPath(key), err)
	}
	if cur != ifID {
		return fmt.Errorf("%s: %w", s.displayPath(key), repository.ErrConflict)
	}
	opts := &blob.WriterOptions{ContentType: "application/yaml", IfNotExist: cur == ""}
	if cur != "" && etag != "" {
		opts.BeforeWrite = func(as func(any) bool) error {
			var in *s3.PutObjectInput
			if as(&in) {
				in.IfMatch = aws.String(etag)
			}
			return nil
		}
	}
	if err := s.b.WriteAll(ctx, key, data, opts); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return fmt.Errorf("%s: %w", s.displayPath(key), repository.ErrConflict)
		}
		return fmt.Errorf("writing %s: %w", s.displayPath(key), err)
	}
	return nil
}
