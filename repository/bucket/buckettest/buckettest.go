// Package buckettest gives tests a real S3 bucket: a new bucket on the
// MinIO server that scripts/test.sh starts on loopback
// (scripts/lib/minio.sh), and the example digits model pushed into it.
package buckettest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/inferd/inferd/internal/testutil"
	"github.com/inferd/inferd/repository/bucket"
)

// MinIO makes a new bucket on the MinIO server named by
// INFERD_TEST_S3_ENDPOINT (the test is skipped without it) and opens
// prefix in it, with the endpoint given the SDK's standard way,
// AWS_ENDPOINT_URL, set for the test. It returns the source and its URL,
// for servers.
func MinIO(t testing.TB, prefix string, opts ...bucket.Option) (*bucket.Source, string) {
	t.Helper()
	endpoint := os.Getenv("INFERD_TEST_S3_ENDPOINT")
	if endpoint == "" {
		t.Skip("INFERD_TEST_S3_ENDPOINT is not set: scripts/test.sh starts MinIO (scripts/lib/minio.sh) and sets it")
	}
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("inferd-%d", time.Now().UnixNano())
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("creating bucket %s on %s: %v", name, endpoint, err)
	}
	url := "s3://" + name + "/" + prefix + "?use_path_style=true"
	src, err := bucket.Open(ctx, url, append([]bucket.Option{bucket.WithCacheDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src, url
}

// PushDigits pushes the example digits model (config.yaml, labels.txt,
// version 1) and returns its version directory, to push as other versions.
func PushDigits(t testing.TB, src *bucket.Source) fs.FS {
	t.Helper()
	ctx := context.Background()
	digits := filepath.Join(testutil.ExamplesDir(), "digits")
	for _, f := range []string{"config.yaml", "labels.txt"} {
		b, err := os.ReadFile(filepath.Join(digits, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Put(ctx, "digits/"+f, b); err != nil {
			t.Fatal(err)
		}
	}
	version := os.DirFS(filepath.Join(digits, "1"))
	if err := src.PushVersion(ctx, "digits", 1, version); err != nil {
		t.Fatal(err)
	}
	return version
}
