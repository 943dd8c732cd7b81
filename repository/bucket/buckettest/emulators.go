package buckettest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"google.golang.org/api/option"

	"github.com/inferd/inferd/repository/bucket"
)

// azuriteKey is the account key every Azurite has (its documentation's
// well-known development key), not a secret.
const azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// Azurite makes a new container on the Azurite (Azure Blob Storage
// emulator) at INFERD_TEST_AZURITE_ENDPOINT (host:port; the test is
// skipped without it: scripts/lib/emulators.sh starts one) and opens
// prefix in it, configured the standard way, through AZURE_STORAGE_*.
func Azurite(t testing.TB, prefix string, opts ...bucket.Option) *bucket.Source {
	t.Helper()
	host := os.Getenv("INFERD_TEST_AZURITE_ENDPOINT")
	if host == "" {
		t.Skip("INFERD_TEST_AZURITE_ENDPOINT is not set: scripts/lib/emulators.sh starts Azurite and sets it")
	}
	for k, v := range map[string]string{"AZURE_STORAGE_ACCOUNT": "devstoreaccount1", "AZURE_STORAGE_KEY": azuriteKey,
		"AZURE_STORAGE_DOMAIN": host, "AZURE_STORAGE_PROTOCOL": "http", "AZURE_STORAGE_IS_LOCAL_EMULATOR": "true"} {
		t.Setenv(k, v)
	}
	cred, err := azblob.NewSharedKeyCredential("devstoreaccount1", azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential("http://"+host+"/devstoreaccount1", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("inferd-%d", time.Now().UnixNano())
	if _, err := client.CreateContainer(context.Background(), name, nil); err != nil {
		t.Fatalf("creating container %s on Azurite at %s: %v", name, host, err)
	}
	return open(t, "azblob://"+name+"/"+prefix, opts)
}

// FakeGCS makes a new bucket on the fake-gcs-server at
// INFERD_TEST_GCS_ENDPOINT (host:port; the test is skipped without it:
// scripts/lib/emulators.sh starts one) and opens prefix in it, through
// the storage library's standard STORAGE_EMULATOR_HOST.
func FakeGCS(t testing.TB, prefix string, opts ...bucket.Option) *bucket.Source {
	t.Helper()
	host := os.Getenv("INFERD_TEST_GCS_ENDPOINT")
	if host == "" {
		t.Skip("INFERD_TEST_GCS_ENDPOINT is not set: scripts/lib/emulators.sh starts fake-gcs-server and sets it")
	}
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	ctx := context.Background()
	client, err := storage.NewClient(ctx, option.WithoutAuthentication(), option.WithEndpoint((&url.URL{Scheme: "http", Host: host, Path: "/storage/v1/"}).String()))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	name := fmt.Sprintf("inferd-%d", time.Now().UnixNano())
	if err := client.Bucket(name).Create(ctx, "inferd-test", nil); err != nil {
		t.Fatalf("creating bucket %s on fake-gcs-server at %s: %v", name, host, err)
	}
	return open(t, "gs://"+name+"/"+prefix, opts)
}

func open(t testing.TB, url string, opts []bucket.Option) *bucket.Source {
	t.Helper()
	src, err := bucket.Open(context.Background(), url, append([]bucket.Option{bucket.WithCacheDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}
