package bucket

import (
	"context"
	"fmt"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/inferd/inferd/model"
	"github.com/inferd/inferd/repository"
)

// WriteRouting implements repository.RoutingWriter. The write is
// conditional in the store itself: a creation on the object not existing
// (If-None-Match, a GCS DoesNotExist precondition), a replacement on the
// object being the one read (matchCurrent). Only file:// checks just
// before the write instead.
func (s *Source) WriteRouting(ctx context.Context, name string, data []byte, ifID string) error {
	if !model.ValidName(name) {
		return fmt.Errorf("%q is not a model name", name)
	}
	key := name + "/" + model.RoutingFileName
	cur := ""
	attrs, err := s.b.Attributes(ctx, key)
	switch {
	case err == nil:
		b, err := s.b.ReadAll(ctx, key)
		if err != nil {
			return fmt.Errorf("reading %s: %w", s.displayPath(key), err)
		}
		cur = repository.RoutingID(b)
	case gcerrors.Code(err) != gcerrors.NotFound:
		return fmt.Errorf("reading %s: %w", s.displayPath(key), err)
	}
	if cur != ifID {
		return fmt.Errorf("%s: %w", s.displayPath(key), repository.ErrConflict)
	}
	opts := &blob.WriterOptions{ContentType: "application/yaml", IfNotExist: cur == ""}
	if cur != "" {
		opts.BeforeWrite = matchCurrent(attrs)
	}
	if s.beforeRoutingWrite != nil {
		s.beforeRoutingWrite()
	}
	if err := s.b.WriteAll(ctx, key, data, opts); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return fmt.Errorf("%s: %w", s.displayPath(key), repository.ErrConflict)
		}
		return fmt.Errorf("writing %s: %w", s.displayPath(key), err)
	}
	return nil
}

// matchCurrent is a BeforeWrite that makes a write conditional, in the
// store, on the object being still the one whose attributes were read
// (the attributes are read before the content, so a change in between
// fails the write too): on S3 an If-Match on its ETag, on GCS a
// generation precondition, on Azure an If-Match access condition. A
// conflicting write fails with FailedPrecondition.
func matchCurrent(attrs *blob.Attributes) func(as func(any) bool) error {
	var gcs storage.ObjectAttrs
	generation := int64(0)
	if attrs.As(&gcs) {
		generation = gcs.Generation
	}
	etag := attrs.ETag
	return func(as func(any) bool) error {
		var s3in *transfermanager.UploadObjectInput // what s3blob uploads with (not s3.PutObjectInput)
		var obj **storage.ObjectHandle
		var az *azblob.UploadStreamOptions
		switch {
		case etag != "" && as(&s3in):
			s3in.IfMatch = aws.String(etag)
		case generation != 0 && as(&obj):
			*obj = (*obj).If(storage.Conditions{GenerationMatch: generation})
		case etag != "" && as(&az):
			match := azcore.ETag(etag)
			az.AccessConditions = &azblob.AccessConditions{ModifiedAccessConditions: &azblobblob.ModifiedAccessConditions{IfMatch: &match}}
		}
		return nil
	}
}
